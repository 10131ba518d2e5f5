"""Grading of field assignments: return, grade, release, objections."""

from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import Enrolment
from fieldwork.models import (
    RELEASED_STATES,
    Assessment,
    AssessmentOutcome,
    Assignment,
    CriterionScore,
    FeedbackFile,
    MemberAdjustment,
    Objection,
    ObjectionOutcome,
    Submission,
    SubmissionState,
    SubmissionVersion,
)
from fieldwork.services.submissions import _grade_change, _lock, _move
from lms import previews, uploads
from lms.audit import audit_record
from lms.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from lms.models import User
from lms.predicates import is_cohort_instructor, is_work_member, work_member_q
from notifications.models import Kind
from notifications.services import notify, notify_instructors


@dataclass(frozen=True)
class ScoreInput:
    criterion_id: int
    level_id: int
    points: Decimal


@dataclass(frozen=True)
class AdjustmentInput:
    enrolment_id: int
    total: Decimal
    reason: str


class OwnWork(NotAllowed):
    code = "own_work"

    def __init__(self):
        super().__init__(
            _(
                "This is your own work or your team's: another instructor of the cohort grades, releases, "
                "corrects it and answers objections to it."
            )
        )


def grading_refusal(submission: Submission, actor: User) -> NotAllowed:
    """Why the actor may not grade this work: it is their own (or their team's), or they do not teach it."""
    if (actor.is_superuser or is_cohort_instructor(actor, submission)) and is_work_member(actor, submission):
        return OwnWork()
    return NotAllowed(_("Only instructors of this cohort can grade its work."))


def _check_grader(submission: Submission, actor: User) -> None:
    if not actor.has_perm("fieldwork.view_submission_content", submission):
        raise NotFound(_("This page does not exist, or you do not have access to it."))
    if not actor.has_perm("fieldwork.grade_submission", submission):
        raise grading_refusal(submission, actor)


def _latest_version(submission: Submission) -> SubmissionVersion:
    version = submission.versions.order_by("-number").first()
    if version is None:
        raise Conflict(_("Nothing has been handed in yet."), code="nothing_submitted")
    return version


def _store_feedback_files(assessment: Assessment, files: list, actor: User) -> None:
    for upload in files or []:
        checked = uploads.check_upload(
            upload, allowed_extensions=uploads_default_extensions(), max_file_size=50 * 1024 * 1024
        )
        stored = uploads.store_checked(checked, folder=f"feedback/{assessment.pk}")
        row = FeedbackFile.objects.create(
            assessment=assessment, uploaded_by=actor, **uploads.stored_file_fields(checked, stored)
        )
        previews.queue_after_commit([row])


def uploads_default_extensions() -> list[str]:
    from fieldwork.models import DEFAULT_EXTENSIONS

    return DEFAULT_EXTENSIONS


def _points(value) -> Decimal | None:
    """Finite points to one decimal, or None for NaN, infinity, text or a number too long to keep."""
    try:
        points = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return points if points.is_finite() else None


def _validated_scores(submission: Submission, scores: list[ScoreInput]) -> tuple[list[tuple], Decimal]:
    """Each criterion scored once, with a level of that criterion and points inside the level's range."""
    criteria = {c.pk: c for c in submission.assignment.criteria.prefetch_related("levels")}
    if not criteria:
        raise Conflict(_("This assignment has no rubric yet."), code="no_rubric")
    given = {s.criterion_id: s for s in scores}
    missing = [c.title for pk, c in criteria.items() if pk not in given]
    if missing or len(given) != len(scores) or set(given) - set(criteria):
        raise ValidationFailed(
            _("Score every criterion of the rubric once: %(missing)s.") % {"missing": "、".join(missing) or "?"},
            code="rubric_incomplete",
        )
    rows, total, errors = [], Decimal(0), {}
    for criterion_id, item in given.items():
        criterion = criteria[criterion_id]
        level = next((lv for lv in criterion.levels.all() if lv.pk == item.level_id), None)
        points = _points(item.points)
        if level is None:
            errors[f"criterion_{criterion_id}"] = [_("Choose a level of this criterion.")]
            continue
        if points is None or not (level.min_points <= points <= level.max_points):
            errors[f"criterion_{criterion_id}"] = [
                _("“%(criterion)s”: the level “%(level)s” allows %(min)s to %(max)s points.")
                % {"criterion": criterion.title, "level": level.title, "min": level.min_points, "max": level.max_points}
            ]
            continue
        rows.append((criterion, level, points))
        total += points
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], code="score_out_of_range", fields=errors)
    return rows, total


