"""Every service that changes state writes its audit row, with the actor and the row it changed."""

import ast
from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from certificates import services as certificates
from certificates.models import Certificate, CertificateStatus, CompletionRule, RevocationReason
from courses import services as courses
from courses.models import AttendanceStatus, LessonKind, Phase
from courses.services import setup as course_setup
from fieldwork import services as fieldwork
from fieldwork.models import Objection, ObjectionOutcome
from fieldwork.projects import services as projects
from fieldwork.projects.models import ActivityKind
from fieldwork.services import setup as assignment_setup
from lms import services as lms_services
from lms.models import AuditEntry
from tests.certificates.factories import complete_all_lessons
from tests.courses.factories import ModuleFactory
from tests.fieldwork.conftest import Field
from tests.fieldwork.factories import PDF_BYTES, AssignmentFactory, report, upload
from tests.lms.factories import CommunityFactory, TownFactory, UserFactory
from tests.projects.factories import photo_upload

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
SERVICE_FILES = [
    "courses/services/__init__.py",
    "courses/services/attendance.py",
    "courses/services/setup.py",
    "fieldwork/services/submissions.py",
    "fieldwork/services/grading.py",
    "fieldwork/services/setup.py",
    "fieldwork/projects/services.py",
    "certificates/services.py",
    "lms/services/places.py",
]


def audited_services() -> set[str]:
    """Public service functions that call audit_record, themselves or through a private helper of their module."""
    names = set()
    for path in SERVICE_FILES:
        functions = [n for n in ast.parse((ROOT / path).read_text()).body if isinstance(n, ast.FunctionDef)]
        called = {
            f.name: {getattr(c.func, "id", "") for c in ast.walk(f) if isinstance(c, ast.Call)} for f in functions
        }
        auditing = {"audit_record"} | {name for name, calls in called.items() if "audit_record" in calls}
        names |= {name for name, calls in called.items() if not name.startswith("_") and calls & auditing}
    return names


def _setup_session(w):
    return course_setup.session_save(
        cohort=w.cohort,
        lesson=w.skills_lesson,
        date=w.cohort.starts_on,
        start_time=time(9),
        end_time=time(11),
        place="西樵镇河岗社区",
        instructors=[w.instructor],
        actor=w.staff,
    )


def _attachment(w):
    return course_setup.lesson_attachment_add(
        lesson=w.skills_lesson, upload=upload("阅读材料.pdf", PDF_BYTES), actor=w.staff
    )


def _assignment_terms(w, **overrides):
    from decimal import Decimal

    start = timezone.make_aware(timezone.datetime.combine(w.cohort.starts_on, time(9)))
    return {
        "module": w.skills,
        "title": "社区资产地图",
        "mode": "individual",
        "opens_at": start,
        "due_at": start + timedelta(days=7),
        "allowed_extensions": ["pdf"],
        "max_file_mb": 10,
        "max_total_mb": 50,
        "max_files": 5,
        "pass_mark": Decimal("10"),
        "actor": w.staff,
        **overrides,
    }


