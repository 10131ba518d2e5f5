"""Roles that cannot collide: never trainee and instructor of one cohort; nobody acts on a grade of own work."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from courses.enrol_sheets import read_sheet
from courses.models import Enrolment, EnrolmentChange, Teaching
from courses.services.enrol_sheet import SheetHasErrors, enrol_sheet_commit, enrol_sheet_preview
from courses.services.teaching import teaching_add
from fieldwork import services
from fieldwork.models import Assessment, GradeChange, Objection, Submission, SubmissionState
from fieldwork.services.grading import OwnWork
from lms.errors import Conflict
from lms.models import AuditEntry
from lms.predicates import cohort_role_conflict_q, is_work_member, teaches_cohort, work_member_q
from tests.courses.factories import EnrolmentFactory, TeachingFactory
from tests.courses.sheets import xlsx_bytes
from tests.fieldwork.conftest import Field

pytestmark = pytest.mark.django_db


def db_state():
    return (
        sorted(Enrolment.objects.values_list("pk", "cohort_id", "trainee_id", "status")),
        sorted(Teaching.objects.values_list("cohort_id", "instructor_id")),
        sorted(Submission.objects.values_list("pk", "state", "score")),
        Assessment.objects.count(),
        GradeChange.objects.count(),
        AuditEntry.objects.changes().count(),
    )


# --- never trainee and instructor of one cohort


def test_the_sheet_refuses_a_row_whose_mobile_is_the_cohorts_instructor(world, english):
    world.instructor.full_name, world.instructor.mobile = "陈思远", "13912345678"
    world.instructor.save()
    rows = read_sheet(name="s.xlsx", data=xlsx_bytes([["张老师", "13912345678", "河岗社区", "河岗组", ""]]))
    [row] = enrol_sheet_preview(cohort=world.cohort, rows=rows, actor=world.staff).rows
    assert row.outcome == "error"
    assert "instructor of this cohort" in "；".join(row.reasons)
    before = db_state()
    with pytest.raises(SheetHasErrors) as caught:
        enrol_sheet_commit(cohort=world.cohort, rows=rows, actor=world.staff)
    assert caught.value.code == "sheet_rows_invalid"
    assert db_state() == before


def test_the_sheet_page_end_to_end_refuses_the_instructor_and_commits_nothing(client, world):
    """The issue's case: a sheet row carrying the instructor's mobile, uploaded and committed through the pages."""
    world.instructor.mobile = "13912345678"
    world.instructor.save()
    client.force_login(world.staff)
    data = xlsx_bytes(
        [["学员甲", "13900000001", "河岗社区", "河岗组", ""], ["张老师", "13912345678", "河岗社区", "河岗组", ""]]
    )
    before = db_state()
    response = client.post(f"/cohorts/{world.cohort.pk}/enrol-sheet/", {"sheet": SimpleUploadedFile("名单.xlsx", data)})
    text = response.content.decode()
    assert response.status_code == 400
    assert 'data-row="3" data-outcome="error"' in text and "本期导师" in text
    assert 'name="staged"' not in text  # no commit is offered
    assert db_state() == before
    assert (
        not teaches_cohort(world.instructor, world.cohort)
        or not Enrolment.objects.filter(trainee=world.instructor, cohort=world.cohort).exists()
    )


def test_one_by_one_form_and_api_refuse_enrolling_an_instructor(client, world):
    world.instructor.mobile = "13912345678"
    world.instructor.save()
    client.force_login(world.staff)
    before = db_state()
    page = client.post(
        f"/cohorts/{world.cohort.pk}/enrol/", {"trainee": "13912345678", "community": world.community.pk}
    )
    assert page.status_code == 409 and "本期导师" in page.content.decode()
    api = client.post(
        "/api/v1/enrolments/",
        {"cohort": world.cohort.pk, "trainee": world.instructor.pk, "community": world.community.pk},
        content_type="application/json",
    )
    assert api.status_code == 409 and api.json()["error"]["code"] == "role_conflict"
    assert db_state() == before


def test_a_trainee_cannot_be_made_instructor_of_the_same_cohort(client, world, english):
    before = db_state()
    with pytest.raises(Conflict, match="trainee of this cohort") as caught:
        teaching_add(cohort=world.cohort, instructor=world.trainee, actor=world.staff)
    assert caught.value.code == "role_conflict"
    client.force_login(world.staff)
    page = client.post(f"/cohorts/{world.cohort.pk}/instructors/", {"instructor": world.trainee.pk})
    assert page.status_code == 409
    assert db_state() == before
    # Another cohort is no conflict: last year's trainee may teach this year.
    assert teaching_add(cohort=world.other_cohort, instructor=world.trainee, actor=_superuser())


def _superuser():
    from tests.lms.factories import UserFactory

    return UserFactory(is_superuser=True)


def test_the_admin_refuses_both_directions(client, world):
    admin = _superuser()
    client.force_login(admin)
    before = db_state()
    response = client.post(
        "/admin/courses/enrolment/add/",
        {"cohort": world.cohort.pk, "trainee": world.instructor.pk, "community": world.community.pk, "team": ""},
    )
    assert response.status_code == 200 and "本期导师" in response.content.decode()
    cohort = world.cohort
    teachings = list(Teaching.objects.filter(cohort=cohort))
    data = {
        "course": cohort.course_id,
        "district": cohort.district_id,
        "name": cohort.name,
        "year": cohort.year,
        "starts_on": cohort.starts_on.isoformat(),
        "ends_on": cohort.ends_on.isoformat(),
        "teachings-TOTAL_FORMS": len(teachings) + 1,
        "teachings-INITIAL_FORMS": len(teachings),
        "teachings-MIN_NUM_FORMS": 0,
        "teachings-MAX_NUM_FORMS": 1000,
        f"teachings-{len(teachings)}-instructor": world.trainee.pk,
        f"teachings-{len(teachings)}-cohort": cohort.pk,
    }
    for i, teaching in enumerate(teachings):
        data.update(
            {
                f"teachings-{i}-id": teaching.pk,
                f"teachings-{i}-instructor": teaching.instructor_id,
                f"teachings-{i}-cohort": cohort.pk,
            }
        )
    response = client.post(f"/admin/courses/cohort/{cohort.pk}/change/", data)
    assert response.status_code == 200 and "本期学员" in response.content.decode()
    assert db_state() == before


# --- nobody acts on a grade of their own work


class Conflicted:
    """The issue's story as rows written before the rule: the instructor enrolled in the cohort he teaches,
    in a team whose work he then graded."""

    def __init__(self, world):
        self.field = Field(world)
        # Rows a database may hold from before the rule: written directly, as the old sheet did.
        self.enrolment = EnrolmentFactory(
            cohort=world.cohort, community=world.community, trainee=world.instructor, team=self.field.team
        )
        self.grader = TeachingFactory(cohort=world.cohort).instructor  # a second instructor: no conflict
        self.submission = self.field.submitted(assignment=self.field.team_assignment)


def test_an_instructor_cannot_grade_adjust_or_release_his_teams_work(world, english):
    c = Conflicted(world)
    assert is_work_member(world.instructor, c.submission)
    before = db_state()
    with pytest.raises(OwnWork) as caught:
        services.submission_grade(
            submission=c.submission,
            scores=c.field.scores(c.field.team_rubric),
            feedback="自评",
            adjustments=[services.AdjustmentInput(c.enrolment.pk, 40, "自评")],
            actor=world.instructor,
        )
    assert caught.value.code == "own_work"
    with pytest.raises(OwnWork) as caught:
        services.submission_return(submission=c.submission, feedback="x", actor=world.instructor)
    assert caught.value.code == "own_work"
    assert db_state() == before
    services.submission_grade(
        submission=c.submission, scores=c.field.scores(c.field.team_rubric), feedback="好", actor=c.grader
    )
    before = db_state()
    with pytest.raises(OwnWork) as caught:
        services.grade_release(submission=c.submission, actor=world.instructor)
    assert caught.value.code == "own_work"
    assert services.assignment_release_grades(assignment=c.field.team_assignment, actor=world.instructor) == 0
    c.submission.refresh_from_db()
    assert c.submission.state == SubmissionState.GRADED
    services.grade_release(submission=c.submission, actor=c.grader)
    objection = services.objection_raise(submission=c.submission, reason="分数偏低", actor=world.trainee)
    before = db_state()
    with pytest.raises(OwnWork) as caught:
        services.objection_resolve(objection=objection, outcome="upheld", response="维持", actor=world.instructor)
    assert caught.value.code == "own_work"
    assert db_state() == before
    services.objection_resolve(objection=objection, outcome="upheld", response="维持", actor=c.grader)
    before = db_state()
    with pytest.raises(OwnWork) as caught:
        services.grade_correct(
            submission=c.submission, scores=c.field.scores(c.field.team_rubric), reason="自评", actor=world.instructor
        )
    assert caught.value.code == "own_work"
    assert db_state() == before


def test_the_grading_page_says_why_and_refuses_the_post(client, world):
    c = Conflicted(world)
    client.force_login(world.instructor)
    page = client.get(f"/submissions/{c.submission.pk}/grade/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="own-work"' in text and 'data-testid="grading-form"' not in text
    before = db_state()
    response = client.post(f"/submissions/{c.submission.pk}/grade/", {"action": "grade", "feedback": "自评"})
    assert response.status_code == 403
    assert db_state() == before


def test_a_moved_member_still_cannot_grade_the_work_of_the_team_he_left(world):
    c = Conflicted(world)
    old_team = c.field.team
    EnrolmentChange.objects.create(
        enrolment=c.enrolment,
        kind="move",
        effective_on=world.cohort.starts_on,
        reason="换组",
        from_team=old_team,
        from_team_name=old_team.name,
        from_community=world.community,
        to_community=world.community,
        changed_by=world.staff,
    )
    Enrolment.objects.filter(pk=c.enrolment.pk).update(team=None)
    assert is_work_member(world.instructor, c.submission)


def test_is_work_member_agrees_with_its_twin(world):
    c = Conflicted(world)
    own = c.field.submitted()  # world.trainee's individual work
    people = [world.instructor, c.grader, world.trainee, c.field.teammate, c.field.classmate, world.staff]
    for person in people:
        rows = set(Submission.objects.filter(work_member_q(person)).values_list("pk", flat=True))
        for submission in Submission.objects.all():
            assert is_work_member(person, submission) == (submission.pk in rows), (person, submission)
    assert is_work_member(world.trainee, own) and not is_work_member(c.grader, own)


def test_teaches_cohort_agrees_with_the_conflict_twin(world):
    Conflicted(world)
    listed = set(Enrolment.objects.filter(cohort_role_conflict_q()).values_list("pk", flat=True))
    for enrolment in Enrolment.objects.select_related("trainee", "cohort"):
        assert teaches_cohort(enrolment.trainee, enrolment.cohort) == (enrolment.pk in listed)
    assert listed


def test_the_command_lists_rows_that_break_the_rule(world, capsys):
    c = Conflicted(world)
    with pytest.raises(SystemExit):
        call_command("role_conflicts")
    # Rows graded by a member before the rule: written as the old code did.
    assessment = Assessment.objects.create(
        version=c.submission.versions.get(), grader=world.instructor, outcome="graded", total=40
    )
    GradeChange.objects.create(
        submission=c.submission,
        changed_by=world.instructor,
        old_state="graded",
        new_state="released",
        old_score=40,
        new_score=40,
    )
    Objection.objects.create(
        submission=c.submission,
        raised_by=world.trainee,
        reason="x",
        outcome="upheld",
        response="y",
        resolved_by=world.instructor,
    )
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        call_command("role_conflicts")
    out = capsys.readouterr().out
    assert exited.value.code == 1
    assert f"enrolment {c.enrolment.pk}" in out and "trainee-and-instructor" in out
    assert f"assessment {assessment.pk}" in out and "released-own-grade" in out and "answered-own-objection" in out
    assert "4 conflict(s) found." in out


def test_the_command_is_quiet_on_a_clean_database(world, capsys):
    Field(world)
    call_command("role_conflicts")
    assert "No conflicts found." in capsys.readouterr().out