@transaction.atomic
def submission_return(*, submission: Submission, feedback: str, actor: User, feedback_files=()) -> Assessment:
    """Send the work back for revision with feedback; the trainee may hand in a new version."""
    submission = _lock(submission)
    _check_grader(submission, actor)
    if not (feedback or "").strip():
        raise ValidationFailed(_("Say what should be revised."), fields={"feedback": [_("This field is required.")]})
    _move(submission, SubmissionState.RETURNED)
    assessment = Assessment.objects.create(
        version=_latest_version(submission), grader=actor, outcome=AssessmentOutcome.RETURNED, feedback=feedback.strip()
    )
    _store_feedback_files(assessment, list(feedback_files), actor)
    submission.save(update_fields=["state", "updated_at"])
    audit_record(actor=actor, verb="submission.returned", target=submission)
    notify(kind=Kind.WORK_RETURNED, target=submission)
    return assessment


def _write_assessment(*, submission, actor, scores, feedback, adjustments, feedback_files) -> Assessment:
    rows, total = _validated_scores(submission, scores)
    member_ids = set()
    if adjustments:
        if not submission.team_id:
            raise ValidationFailed(_("Only a team's work can have member adjustments."), code="invalid")
        member_ids = set(Enrolment.objects.filter(team_id=submission.team_id).values_list("pk", flat=True))
    adjustments = [replace(adj, total=_points(adj.total)) for adj in adjustments or []]
    for adj in adjustments:
        if adj.enrolment_id not in member_ids:
            raise ValidationFailed(_("That trainee is not a member of this team."), code="invalid")
        if not (adj.reason or "").strip():
            raise ValidationFailed(
                _("Give a reason for adjusting a member's score."), fields={"reason": [_("This field is required.")]}
            )
        if adj.total is None or not (Decimal(0) <= adj.total <= submission.assignment.max_points):
            raise ValidationFailed(
                _("An adjusted score must lie within the rubric's range."), code="score_out_of_range"
            )
    assessment = Assessment.objects.create(
        version=_latest_version(submission),
        grader=actor,
        outcome=AssessmentOutcome.GRADED,
        total=total,
        feedback=(feedback or "").strip(),
    )
    CriterionScore.objects.bulk_create(
        CriterionScore(assessment=assessment, criterion=c, level=lv, points=p) for c, lv, p in rows
    )
    MemberAdjustment.objects.bulk_create(
        MemberAdjustment(assessment=assessment, enrolment_id=a.enrolment_id, total=a.total, reason=a.reason.strip())
        for a in adjustments or []
    )
    _store_feedback_files(assessment, list(feedback_files or []), actor)
    return assessment


@transaction.atomic
def submission_grade(
    *,
    submission: Submission,
    scores: list[ScoreInput],
    feedback: str,
    actor: User,
    adjustments: list[AdjustmentInput] = (),
    feedback_files=(),
    reason: str = "",
) -> Assessment:
    """Grade the latest version with the rubric (again, before release). Trainees see it only once released."""
    submission = _lock(submission)
    _check_grader(submission, actor)
    old_state, old_score = submission.state, submission.score
    _move(submission, SubmissionState.GRADED)
    assessment = _write_assessment(
        submission=submission,
        actor=actor,
        scores=scores,
        feedback=feedback,
        adjustments=adjustments,
        feedback_files=feedback_files,
    )
    submission.score = assessment.total
    submission.save(update_fields=["state", "score", "updated_at"])
    _grade_change(
        submission=submission,
        actor=actor,
        old_state=old_state,
        old_score=old_score,
        reason=reason or (_("Regraded before release") if old_state == SubmissionState.GRADED else _("Graded")),
    )
    audit_record(actor=actor, verb="submission.graded", target=submission, total=str(assessment.total))
    return assessment


