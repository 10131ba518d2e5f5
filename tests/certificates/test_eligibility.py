"""Each completion criterion against the real records of courses (attendance) and fieldwork (grades, cases)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from certificates import services
from certificates.eligibility import MET, UNMET, cohort_eligibility
from courses.models import Attendance, AttendanceSource
from fieldwork.models import Submission, SubmissionState, WorkMode
from fieldwork.projects.models import CaseStatus
from tests.certificates.factories import complete_all_lessons
from tests.courses.factories import EnrolmentFactory, LessonFactory, SessionFactory, TeamFactory
from tests.fieldwork.factories import AssignmentFactory
from tests.lms.factories import UserFactory
from tests.projects.factories import FieldProjectFactory, ModelCaseFactory

pytestmark = pytest.mark.django_db


def results(world, key):
    with translation.override("en"):
        rows = cohort_eligibility(cohort=world.cohort)
    return {row.enrolment.pk: next((r for r in row.results if r.key == key), None) for row in rows}, {
        row.enrolment.pk: row.eligible for row in rows
    }


def rule(world, **values):
    services.completion_rule_save(cohort=world.cohort, actor=world.staff, min_lesson_percent=100, **values)


def test_attendance_share_counts_held_sessions_and_leaves_excused_ones_out(certified_world):
    w = certified_world
    rule(w, min_attendance_percent=80)
    lesson = w.basics_lessons[0]
    past = timezone.now() - timedelta(days=10)
    held = [SessionFactory(lesson=lesson, starts_at=past + timedelta(days=i)) for i in range(5)]
    SessionFactory(lesson=lesson, starts_at=timezone.now() + timedelta(days=5))  # not held yet: not counted
    marks = ["present", "late", "present", "excused", "absent"]  # 3 of 4 counted = 75%
    for session, status in zip(held, marks, strict=True):
        Attendance.objects.create(
            session=session,
            enrolment=w.done,
            status=status,
            source=AttendanceSource.INSTRUCTOR,
            recorded_by=w.instructor,
        )
        Attendance.objects.create(
            session=session,
            enrolment=w.enrolment,
            status="present",
            source=AttendanceSource.INSTRUCTOR,
            recorded_by=w.instructor,
        )
    by_enrolment, eligible = results(w, "attendance")
    assert by_enrolment[w.done.pk].status == UNMET and by_enrolment[w.done.pk].reason == "attendance 75% < 80%"
    assert by_enrolment[w.enrolment.pk].status == MET
    assert eligible[w.enrolment.pk] and not eligible[w.done.pk]


def test_required_assignments_must_be_released_at_or_above_the_pass_mark(certified_world):
    w = certified_world
    rule(w, require_assignments_passed=True)
    team = TeamFactory(cohort=w.cohort)
    w.done.team = team
    w.done.save()
    individual = AssignmentFactory(module=w.basics, pass_mark=Decimal("12"))
    team_work = AssignmentFactory(module=w.basics, pass_mark=Decimal("60"), mode=WorkMode.TEAM)
    AssignmentFactory(module=w.basics, counts_toward_completion=False)  # optional: never blocks
    now = timezone.now()
    released = {"state": SubmissionState.RELEASED, "released_at": now, "submitted_at": now}
    Submission.objects.create(assignment=individual, enrolment=w.done, score=Decimal("12"), **released)
    Submission.objects.create(assignment=team_work, team=team, score=Decimal("75"), **released)
    Submission.objects.create(assignment=individual, enrolment=w.enrolment, score=Decimal("11.5"), **released)
    by_enrolment, eligible = results(w, "assignments")
    assert by_enrolment[w.done.pk].status == MET
    assert by_enrolment[w.enrolment.pk].reason == "assignments passed 0 of 2"
    # Graded but not released yet: does not count.
    Submission.objects.filter(enrolment=w.done).update(state=SubmissionState.GRADED)
    by_enrolment, eligible = results(w, "assignments")
    assert by_enrolment[w.done.pk].reason == "assignments passed 1 of 2" and not eligible[w.done.pk]


def test_model_case_must_be_approved_for_the_trainees_team(certified_world):
    w = certified_world
    rule(w, require_model_case_approved=True)
    approved_team, draft_team = TeamFactory(cohort=w.cohort), TeamFactory(cohort=w.cohort)
    ModelCaseFactory(project=FieldProjectFactory(team=approved_team, community=w.community), status=CaseStatus.APPROVED)
    ModelCaseFactory(project=FieldProjectFactory(team=draft_team, community=w.community), status=CaseStatus.SUBMITTED)
    w.done.team = approved_team
    w.done.save()
    w.enrolment.team = draft_team
    w.enrolment.save()
    by_enrolment, eligible = results(w, "model_case")
    assert by_enrolment[w.done.pk].status == MET and eligible[w.done.pk]
    assert by_enrolment[w.enrolment.pk].reason == "model case not approved yet" and not eligible[w.enrolment.pk]
    assert by_enrolment[w.lagging.pk].reason == "no team, so no model case"


def test_eligibility_costs_the_same_queries_for_3_and_23_trainees(certified_world):
    w = certified_world
    rule(w, min_attendance_percent=80, require_assignments_passed=True, require_model_case_approved=True)
    w.cohort.refresh_from_db()
    LessonFactory(module=w.basics, position=9)

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            cohort_eligibility(cohort=w.cohort)
        return len(queries)

    small = count()
    for n in range(20):
        complete_all_lessons(
            EnrolmentFactory(cohort=w.cohort, community=w.community, trainee=UserFactory(full_name=f"学员{n}"))
        )
    assert count() == small
