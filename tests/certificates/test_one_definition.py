"""Each rule has one home: eligibility, the cohort page, the overview and the API give the same answer."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from certificates import services as certificate_services
from certificates.eligibility import MET, UNMET, cohort_eligibility
from courses.models import Attendance, AttendanceSource
from courses.selectors import attendance_shares, district_cohort_overview
from fieldwork import selectors as fieldwork_selectors
from fieldwork import services as fieldwork_services
from tests.courses.factories import EnrolmentFactory, SessionFactory
from tests.fieldwork.conftest import Field

pytestmark = pytest.mark.django_db


def _mark(world, session, enrolment, status):
    Attendance.objects.create(
        session=session,
        enrolment=enrolment,
        status=status,
        source=AttendanceSource.INSTRUCTOR,
        recorded_by=world.instructor,
    )


def _eligibility(world, key):
    with translation.override("en"):
        rows = cohort_eligibility(cohort=world.cohort)
    return {row.enrolment.pk: next(r for r in row.results if r.key == key) for row in rows}


@pytest.fixture
def attendance_world(world):
    """Four held sessions and one to come; three trainees with different records."""
    lesson = world.basics_lessons[0]
    start = timezone.now() - timedelta(days=10)
    held = [SessionFactory(lesson=lesson, starts_at=start + timedelta(days=i)) for i in range(4)]
    upcoming = SessionFactory(lesson=lesson, starts_at=timezone.now() + timedelta(days=3))
    world.excused = EnrolmentFactory(cohort=world.cohort, community=world.community)
    world.silent = EnrolmentFactory(cohort=world.cohort, community=world.community)
    # world.enrolment: present, late, absent, no record → 2 of 4 = 50%
    _mark(world, held[0], world.enrolment, "present")
    _mark(world, held[1], world.enrolment, "late")
    _mark(world, held[2], world.enrolment, "absent")
    # world.excused: present ×2, excused ×2 → 2 of 2 = 100%
    for session, status in zip(held, ["present", "excused", "excused", "present"], strict=True):
        _mark(world, session, world.excused, status)
    # A record at a session not held yet never counts.
    _mark(world, upcoming, world.silent, "present")
    certificate_services.completion_rule_save(
        cohort=world.cohort, actor=world.staff, min_lesson_percent=0, min_attendance_percent=75
    )
    return world


def test_attendance_share_leaves_excused_out_and_counts_missing_records_against(attendance_world):
    w = attendance_world
    shares = attendance_shares(enrolments=[w.enrolment, w.excused, w.silent])
    assert (shares[w.enrolment.pk].attended, shares[w.enrolment.pk].counted, shares[w.enrolment.pk].percent) == (
        2,
        4,
        50,
    )
    assert (shares[w.excused.pk].attended, shares[w.excused.pk].counted, shares[w.excused.pk].percent) == (2, 2, 100)
    assert (shares[w.silent.pk].attended, shares[w.silent.pk].counted, shares[w.silent.pk].percent) == (0, 4, 0)


def test_cohort_page_and_eligibility_give_the_same_attendance(client, attendance_world):
    w = attendance_world
    client.force_login(w.staff)
    page = client.get(f"/cohorts/{w.cohort.pk}/").content.decode()
    on_page = {
        int(enrolment): int(percent)
        for enrolment, percent in re.findall(
            r'<tr data-enrolment="(\d+)">.*?data-testid="attendance" data-percent="(\d+)"', page, re.S
        )
    }
    eligibility = _eligibility(w, "attendance")
    in_rule = {pk: int(re.search(r"attendance (\d+)%", r.reason).group(1)) for pk, r in eligibility.items()}
    assert on_page == in_rule == {w.enrolment.pk: 50, w.excused.pk: 100, w.silent.pk: 0}
    assert eligibility[w.excused.pk].status == MET and eligibility[w.enrolment.pk].status == UNMET


def test_api_progress_and_district_overview_use_the_same_share(client, attendance_world):
    w = attendance_world
    client.force_login(w.staff)
    rows = client.get(f"/api/v1/progress/?cohort={w.cohort.pk}").json()["results"]
    assert {r["enrolment"]: r["attendance_percent"] for r in rows} == {
        w.enrolment.pk: 50,
        w.excused.pk: 100,
        w.silent.pk: 0,
    }
    overview = next(o for o in district_cohort_overview(user=w.staff) if o.cohort.pk == w.cohort.pk)
    # 4 held sessions × 3 trainees, less 2 excused; 4 attended.
    assert (overview.attended, overview.expected) == (4, 10)


@pytest.fixture
def field(world, media_root):
    return Field(world)


@pytest.fixture
def adjusted(field):
    """Team work graded 18 (pass mark 12); the teammate adjusted to 10, below the mark; then released."""
    world = field.world
    field.assignment.counts_toward_completion = False
    field.assignment.save(update_fields=["counts_toward_completion"])
    submission = field.submitted(assignment=field.team_assignment)
    fieldwork_services.submission_grade(
        submission=submission,
        scores=field.scores(field.team_rubric, points=(9, 9)),
        feedback="",
        adjustments=[fieldwork_services.AdjustmentInput(field.teammate_enrolment.pk, Decimal(10), "缺席议事会")],
        actor=world.instructor,
    )
    fieldwork_services.grade_release(submission=submission, actor=world.instructor)
    submission.refresh_from_db()
    field.team_submission = submission
    certificate_services.completion_rule_save(
        cohort=world.cohort, actor=world.staff, min_lesson_percent=0, require_assignments_passed=True
    )
    return field


def test_member_adjusted_below_the_pass_mark_has_not_passed(adjusted):
    world = adjusted.world
    passed = fieldwork_selectors.passed_assignments(cohort=world.cohort)
    assert adjusted.team_assignment.pk in passed[world.enrolment.pk]
    assert adjusted.team_assignment.pk not in passed[adjusted.teammate_enrolment.pk]
    eligibility = _eligibility(world, "assignments")
    assert eligibility[world.enrolment.pk].status == MET
    assert eligibility[adjusted.teammate_enrolment.pk].status == UNMET
    assert eligibility[adjusted.teammate_enrolment.pk].reason == "assignments passed 0 of 1"


def test_a_regrade_without_adjustment_gives_the_member_the_team_score_again(field):
    world = field.world
    submission = field.submitted(assignment=field.team_assignment)
    grade = {"submission": submission, "feedback": "", "actor": world.instructor}
    fieldwork_services.submission_grade(
        scores=field.scores(field.team_rubric, points=(9, 9)),
        adjustments=[fieldwork_services.AdjustmentInput(field.teammate_enrolment.pk, Decimal(10), "缺席议事会")],
        **grade,
    )
    key = (submission.pk, field.teammate_enrolment.pk)
    assert fieldwork_selectors.member_adjustments(submission_ids=[submission.pk]) == {key: Decimal(10)}
    fieldwork_services.submission_grade(scores=field.scores(field.team_rubric, points=(8, 8)), reason="重评", **grade)
    assert fieldwork_selectors.member_adjustments(submission_ids=[submission.pk]) == {}


def test_adjusted_member_sees_its_own_score_on_its_page_and_in_the_api(client, adjusted):
    world = adjusted.world
    submission = adjusted.team_submission
    assert submission.score == Decimal(18)
    for user, expected in ((adjusted.teammate, "10.0"), (world.trainee, "18.0")):
        client.force_login(user)
        page = client.get(f"/assignments/{adjusted.team_assignment.pk}/").content.decode()
        figure = re.search(r'data-testid="own-score">([^<]*)<', page).group(1)
        assert figure.split("/")[0].strip() == expected
        assert client.get(f"/api/v1/submissions/{submission.pk}/").json()["submission"]["score"] == expected
        listed = client.get(f"/api/v1/submissions/?assignment={adjusted.team_assignment.pk}").json()["results"]
        assert [row["score"] for row in listed] == [expected]
    # The instructor sees the team's score for the work itself.
    client.force_login(world.instructor)
    assert client.get(f"/api/v1/submissions/{submission.pk}/").json()["submission"]["score"] == "18.0"