def _release(submission: Submission, actor: User, now) -> None:
    old_state = _move(submission, SubmissionState.RELEASED)
    submission.released_at = now
    submission.save(update_fields=["state", "released_at", "updated_at"])
    _grade_change(
        submission=submission, actor=actor, old_state=old_state, old_score=submission.score, reason=_("Released")
    )
    notify(kind=Kind.GRADE_RELEASED, target=submission)


@transaction.atomic
def grade_release(*, submission: Submission, actor: User) -> Submission:
    submission = _lock(submission)
    if not actor.has_perm("fieldwork.release_grades", submission):
        if is_work_member(actor, submission) and actor.has_perm("courses.teach_cohort", submission):
            raise OwnWork()
        raise NotFound(_("This page does not exist, or you do not have access to it."))
    _release(submission, actor, timezone.now())
    audit_record(actor=actor, verb="grade.released", target=submission)
    return submission


@transaction.atomic
def assignment_release_grades(*, assignment: Assignment, actor: User) -> int:
    """Release every graded, unreleased submission of the assignment. Returns how many."""
    if not actor.has_perm("fieldwork.release_grades", assignment):
        raise NotAllowed(_("You cannot release grades for this assignment."))
    now = timezone.now()
    submissions = list(
        Submission.objects.select_for_update(of=("self",))
        .select_related("assignment")
        .filter(assignment=assignment, state=SubmissionState.GRADED)
        .exclude(work_member_q(actor))  # one's own work waits for another instructor
    )
    for submission in submissions:
        _release(submission, actor, now)
    audit_record(actor=actor, verb="grades.released", target=assignment, count=len(submissions))
    return len(submissions)


@transaction.atomic
def objection_raise(*, submission: Submission, reason: str, actor: User) -> Objection:
    """Object to a released grade, once, within the assignment's window."""
    submission = _lock(submission)
    if not actor.has_perm("fieldwork.work_on_submission", submission) or submission.state not in RELEASED_STATES:
        raise NotFound(_("This page does not exist, or you do not have access to it."))
    if Objection.objects.filter(submission=submission).exists():
        raise Conflict(_("An objection to this grade has already been raised."), code="objection_exists")
    if timezone.now() > submission.objection_deadline:
        raise Conflict(
            _("The window for objections closed on %(date)s.")
            % {"date": timezone.localtime(submission.objection_deadline).strftime("%Y-%m-%d %H:%M")},
            code="objection_window_closed",
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Explain why you object to the grade."), fields={"reason": [_("This field is required.")]}
        )
    old_state = _move(submission, SubmissionState.OBJECTED)
    submission.save(update_fields=["state", "updated_at"])
    objection = Objection.objects.create(submission=submission, raised_by=actor, reason=reason)
    _grade_change(submission=submission, actor=actor, old_state=old_state, old_score=submission.score, reason=reason)
    audit_record(actor=actor, verb="objection.raised", target=objection)
    notify_instructors(kind=Kind.OBJECTION_RAISED, target=objection)
    return objection