SETUP_CASES = {
    "cohort_create": lambda w, f: (
        lambda: course_setup.cohort_create(
            course=w.cohort.course,
            district=w.district,
            name="南海区2035年培育班",
            year=2035,
            starts_on=w.cohort.starts_on.replace(year=2035),
            ends_on=w.cohort.ends_on.replace(year=2035),
            actor=w.staff,
        ),
        "cohort.created",
        w.staff,
    ),
    "cohort_update": lambda w, f: (
        lambda: course_setup.cohort_update(
            cohort=w.cohort, name="南海区培育班", starts_on=w.cohort.starts_on, ends_on=w.cohort.ends_on, actor=w.staff
        ),
        "cohort.updated",
        w.staff,
    ),
    "module_save": lambda w, f: (
        lambda: course_setup.module_save(
            cohort=w.cohort, phase=Phase.FIELD, position=1, title="实地支持", actor=w.staff
        ),
        "module.created",
        w.staff,
    ),
    "module_move": lambda w, f: (
        lambda: course_setup.module_move(module=w.skills, direction="up", actor=w.staff),
        "module.moved",
        w.staff,
    ),
    "module_delete": lambda w, f: (
        (lambda module: lambda: course_setup.module_delete(module=module, actor=w.staff))(
            ModuleFactory(cohort=w.cohort, phase=Phase.MODEL, position=1)
        ),
        "module.deleted",
        w.staff,
    ),
    "lesson_save": lambda w, f: (
        lambda: course_setup.lesson_save(
            module=w.skills, position=2, kind=LessonKind.WORKSHOP, title="参与式工作坊", actor=w.staff
        ),
        "lesson.created",
        w.staff,
    ),
    "lesson_move": lambda w, f: (
        lambda: course_setup.lesson_move(lesson=w.basics_lessons[1], direction="up", actor=w.staff),
        "lesson.moved",
        w.staff,
    ),
    "lesson_delete": lambda w, f: (
        lambda: course_setup.lesson_delete(lesson=w.basics_lessons[1], actor=w.staff),
        "lesson.deleted",
        w.staff,
    ),
    "lesson_attachment_add": lambda w, f: (lambda: _attachment(w), "lesson_attachment.added", w.staff),
    "lesson_attachment_remove": lambda w, f: (
        (lambda a: lambda: course_setup.lesson_attachment_remove(attachment=a, actor=w.staff))(_attachment(w)),
        "lesson_attachment.removed",
        w.staff,
    ),
    "session_save": lambda w, f: (lambda: _setup_session(w), "session.created", w.staff),
    "session_delete": lambda w, f: (
        (lambda s: lambda: course_setup.session_delete(session=s, actor=w.staff))(_setup_session(w)),
        "session.deleted",
        w.staff,
    ),
    "assignment_save": lambda w, f: (
        lambda: assignment_setup.assignment_save(**_assignment_terms(w)),
        "assignment.created",
        w.staff,
    ),
    "assignment_delete": lambda w, f: (
        (lambda a: lambda: assignment_setup.assignment_delete(assignment=a, actor=w.staff))(
            AssignmentFactory(module=w.skills)
        ),
        "assignment.deleted",
        w.staff,
    ),
    "rubric_save": lambda w, f: (
        lambda: assignment_setup.rubric_save(
            assignment=AssignmentFactory(module=w.skills, pass_mark=5),
            criteria=[
                assignment_setup.CriterionInput(
                    title="资产识别", levels=[assignment_setup.LevelInput("良好", "全面", Decimal(0), Decimal(10))]
                )
            ],
            actor=w.staff,
        ),
        "rubric.saved",
        w.staff,
    ),
}


# Each case: (world, field) → (the call, the verb it must write, the actor).
def _session(w):
    return courses.session_create(
        lesson=w.basics_lessons[0],
        date=w.cohort.starts_on,
        start_time=time(9),
        end_time=time(11),
        place="南海区社区治理学院",
        address="",
        instructors=[w.instructor],
        actor=w.staff,
    )


def _project(f):
    return projects.project_update(team=f.team, actor=f.world.trainee, title="特色农耕馆")


def _visit(f, project=None):
    return projects.visit_log(
        project=project or _project(f),
        actor=f.world.instructor,
        visited_on=f.world.cohort.starts_on,
        discussion="讨论农耕馆布展",
        next_steps=[{"description": "收集农具", "owner": "何家明"}],
    )


def _case(f, project=None):
    return projects.case_save(
        project=project or _project(f),
        actor=f.world.trainee,
        title="河岗农耕馆",
        theme="culture",
        background="背景",
        problem="问题",
        participants="党员、居民",
        process="两次议事会",
        lessons="经验",
    )


def _submitted_case(f):
    case = _case(f)
    projects.case_submit(case=case, actor=f.world.trainee)
    case.refresh_from_db()
    return case


def _certificate(w):
    CompletionRule.objects.get_or_create(cohort=w.cohort, defaults={"min_lesson_percent": 100})
    complete_all_lessons(w.enrolment)
    batch = certificates.certificate_issue_batch(cohort=w.cohort, actor=w.staff, enrolment_ids=[w.enrolment.pk])
    certificate = batch.certificates.get()
    certificates.certificate_render(certificate_id=certificate.pk)
    return Certificate.objects.get(pk=certificate.pk)


def _released(f):
    return f.released()


def _retired_town(w):
    return lms_services.town_retire(town=TownFactory(district=w.district), actor=w.staff)


def _retired_community(w):
    return lms_services.community_retire(community=w.community, actor=w.staff)


