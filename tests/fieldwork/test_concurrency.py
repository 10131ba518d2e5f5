"""Two transitions of one submission at once, on real PostgreSQL with a connection per thread: the row lock
(select_for_update) serialises them, so they end in one consistent state whatever the order."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from fieldwork import services
from fieldwork.models import Assessment, AssessmentOutcome, GradeChange, SubmissionState, SubmissionVersion
from lms.errors import Conflict
from lms.models import AuditEntry
from tests.fieldwork.factories import report

pytestmark = pytest.mark.django_db(transaction=True)


def race(*calls):
    """Run the calls at the same moment in threads of their own; (results, errors) by call."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # compared below
            errors[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_double_submit_hands_in_one_version(field, media_root):
    world = field.world
    submission = services.submission_start(assignment=field.assignment, enrolment=world.enrolment, actor=world.trainee)
    services.submission_file_add(submission=submission, uploads_=[report()], actor=world.trainee)
    results, errors = race(
        lambda: services.submission_submit(submission=submission, actor=world.trainee),
        lambda: services.submission_submit(submission=submission, actor=world.trainee),
    )
    assert sum(r is not None for r in results) == 1
    refused = [e for e in errors if e is not None]
    assert len(refused) == 1 and isinstance(refused[0], Conflict) and refused[0].code == "not_editable"
    submission.refresh_from_db()
    assert submission.state == SubmissionState.SUBMITTED
    assert SubmissionVersion.objects.filter(submission=submission).count() == 1
    assert AuditEntry.objects.filter(verb="submission.submitted").count() == 1


def test_regrade_against_release_ends_consistently(field, media_root):
    world = field.world
    submission = field.graded()  # scores 8 + 7 = 15
    assert submission.score == Decimal(15)
    _results, errors = race(
        lambda: services.submission_grade(
            submission=submission,
            scores=field.scores(points=(9, 9)),
            feedback="重评",
            reason="复核后加分",
            actor=world.instructor,
        ),
        lambda: services.grade_release(submission=submission, actor=world.instructor),
    )
    regrade_error, release_error = errors
    assert release_error is None  # a release of graded work always goes through
    submission.refresh_from_db()
    assert submission.state == SubmissionState.RELEASED and submission.released_at is not None
    latest = (
        Assessment.objects.filter(version__submission=submission, outcome=AssessmentOutcome.GRADED)
        .order_by("created_at", "pk")
        .last()
    )
    if regrade_error is None:  # the regrade ran first, then the release: the new score is released
        assert submission.score == Decimal(18) == latest.total
    else:  # the release ran first: the regrade is refused and nothing of it is written
        assert isinstance(regrade_error, Conflict) and regrade_error.code == "invalid_transition"
        assert submission.score == Decimal(15) == latest.total
        assert Assessment.objects.filter(version__submission=submission).count() == 1
    # The grade history ends where the submission is.
    last_change = GradeChange.objects.filter(submission=submission).order_by("changed_at", "pk").last()
    assert (last_change.new_state, last_change.new_score) == (SubmissionState.RELEASED, submission.score)