@transaction.atomic
def objection_resolve(
    *,
    objection: Objection,
    outcome: str,
    response: str,
    actor: User,
    scores: list[ScoreInput] = (),
    feedback: str = "",
    adjustments: list[AdjustmentInput] = (),
) -> Objection:
    """Answer an objection by upholding the grade or regrading; either way the grade is then final."""
    submission = _lock(objection.submission)
    _check_grader(submission, actor)
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if objection.outcome:
        raise Conflict(_("This objection has already been answered."), code="objection_resolved")
    response = (response or "").strip()
    if not response:
        raise ValidationFailed(
            _("Answer the trainee's objection."), fields={"response": [_("This field is required.")]}
        )
    if outcome not in ObjectionOutcome.values:
        raise ValidationFailed(_("Choose to uphold the grade or to regrade."), code="invalid")
    old_state, old_score = _move(submission, SubmissionState.FINAL), submission.score
    if outcome == ObjectionOutcome.REGRADED:
        assessment = _write_assessment(
            submission=submission,
            actor=actor,
            scores=list(scores),
            feedback=feedback or response,
            adjustments=adjustments,
            feedback_files=(),
        )
        submission.score = assessment.total
    submission.save(update_fields=["state", "score", "updated_at"])
    objection.outcome, objection.response = outcome, response
    objection.resolved_by, objection.resolved_at = actor, timezone.now()
    objection.save(update_fields=["outcome", "response", "resolved_by", "resolved_at", "updated_at"])
    _grade_change(submission=submission, actor=actor, old_state=old_state, old_score=old_score, reason=response)
    audit_record(actor=actor, verb="objection.resolved", target=objection, outcome=outcome)
    notify(kind=Kind.OBJECTION_ANSWERED, target=objection)
    return objection


@transaction.atomic
def grade_correct(
    *,
    submission: Submission,
    scores: list[ScoreInput],
    reason: str,
    actor: User,
    feedback: str = "",
    adjustments: list[AdjustmentInput] = (),
) -> Assessment:
    """Correct a released (or final) grade with the rubric and a reason; the state stays, the trainees are told,
    the grade history keeps old → new. An instructor of the cohort or its staff, never a member of the work."""
    submission = _lock(submission)
    if not actor.has_perm("fieldwork.view_submission_content", submission):
        raise NotFound(_("This page does not exist, or you do not have access to it."))
    if not actor.has_perm("fieldwork.correct_grade", submission):
        if is_work_member(actor, submission) and actor.has_perm("courses.teach_cohort", submission):
            raise OwnWork()
        raise NotAllowed(_("Only instructors and staff of this cohort can correct its grades."))
    if submission.state == SubmissionState.OBJECTED:
        raise Conflict(
            _("The trainee objects to this grade: answer the objection instead of correcting it."),
            code="objection_pending",
        )
    if not submission.is_correctable:
        raise Conflict(
            _("Only a released grade can be corrected; before release, grade the work again."),
            code="not_released",
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Say why the grade is corrected: the trainee reads it."),
            code="reason_required",
            fields={"reason": [_("This field is required.")]},
        )
    old_score = submission.score
    assessment = _write_assessment(
        submission=submission,
        actor=actor,
        scores=scores,
        feedback=feedback or reason,
        adjustments=adjustments,
        feedback_files=(),
    )
    submission.score = assessment.total
    submission.save(update_fields=["score", "updated_at"])
    _grade_change(submission=submission, actor=actor, old_state=submission.state, old_score=old_score, reason=reason)
    audit_record(
        actor=actor,
        verb="grade.corrected",
        target=submission,
        old=str(old_score) if old_score is not None else None,
        new=str(assessment.total),
        reason=reason,
    )
    notify(kind=Kind.GRADE_CORRECTED, target=submission, reason=reason)
    return assessment


@transaction.atomic
def grades_finalise_due(*, now=None) -> int:
    """Make final every released grade whose objection window has ended without an objection (beat, hourly).
    Idempotent; rows another transaction holds are left for the next run."""
    now = now or timezone.now()
    submissions = list(
        Submission.objects.objection_window_ended(now)
        .select_for_update(of=("self",), skip_locked=True)
        .select_related("assignment__module__cohort")
        .order_by("pk")[:1000]
    )
    for submission in submissions:
        old_state = _move(submission, SubmissionState.FINAL)
        submission.save(update_fields=["state", "updated_at"])
        _grade_change(
            submission=submission,
            actor=None,
            old_state=old_state,
            old_score=submission.score,
            reason=_("The window for objections ended"),
        )
        audit_record(actor=None, verb="grade.finalised", target=submission)
    return len(submissions)