CASES = {
    "town_create": lambda w, f: (
        lambda: lms_services.town_create(district=w.district, name="九江镇", actor=w.staff),
        "town.created",
        w.staff,
    ),
    "town_rename": lambda w, f: (
        lambda: lms_services.town_rename(town=w.community.town, name="西樵镇", actor=w.staff),
        "town.renamed",
        w.staff,
    ),
    "town_retire": lambda w, f: (
        lambda: lms_services.town_retire(town=w.community.town, actor=w.staff),
        "town.retired",
        w.staff,
    ),
    "town_reinstate": lambda w, f: (
        (lambda town: lambda: lms_services.town_reinstate(town=town, actor=w.staff))(_retired_town(w)),
        "town.reinstated",
        w.staff,
    ),
    "town_delete": lambda w, f: (
        (lambda town: lambda: lms_services.town_delete(town=town, actor=w.staff))(TownFactory(district=w.district)),
        "town.deleted",
        w.staff,
    ),
    "community_create": lambda w, f: (
        lambda: lms_services.community_create(town=w.community.town, name="西坊村", actor=w.staff),
        "community.created",
        w.staff,
    ),
    "community_rename": lambda w, f: (
        lambda: lms_services.community_rename(community=w.community, name="河岗村", actor=w.staff),
        "community.renamed",
        w.staff,
    ),
    "community_retire": lambda w, f: (
        lambda: lms_services.community_retire(community=w.community, actor=w.staff),
        "community.retired",
        w.staff,
    ),
    "community_reinstate": lambda w, f: (
        (lambda c: lambda: lms_services.community_reinstate(community=c, actor=w.staff))(_retired_community(w)),
        "community.reinstated",
        w.staff,
    ),
    "community_delete": lambda w, f: (
        (lambda c: lambda: lms_services.community_delete(community=c, actor=w.staff))(
            CommunityFactory(town=w.community.town)
        ),
        "community.deleted",
        w.staff,
    ),
    "enrolment_create": lambda w, f: (
        lambda: courses.enrolment_create(
            cohort=w.cohort, trainee=UserFactory(), community=w.community, team=None, actor=w.staff
        ),
        "enrolment.created",
        w.staff,
    ),
    "enrolment_withdraw": lambda w, f: (
        lambda: courses.enrolment_withdraw(enrolment=w.enrolment, reason="工作调动", actor=w.staff),
        "enrolment.withdrawn",
        w.staff,
    ),
    "lesson_complete": lambda w, f: (
        lambda: courses.lesson_complete(enrolment=w.enrolment, lesson=w.basics_lessons[0], actor=w.trainee),
        "lesson.completed",
        w.trainee,
    ),
    "session_create": lambda w, f: (lambda: _session(w), "session.created", w.staff),
    "attendance_correct": lambda w, f: (
        (
            lambda record: (
                lambda: courses.attendance_correct(
                    attendance=record, status=AttendanceStatus.EXCUSED, reason="提前请假", actor=w.instructor
                )
            )
        )(
            courses.attendance_record(
                session=_session(w), enrolment=w.enrolment, status=AttendanceStatus.ABSENT, actor=w.instructor
            )
        ),
        "attendance.corrected",
        w.instructor,
    ),
    "attendance_record": lambda w, f: (
        (
            lambda session: (
                lambda: courses.attendance_record(
                    session=session, enrolment=w.enrolment, status=AttendanceStatus.PRESENT, actor=w.instructor
                )
            )
        )(
            courses.attendance_record(
                session=_session(w), enrolment=w.enrolment, status=AttendanceStatus.ABSENT, actor=w.instructor
            ).session
        ),
        "attendance.corrected",  # a first record carries recorded_by itself; a change of status is audited
        w.instructor,
    ),
    "project_update": lambda w, f: (lambda: _project(f), "project.created", w.trainee),
    "activity_record": lambda w, f: (
        (
            lambda project: (
                lambda: projects.activity_record(
                    project=project,
                    actor=w.trainee,
                    kind=ActivityKind.DELIBERATION,
                    title="第一次议事会",
                    held_on=w.cohort.starts_on,
                    place="河岗村委会",
                    counts={"residents": 40},
                )
            )
        )(_project(f)),
        "activity.recorded",
        w.trainee,
    ),
    "visit_log": lambda w, f: ((lambda project: lambda: _visit(f, project))(_project(f)), "visit.logged", w.instructor),
    "next_step_close": lambda w, f: (
        (lambda step: lambda: projects.next_step_close(step=step, actor=w.trainee))(_visit(f).next_steps.get()),
        "next_step.closed",
        w.trainee,
    ),
    "before_after_add": lambda w, f: (
        (
            lambda project: (
                lambda: projects.before_after_add(
                    project=project,
                    actor=w.trainee,
                    place="农耕馆地面",
                    caption="铺装了地面",
                    before_file=photo_upload("before.png", fmt="PNG"),
                    after_file=photo_upload("after.jpg"),
                )
            )
        )(_project(f)),
        "before_after.added",
        w.trainee,
    ),
    "case_save": lambda w, f: ((lambda project: lambda: _case(f, project))(_project(f)), "case.created", w.trainee),
    "case_submit": lambda w, f: (
        (lambda case: lambda: projects.case_submit(case=case, actor=w.trainee))(_case(f)),
        "case.submitted",
        w.trainee,
    ),
    "case_return": lambda w, f: (
        (lambda case: lambda: projects.case_return(case=case, actor=w.instructor, comments="补充过程"))(
            _submitted_case(f)
        ),
        "case.returned",
        w.instructor,
    ),
    "case_approve": lambda w, f: (
        (lambda case: lambda: projects.case_approve(case=case, actor=w.instructor, comments=""))(_submitted_case(f)),
        "case.approved",
        w.instructor,
    ),
    "submission_start": lambda w, f: (
        lambda: fieldwork.submission_start(assignment=f.assignment, enrolment=w.enrolment, actor=w.trainee),
        "submission.started",
        w.trainee,
    ),
    "submission_file_add": lambda w, f: (
        (lambda s: lambda: fieldwork.submission_file_add(submission=s, uploads_=[report()], actor=w.trainee))(
            fieldwork.submission_start(assignment=f.assignment, enrolment=w.enrolment, actor=w.trainee)
        ),
        "submission.file_added",
        w.trainee,
    ),
    "submission_file_remove": lambda w, f: (
        (lambda file: lambda: fieldwork.submission_file_remove(file=file, actor=w.trainee))(
            fieldwork.submission_file_add(
                submission=fieldwork.submission_start(assignment=f.assignment, enrolment=w.enrolment, actor=w.trainee),
                uploads_=[report()],
                actor=w.trainee,
            )[0]
        ),
        "submission.file_removed",
        w.trainee,
    ),
    "submission_submit": lambda w, f: (
        (lambda s: lambda: fieldwork.submission_submit(submission=s, actor=w.trainee))(_draft_with_file(f)),
        "submission.submitted",
        w.trainee,
    ),
    "submission_return": lambda w, f: (
        (lambda s: lambda: fieldwork.submission_return(submission=s, feedback="请补充访谈记录", actor=w.instructor))(
            f.submitted()
        ),
        "submission.returned",
        w.instructor,
    ),
    "submission_grade": lambda w, f: (
        (
            lambda s: (
                lambda: fieldwork.submission_grade(submission=s, scores=f.scores(), feedback="", actor=w.instructor)
            )
        )(f.submitted()),
        "submission.graded",
        w.instructor,
    ),
    "grade_release": lambda w, f: (
        (lambda s: lambda: fieldwork.grade_release(submission=s, actor=w.instructor))(f.graded()),
        "grade.released",
        w.instructor,
    ),
    "assignment_release_grades": lambda w, f: (
        (lambda _s: lambda: fieldwork.assignment_release_grades(assignment=f.assignment, actor=w.instructor))(
            f.graded()
        ),
        "grades.released",
        w.instructor,
    ),
    "grade_correct": lambda w, f: (
        (
            lambda s: lambda: fieldwork.grade_correct(
                submission=s, scores=f.scores(points=(9, 9)), reason="核分有误", actor=w.instructor
            )
        )(_released(f)),
        "grade.corrected",
        w.instructor,
    ),
    "grades_finalise_due": lambda w, f: (
        (lambda _s: lambda: fieldwork.grades_finalise_due(now=timezone.now() + timedelta(days=400)))(_released(f)),
        "grade.finalised",
        None,
    ),
    "objection_raise": lambda w, f: (
        (lambda s: lambda: fieldwork.objection_raise(submission=s, reason="访谈记录已补充。", actor=w.trainee))(
            _released(f)
        ),
        "objection.raised",
        w.trainee,
    ),
    "objection_resolve": lambda w, f: (
        (
            lambda objection: (
                lambda: fieldwork.objection_resolve(
                    objection=objection, outcome=ObjectionOutcome.UPHELD, response="维持原分。", actor=w.instructor
                )
            )
        )(_objection(f)),
        "objection.resolved",
        w.instructor,
    ),
    "extension_grant": lambda w, f: (
        lambda: fieldwork.extension_grant(
            assignment=f.assignment,
            enrolment=w.enrolment,
            due_at=timezone.now() + timedelta(days=2),
            reason="病假",
            actor=w.instructor,
        ),
        "extension.granted",
        w.instructor,
    ),
    "completion_rule_save": lambda w, f: (
        lambda: certificates.completion_rule_save(cohort=w.cohort, actor=w.staff, min_lesson_percent=80),
        "completion_rule.saved",
        w.staff,
    ),
    "issuer_profile_save": lambda w, f: (
        lambda: certificates.issuer_profile_save(
            district=w.district,
            name="佛山市南海区民政局",
            html="<p>{{ trainee_name }}</p>",
            css="p { color: black; }",
            actor=w.staff,
        ),
        "certificate_template.saved",
        w.staff,
    ),
    "certificate_issue_batch": lambda w, f: (
        (
            lambda _: (
                lambda: certificates.certificate_issue_batch(
                    cohort=w.cohort, actor=w.staff, enrolment_ids=[w.enrolment.pk]
                )
            )
        )((CompletionRule.objects.create(cohort=w.cohort, min_lesson_percent=100), complete_all_lessons(w.enrolment))),
        "certificates.issued",
        w.staff,
    ),
    "certificate_revoke": lambda w, f: (
        (lambda c: lambda: certificates.certificate_revoke(certificate=c, reason="error", actor=w.staff))(
            _certificate(w)
        ),
        "certificate.revoked",
        w.staff,
    ),
    "certificate_reissue": lambda w, f: (
        (lambda c: lambda: certificates.certificate_reissue(certificate=c, actor=w.staff))(
            certificates.certificate_revoke(
                certificate=_certificate(w), reason=RevocationReason.DATA_CORRECTION, actor=w.staff
            )
        ),
        "certificate.reissued",
        w.staff,
    ),
    "certificate_retry": lambda w, f: (
        (lambda c: lambda: certificates.certificate_retry(certificate=c, actor=w.staff))(_failed_certificate(w)),
        "certificate.retried",
        w.staff,
    ),
    "certificate_retry_failed": lambda w, f: (
        (lambda c: lambda: certificates.certificate_retry_failed(batch=c.batch, actor=w.staff))(_failed_certificate(w)),
        "certificates.retried",
        w.staff,
    ),
}


