from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fieldwork import selectors, services
from fieldwork.models import SubmissionState
from tests.courses.factories import EnrolmentFactory
from tests.fieldwork.factories import AssignmentFactory, add_rubric, report


def _grow(field, trainees: int, assignments: int):
    world = field.world
    extra = [AssignmentFactory(module=world.skills, title=f"作业{i}") for i in range(assignments)]
    for assignment in extra:
        add_rubric(assignment)
    for _ in range(trainees):
        enrolment = EnrolmentFactory(cohort=world.cohort, community=world.community, team=field.team)
        for assignment in [field.assignment, *extra[:2]]:
            field.submitted(assignment=assignment, enrolment=enrolment, files=[report()])


def _count(func) -> int:
    with CaptureQueriesContext(connection) as queries:
        func()
    return len(queries)


def test_gradebook_and_queue_use_the_same_number_of_queries_at_two_sizes(field):
    world = field.world
    selectors.grading_queue(user=world.instructor)  # reads and caches the instructor's roles once
    _grow(field, trainees=2, assignments=1)
    small = (
        _count(lambda: selectors.gradebook(cohort=world.cohort)),
        _count(lambda: selectors.grading_queue(user=world.instructor)),
        _count(lambda: selectors.passed_assignments(cohort=world.cohort)),
    )
    small_rows = len(selectors.gradebook(cohort=world.cohort).rows)
    _grow(field, trainees=10, assignments=4)
    large = (
        _count(lambda: selectors.gradebook(cohort=world.cohort)),
        _count(lambda: selectors.grading_queue(user=world.instructor)),
        _count(lambda: selectors.passed_assignments(cohort=world.cohort)),
    )
    assert len(selectors.gradebook(cohort=world.cohort).rows) == small_rows + 10
    assert small == large
    assert large[0] <= 5 and large[1] <= 1


def test_gradebook_shows_member_adjustment_and_team_work_for_every_member(field):
    world = field.world
    submission = field.submitted(assignment=field.team_assignment)
    services.submission_grade(
        submission=submission,
        scores=field.scores(field.team_rubric, points=(9, 9)),
        feedback="",
        adjustments=[services.AdjustmentInput(field.teammate_enrolment.pk, Decimal(10), "缺席议事会")],
        actor=world.instructor,
    )
    book = selectors.gradebook(cohort=world.cohort, team_id=field.team.pk)
    column = book.assignments.index(field.team_assignment)
    cells = {row.enrolment.pk: row.cells[column] for row in book.rows}
    assert cells[world.enrolment.pk].score == Decimal(18) and not cells[world.enrolment.pk].adjusted
    assert cells[field.teammate_enrolment.pk].score == Decimal(10) and cells[field.teammate_enrolment.pk].adjusted
    assert cells[world.enrolment.pk].state == SubmissionState.GRADED


@pytest.mark.parametrize(("points", "passed"), [((6, 6), True), ((5, 5), False)])
def test_passed_assignments_needs_a_released_grade_at_the_pass_mark(field, points, passed):
    world = field.world
    submission = field.submitted()
    services.submission_grade(
        submission=submission, scores=field.scores(points=points), feedback="", actor=world.instructor
    )
    assert selectors.passed_assignments(cohort=world.cohort)[world.enrolment.pk] == set()  # not released yet
    services.grade_release(submission=submission, actor=world.instructor)
    result = selectors.passed_assignments(cohort=world.cohort)[world.enrolment.pk]
    assert (field.assignment.pk in result) is passed
