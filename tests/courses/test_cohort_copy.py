"""Next year's cohort: every part of the set-up copied, nothing of people."""

from datetime import date, datetime, time
from decimal import Decimal

import pytest

from certificates.models import Certificate, CompletionRule
from courses.models import (
    Attendance,
    Cohort,
    Enrolment,
    LessonAttachment,
    LessonKind,
    Module,
    Session,
    Teaching,
    Team,
)
from courses.services import copy as copy_services
from courses.services import setup as setup_services
from fieldwork.models import Assignment, RubricLevel, Submission
from lms.errors import Conflict, NotAllowed, ValidationFailed
from lms.models import AuditEntry
from lms.predicates import forget_roles
from tests.courses.factories import SHANGHAI, LessonFactory, TeamFactory
from tests.fieldwork.factories import PDF_BYTES, AssignmentFactory, add_rubric, upload
from tests.lms.factories import DistrictFactory, DistrictStaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(world, private_storage):
    """The world's cohort in 2024 (a leap year), fully set up, with people and their work in it."""
    cohort = world.cohort
    cohort.year, cohort.starts_on, cohort.ends_on = 2024, date(2024, 2, 29), date(2024, 12, 20)
    cohort.name = "南海区2024年培育班"
    cohort.save()
    guidance = LessonFactory(module=world.skills, position=2, kind=LessonKind.FIELD_GUIDANCE, title="河岗实地指导")
    setup_services.lesson_attachment_add(
        lesson=world.basics_lessons[0], upload=upload("议事规则.pdf", PDF_BYTES), actor=world.staff
    )
    team = TeamFactory(cohort=cohort, community=world.community)
    world.enrolment.team = team
    world.enrolment.save()
    lecture = setup_services.session_save(
        cohort=cohort,
        lesson=world.basics_lessons[0],
        date=date(2024, 2, 29),
        start_time=time(9),
        end_time=time(11),
        place="南海区委党校",
        instructors=[world.instructor],
        actor=world.staff,
    )
    setup_services.session_save(
        cohort=cohort,
        lesson=guidance,
        date=date(2024, 6, 1),
        start_time=time(14),
        end_time=time(17),
        place="河岗社区",
        team=team,
        community=world.community,
        actor=world.staff,
    )
    Attendance.objects.create(
        session=lecture, enrolment=world.enrolment, status="present", source="instructor", recorded_by=world.staff
    )
    assignment = AssignmentFactory(
        module=world.skills,
        title="社区资产地图",
        opens_at=datetime(2024, 3, 1, 9, tzinfo=SHANGHAI),
        due_at=datetime(2024, 4, 1, 18, tzinfo=SHANGHAI),
        closes_at=datetime(2024, 4, 8, 18, tzinfo=SHANGHAI),
        allowed_extensions=["pdf", "jpg"],
        pass_mark=Decimal("12"),
    )
    add_rubric(assignment)
    RubricLevel.objects.filter(criterion__assignment=assignment).update(description="描述")
    Submission.objects.create(assignment=assignment, enrolment=world.enrolment)
    rule = CompletionRule.objects.create(cohort=cohort, min_lesson_percent=80, min_attendance_percent=75)
    rule.required_lessons.set([world.basics_lessons[0], guidance])
    return cohort


def test_copy_takes_every_part_of_the_set_up(world, source, private_storage):
    copy = copy_services.cohort_copy(
        source=source, district=world.district, year=2025, name="南海区2025年培育班", actor=world.staff
    )
    assert (copy.course, copy.year, copy.starts_on, copy.ends_on) == (
        source.course,
        2025,
        date(2025, 2, 28),
        date(2025, 12, 20),
    )
    # modules with prerequisites
    modules = {m.title: m for m in Module.objects.filter(cohort=copy)}
    assert set(modules) == {"社区规划基础", "专业技能授课"}
    assert list(modules["专业技能授课"].requires.all()) == [modules["社区规划基础"]]
    # lessons with their reading material, the file copied in storage
    assert sorted(copy_lesson.title for m in modules.values() for copy_lesson in m.lessons.all()) == sorted(
        ["基础课1", "基础课2", "议事会的组织与主持", "河岗实地指导"]
    )
    old_file, new_file = LessonAttachment.objects.order_by("pk")
    assert new_file.lesson.module.cohort == copy and new_file.storage_name != old_file.storage_name
    assert (private_storage / new_file.storage_name).read_bytes() == PDF_BYTES
    # session slots moved by a year, with the place and the community, without instructors or teams
    sessions = list(Session.objects.filter(cohort=copy).order_by("starts_at"))
    assert [timezone_local(s.starts_at) for s in sessions] == [datetime(2025, 2, 28, 9), datetime(2025, 6, 1, 14)]
    assert sessions[0].check_in_opens_at.year == 2025 and sessions[0].place == "南海区委党校"
    assert all(s.lesson.module.cohort == copy for s in sessions)
    assert sessions[1].community == world.community and sessions[1].team is None
    assert not any(s.instructors.exists() for s in sessions)
    # assignments with rubrics, dates moved
    assignment = Assignment.objects.get(module__cohort=copy)
    assert (assignment.due_at.year, assignment.closes_at.year, assignment.allowed_extensions) == (
        2025,
        2025,
        ["pdf", "jpg"],
    )
    assert assignment.pass_mark == Decimal("12")
    assert [
        (lv.title, lv.description, lv.min_points, lv.max_points)
        for lv in RubricLevel.objects.filter(criterion__assignment=assignment).order_by(
            "criterion__position", "position"
        )
    ] == [("待改进", "描述", 0, 5), ("良好", "描述", 6, 10), ("待改进", "描述", 0, 5), ("良好", "描述", 6, 10)]
    # completion rule with the new cohort's lessons
    rule = CompletionRule.objects.get(cohort=copy)
    assert (rule.min_lesson_percent, rule.min_attendance_percent) == (80, 75)
    assert {lesson.module.cohort_id for lesson in rule.required_lessons.all()} == {copy.pk}
    assert sorted(lesson.title for lesson in rule.required_lessons.all()) == ["基础课1", "河岗实地指导"]
    # audited once, scoped to the new cohort
    entry = AuditEntry.objects.get(verb="cohort.copied")
    assert (entry.cohort_id, entry.district_id, entry.data["source"]) == (copy.pk, world.district.pk, source.pk)