def _draft_with_file(f):
    submission = fieldwork.submission_start(assignment=f.assignment, enrolment=f.world.enrolment, actor=f.world.trainee)
    fieldwork.submission_file_add(submission=submission, uploads_=[report()], actor=f.world.trainee)
    return submission


def _objection(f):
    submission = _released(f)
    fieldwork.objection_raise(submission=submission, reason="访谈记录已补充。", actor=f.world.trainee)
    return Objection.objects.get(submission=submission)


def _failed_certificate(w):
    certificate = _certificate(w)
    Certificate.objects.filter(pk=certificate.pk).update(status=CertificateStatus.FAILED, error="font missing")
    return Certificate.objects.get(pk=certificate.pk)


CASES.update(SETUP_CASES)


def test_every_audited_service_has_a_case():
    assert audited_services() == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_service_writes_its_audit_row(name, world, media_root):
    field = Field(world)
    call, verb, actor = CASES[name](world, field)
    before = set(AuditEntry.objects.values_list("pk", flat=True))
    result = call()
    rows = list(AuditEntry.objects.exclude(pk__in=before))
    assert [row.verb for row in rows] == [verb]
    row = rows[0]
    assert row.actor == actor
    target = row.target_type.get_object_for_this_type(pk=row.target_id)  # the row it names exists
    if hasattr(result, "_meta") and ContentType.objects.get_for_model(result) == row.target_type:
        assert target == result
