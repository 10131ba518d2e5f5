"""Corrections of a released grade, and finality when the objection window ends."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from fieldwork import services
from fieldwork.models import Assessment, GradeChange, Submission, SubmissionState
from fieldwork.tasks import finalise_grades
from lms.errors import Conflict, NotAllowed, ValidationFailed
from lms.models import AuditEntry
from notifications.models import Kind, Notification

pytestmark = pytest.mark.django_db


def db_state():
    return (
        sorted(Submission.objects.values_list("pk", "state", "score")),
        Assessment.objects.count(),
        GradeChange.objects.count(),
        Notification.objects.count(),
        AuditEntry.objects.count(),
    )


def correct(field, submission, actor, reason="第二项评分有误，按评分标准更正", points=(9, 9)):
    return services.grade_correct(submission=submission, scores=field.scores(points=points), reason=reason, actor=actor)


@pytest.mark.parametrize("who", ["instructor", "staff"])
def test_a_released_grade_is_corrected_with_a_reason_and_the_trainee_told(field, who):
    submission = field.released()
    assert submission.score == 15
    actor = getattr(field.world, who)
    correct(field, submission, actor)
    submission.refresh_from_db()
    assert (submission.state, submission.score) == (SubmissionState.RELEASED, 18)
    change = submission.grade_changes.order_by("pk").last()
    assert (change.old_score, change.new_score, change.changed_by, change.reason) == (
        15,
        18,
        actor,
        "第二项评分有误，按评分标准更正",
    )
    told = Notification.objects.get(kind=Kind.GRADE_CORRECTED)
    assert told.recipient == field.world.trainee and told.payload["reason"] == "第二项评分有误，按评分标准更正"
    entry = AuditEntry.objects.get(verb="grade.corrected")
    assert entry.data == {"old": "15.0", "new": "18.0", "reason": "第二项评分有误，按评分标准更正"}


def test_a_final_grade_can_be_corrected_too(field):
    submission = field.released()
    Submission.objects.filter(pk=submission.pk).update(state=SubmissionState.FINAL)
    submission.refresh_from_db()
    correct(field, submission, field.world.instructor)
    submission.refresh_from_db()
    assert (submission.state, submission.score) == (SubmissionState.FINAL, 18)


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_correction_without_a_reason_is_refused(field, reason, english):
    submission = field.released()
    before = db_state()
    with pytest.raises(ValidationFailed, match="Say why the grade is corrected") as caught:
        correct(field, submission, field.world.instructor, reason=reason)
    assert caught.value.status_code == 400 and "reason" in caught.value.fields
    assert db_state() == before


def test_an_unreleased_grade_cannot_be_corrected(field, english):
    submission = field.graded()
    before = db_state()
    with pytest.raises(Conflict, match="Only a released grade can be corrected") as caught:
        correct(field, submission, field.world.instructor)
    assert caught.value.code == "not_released" and caught.value.status_code == 409
    assert db_state() == before


def test_a_grade_under_objection_is_answered_not_corrected(field, english):
    submission = field.released()
    services.objection_raise(submission=submission, reason="评分偏低", actor=field.world.trainee)
    before = db_state()
    with pytest.raises(Conflict) as caught:
        correct(field, submission, field.world.instructor)
    assert caught.value.code == "objection_pending"
    assert db_state() == before


def test_trainees_and_other_districts_cannot_correct(field):
    submission = field.released()
    before = db_state()
    with pytest.raises(NotAllowed) as caught:
        correct(field, submission, field.world.trainee)
    assert caught.value.code == "not_allowed"
    for outsider in (field.world.other_staff, field.world.other_instructor):
        with pytest.raises(Exception) as caught:
            correct(field, submission, outsider)
        assert caught.value.code == "not_found"
    assert db_state() == before


def _grade_post(field, **extra):
    criteria = [(c, high) for c, _low, high in field.rubric]
    data = {"action": "correct", "feedback": ""}
    for criterion, level in criteria:
        data[f"level_{criterion.pk}"] = level.pk
        data[f"points_{criterion.pk}"] = "9"
    return {**data, **extra}


def test_the_grading_page_corrects_and_the_trainee_page_shows_it(client, field):
    submission = field.released()
    client.force_login(field.world.staff)
    page = client.get(f"/submissions/{submission.pk}/grade/").content.decode()
    assert 'data-testid="correct-grade"' in page
    missing = client.post(f"/submissions/{submission.pk}/grade/", _grade_post(field, reason=""))
    assert missing.status_code == 400
    text = missing.content.decode()
    assert 'id="reason-error"' in text and 'data-testid="grading-form"' in text  # the form is kept
    done = client.post(f"/submissions/{submission.pk}/grade/", _grade_post(field, reason="核分有误"))
    assert done.status_code == 302
    client.force_login(field.world.trainee)
    trainee_page = client.get(f"/assignments/{field.assignment.pk}/").content.decode()
    assert 'data-testid="grade-corrections"' in trainee_page and "核分有误" in trainee_page
    assert "15.0 → 18.0" in trainee_page
    client.force_login(field.world.instructor)
    history = client.get(f"/submissions/{submission.pk}/grade/").content.decode()
    assert "核分有误" in history


# --- finality


def test_a_released_grade_becomes_final_when_its_window_ends(field):
    submission = field.released()
    window = timedelta(days=submission.assignment.objection_window_days)
    assert services.grades_finalise_due(now=submission.released_at + window) == 0  # the last moment is still open
    later = submission.released_at + window + timedelta(minutes=1)
    assert services.grades_finalise_due(now=later) == 1
    submission.refresh_from_db()
    assert submission.state == SubmissionState.FINAL
    change = submission.grade_changes.order_by("pk").last()
    assert change.changed_by is None and (change.old_state, change.new_state) == ("released", "final")
    assert AuditEntry.objects.filter(verb="grade.finalised", actor__isnull=True).count() == 1
    before = db_state()
    assert services.grades_finalise_due(now=later) == 0  # safe to run twice
    assert db_state() == before


def test_graded_unreleased_and_objected_grades_are_left_alone(field):
    graded = field.graded()
    objected = field.released(enrolment=field.classmate_enrolment)
    services.objection_raise(submission=objected, reason="有异议", actor=field.classmate)
    assert services.grades_finalise_due(now=timezone.now() + timedelta(days=400)) == 0
    graded.refresh_from_db()
    objected.refresh_from_db()
    assert (graded.state, objected.state) == ("graded", "objected")


def test_the_window_query_agrees_with_the_predicate(field):
    released = field.released()
    field.graded(enrolment=field.classmate_enrolment)
    for days in (0, 6, 7, 8, 30):
        now = released.released_at + timedelta(days=days, seconds=1)
        listed = set(Submission.objects.objection_window_ended(now).values_list("pk", flat=True))
        for submission in Submission.objects.select_related("assignment"):
            assert submission.objection_window_ended(now) == (submission.pk in listed), (days, submission)


def test_the_beat_task_finalises_and_the_trainee_page_says_so(client, field):
    assert settings.CELERY_BEAT_SCHEDULE["fieldwork-finalise-grades"]["task"] == "fieldwork.finalise_grades"
    submission = field.released()
    Submission.objects.filter(pk=submission.pk).update(released_at=timezone.now() - timedelta(days=8))
    assert finalise_grades() == 1
    client.force_login(field.world.trainee)
    page = client.get(f"/assignments/{field.assignment.pk}/").content.decode()
    assert 'data-testid="grade-final"' in page and 'data-testid="objection-form"' not in page
    client.force_login(field.world.instructor)
    grading = client.get(f"/submissions/{submission.pk}/grade/").content.decode()
    assert "系统" in grading


def test_a_grading_typo_keeps_the_typed_rubric_and_feedback(client, field):
    submission = field.submitted()
    client.force_login(field.world.instructor)
    (first, _low, high), (second, low2, _high2) = field.rubric
    before = db_state()
    response = client.post(
        f"/submissions/{submission.pk}/grade/",
        {
            "action": "grade",
            f"level_{first.pk}": high.pk,
            f"points_{first.pk}": "8",
            f"level_{second.pk}": low2.pk,
            f"points_{second.pk}": "9",  # above the low level's 5
            "feedback": "居民参与部分再补充访谈。",
        },
    )
    text = response.content.decode()
    assert response.status_code == 400 and 'data-testid="grading-form"' in text
    assert f'value="{low2.pk}" data-min' in text and "checked" in text.split(f'value="{low2.pk}"')[1][:120]
    assert 'value="9"' in text and "居民参与部分再补充访谈。" in text
    assert db_state() == before