def timezone_local(moment):
    from django.utils import timezone

    return timezone.localtime(moment).replace(tzinfo=None)


def test_copy_takes_nothing_of_people(world, source):
    copy = copy_services.cohort_copy(source=source, district=world.district, year=2025, name="新班", actor=world.staff)
    assert not Enrolment.objects.filter(cohort=copy).exists()
    assert not Team.objects.filter(cohort=copy).exists()
    assert not Teaching.objects.filter(cohort=copy).exists()
    assert not Submission.objects.filter(assignment__module__cohort=copy).exists()
    assert not Attendance.objects.filter(session__cohort=copy).exists()
    assert not Certificate.objects.filter(cohort=copy).exists()
    assert not Session.instructors.through.objects.filter(session__cohort=copy).exists()
    # and the source keeps everything
    assert Enrolment.objects.filter(cohort=source).count() == 1
    assert Attendance.objects.filter(session__cohort=source).count() == 1


def test_copy_plan_counts_what_will_be_copied_and_what_stays(source):
    plan = copy_services.cohort_copy_plan(cohort=source)
    assert (plan.modules, plan.prerequisites, plan.lessons, plan.attachments, plan.sessions) == (2, 1, 4, 1, 2)
    assert (plan.assignments, plan.criteria, plan.levels, plan.has_completion_rule) == (1, 2, 4, True)
    assert plan.left_behind == {"enrolments": 1, "teams": 1, "instructors": 1, "submissions": 1, "certificates": 0}


def _counts():
    return (
        Cohort.objects.count(),
        Module.objects.count(),
        LessonAttachment.objects.count(),
        AuditEntry.objects.changes().count(),
    )


def test_copy_into_a_district_not_governed_is_refused(world, source, english, private_storage):
    before, files = _counts(), sorted(private_storage.rglob("*"))
    with pytest.raises(NotAllowed) as raised:
        copy_services.cohort_copy(
            source=source, district=world.other_cohort.district, year=2025, name="越权", actor=world.staff
        )
    assert raised.value.code == "foreign_district"
    assert _counts() == before and sorted(private_storage.rglob("*")) == files


def test_copy_by_staff_of_another_district_or_an_instructor_is_refused(world, source):
    for actor in (world.other_staff, world.instructor):
        with pytest.raises(NotAllowed) as raised:
            copy_services.cohort_copy(source=source, district=world.district, year=2025, name="x", actor=actor)
        assert raised.value.code == "not_allowed"


def test_copy_into_a_year_not_later_or_taken_is_refused(world, source, english):
    before = _counts()
    with pytest.raises(ValidationFailed) as raised:
        copy_services.cohort_copy(source=source, district=world.district, year=2024, name="x", actor=world.staff)
    assert raised.value.code == "year_not_later"
    copy_services.cohort_copy(source=source, district=world.district, year=2026, name="x", actor=world.staff)
    with pytest.raises(Conflict) as raised:
        copy_services.cohort_copy(source=source, district=world.district, year=2026, name="y", actor=world.staff)
    assert raised.value.code == "cohort_exists"
    assert _counts()[0] == before[0] + 1


def test_staff_of_two_districts_copy_into_the_other(world, source):
    district = DistrictFactory()
    DistrictStaffFactory(district=district, user=world.staff)
    forget_roles(world.staff)
    copy = copy_services.cohort_copy(source=source, district=district, year=2025, name="顺德", actor=world.staff)
    assert copy.district == district


# --- pages


def test_copy_page_previews_then_copies(client, world, source):
    client.force_login(world.staff)
    url = f"/setup/cohorts/{source.pk}/copy/"
    page = client.get(url).content.decode()
    assert "南海区2025年培育班" in page  # the suggested name
    assert 'data-testid="copy-plan"' in page
    response = client.post(url, {"district": world.district.pk, "year": 2025, "name": "南海区2025年培育班"})
    copy = Cohort.objects.get(year=2025)
    assert response.status_code == 302 and response.url == f"/setup/cohorts/{copy.pk}/"


def test_copy_page_refuses_a_foreign_district_with_a_message(client, world, source):
    client.force_login(world.staff)
    before = _counts()
    response = client.post(
        f"/setup/cohorts/{source.pk}/copy/",
        {"district": world.other_cohort.district.pk, "year": 2025, "name": "越权"},
    )
    assert response.status_code == 400
    assert (
        "请选择您管辖的区" in response.content.decode() or "Choose a district you govern" in response.content.decode()
    )
    assert _counts() == before


def test_copy_page_of_a_foreign_cohort_is_not_found(client, world, source):
    client.force_login(world.other_staff)
    assert client.get(f"/setup/cohorts/{source.pk}/copy/").status_code == 404
    assert client.post(f"/setup/cohorts/{source.pk}/copy/", {"year": 2025, "name": "x"}).status_code == 404
