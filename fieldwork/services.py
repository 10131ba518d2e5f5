"""State changes of field assignments: one transactional function each, checked against TRANSITIONS."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import Enrolment, EnrolmentStatus, Team
from fieldwork import uploads
from fieldwork.models import (
    RELEASED_STATES,
    TRANSITIONS,
    Assessment,
    AssessmentOutcome,
    Assignment,
    CriterionScore,
    Extension,
    FeedbackFile,
    GradeChange,
    MemberAdjustment,
    Objection,
    ObjectionOutcome,
    Submission,
    SubmissionFile,
    SubmissionState,
    SubmissionVersion,
    WorkMode,
)
from lms.audit import audit_record
from lms.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from lms.models import User


def _move(submission: Submission, to: str) -> str:
    """Check a state change against the transition table; return the old state."""
    old = submission.state
    if to not in TRANSITIONS[old]:
        raise Conflict(
            _("This submission is “%(state)s”; that cannot be done now.") % {"state": submission.get_state_display()},
            code="invalid_transition",
        )
    submission.state = to
    return old


def _lock(submission: Submission) -> Submission:
    return (
        Submission.objects.select_for_update(of=("self",))
        .select_related("assignment__module__cohort", "enrolment", "team")
        .get(pk=submission.pk)
    )


def _grade_change(*, submission: Submission, actor: User, old_state: str, old_score, reason: str = "") -> None:
    GradeChange.objects.create(
        submission=submission,
        changed_by=actor,
        old_state=old_state,
        new_state=submission.state,
        old_score=old_score,
        new_score=submission.score,
        reason=reason,
    )


# --- trainee side


@transaction.atomic
def submission_start(*, assignment: Assignment, enrolment: Enrolment, actor: User) -> Submission:
    """The enrolment's (or its team's) submission for the assignment, created as a draft if new. Idempotent."""
    if enrolment.trainee_id != actor.pk or enrolment.status != EnrolmentStatus.ACTIVE:
        raise NotAllowed(_("Only an active trainee of this cohort can hand in work."))
    if assignment.module.cohort_id != enrolment.cohort_id:
        raise NotFound(_("This assignment is not part of your cohort."))
    if assignment.mode == WorkMode.TEAM:
        if enrolment.team_id is None:
            raise Conflict(_("This is a team assignment and you are not in a team yet."), code="no_team")
        owner = {"team_id": enrolment.team_id}
    else:
        owner = {"enrolment": enrolment}
    try:
        with transaction.atomic():
            submission, created = Submission.objects.get_or_create(assignment=assignment, **owner)
    except IntegrityError:  # a teammate started it at the same moment
        submission, created = Submission.objects.get(assignment=assignment, **owner), False
    if created:
        audit_record(actor=actor, verb="submission.started", target=submission)
    return submission


def _check_editable(submission: Submission, actor: User) -> None:
    if not actor.has_perm("fieldwork.work_on_submission", submission):
        raise NotFound(_("This page does not exist, or you do not have access to it."))
    if submission.state not in {SubmissionState.DRAFT, SubmissionState.RETURNED}:
        raise Conflict(_("This work has been handed in and cannot be changed now."), code="not_editable")


@transaction.atomic
def submission_save_draft(*, submission: Submission, note: str, actor: User) -> Submission:
    submission = _lock(submission)
    _check_editable(submission, actor)
    submission.note = (note or "").strip()
    submission.save(update_fields=["note", "updated_at"])
    return submission


@transaction.atomic
def submission_file_add(*, submission: Submission, uploads_: list, actor: User) -> list[SubmissionFile]:
    """Check and store uploaded files into the draft; all or nothing (stored files are removed on refusal)."""
    submission = _lock(submission)
    _check_editable(submission, actor)
    assignment = submission.assignment
    if not uploads_:
        raise ValidationFailed(_("Choose at least one file."), code="no_files")
    current = submission.files.filter(in_draft=True).aggregate(total=Sum("size"))["total"] or 0
    count = submission.files.filter(in_draft=True).count()
    if count + len(uploads_) > assignment.max_files:
        raise ValidationFailed(
            _("At most %(max)d files can be handed in; there are already %(count)d.")
            % {"max": assignment.max_files, "count": count},
            code="too_many_files",
        )
    checked = [
        uploads.check_upload(
            u, allowed_extensions=assignment.allowed_extensions, max_file_size=assignment.max_file_size
        )
        for u in uploads_
    ]
    total = current + sum(c.size for c in checked)
    if total > assignment.max_total_size:
        raise uploads.FileTooLarge(
            _("Together the files would be larger than the %(limit)s allowed for this assignment.")
            % {"limit": uploads.filesizeformat(assignment.max_total_size)},
            code="total_too_large",
        )
    created: list[SubmissionFile] = []
    stored_names: list[str] = []
    try:
        for item in checked:
            stored = uploads.store_checked(item, folder=f"submissions/{submission.pk}")
            stored_names += [stored.storage_name, stored.thumbnail_name, stored.display_name]
            created.append(
                SubmissionFile.objects.create(
                    submission=submission,
                    uploaded_by=actor,
                    name=item.name,
                    storage_name=stored.storage_name,
                    thumbnail_name=stored.thumbnail_name,
                    display_name=stored.display_name,
                    width=stored.width,
                    height=stored.height,
                    size=item.size,
                    sha256=item.sha256,
                    content_type=item.detected.content_type,
                    kind=item.detected.kind,
                )
            )
    except Exception:
        uploads.delete_stored(*stored_names)
        raise
    for f in created:
        audit_record(actor=actor, verb="submission.file_added", target=f, sha256=f.sha256, size=f.size)
    return created


@transaction.atomic
def submission_file_remove(*, file: SubmissionFile, actor: User) -> None:
    """Take a file out of the draft; it stays stored while an earlier version holds it."""
    submission = _lock(file.submission)
    _check_editable(submission, actor)
    file = SubmissionFile.objects.select_for_update().get(pk=file.pk)
    if not file.in_draft:
        raise NotFound(_("This file is not in your draft."))
    if file.versions.exists():
        file.in_draft = False
        file.save(update_fields=["in_draft", "updated_at"])
    else:
        names = (file.storage_name, file.thumbnail_name, file.display_name)
        file.delete()
        transaction.on_commit(lambda: uploads.delete_stored(*names))
    audit_record(actor=actor, verb="submission.file_removed", target=submission, file=file.name)


def effective_due(*, submission: Submission) -> tuple:
    """(due_at, closes_at) for this submission, an extension replacing both."""
    assignment = submission.assignment
    owner = {"team_id": submission.team_id} if submission.team_id else {"enrolment_id": submission.enrolment_id}
    extension = Extension.objects.filter(assignment=assignment, **owner).first()
    if extension:
        return extension.due_at, max(extension.due_at, assignment.closes_at or extension.due_at)
    return assignment.due_at, assignment.closes_at


@transaction.atomic
def submission_submit(*, submission: Submission, actor: User) -> SubmissionVersion:
    """Freeze the draft's files as a new version and hand it in; late if past the (extended) due date."""
    submission = _lock(submission)
    _check_editable(submission, actor)
    assignment = submission.assignment
    now = timezone.now()
    if now < assignment.opens_at:
        raise Conflict(_("This assignment is not open yet."), code="not_open")
    due_at, closes_at = effective_due(submission=submission)
    if closes_at and now > closes_at:
        raise Conflict(
            _("This assignment closed on %(date)s. Ask your instructor for an extension.")
            % {"date": timezone.localtime(closes_at).strftime("%Y-%m-%d %H:%M")},
            code="assignment_closed",
        )
    files = list(submission.files.filter(in_draft=True))
    if not files:
        raise ValidationFailed(_("Add at least one file before handing in."), code="no_files")
    _move(submission, SubmissionState.SUBMITTED)
    number = submission.versions.count() + 1
    late = now > due_at
    version = SubmissionVersion.objects.create(
        submission=submission, number=number, submitted_by=actor, submitted_at=now, is_late=late, note=submission.note
    )
    version.files.set(files)
    submission.submitted_at = now
    submission.is_late = late
    submission.save(update_fields=["state", "submitted_at", "is_late", "updated_at"])
    audit_record(actor=actor, verb="submission.submitted", target=submission, version=number, late=late)
    return version


@transaction.atomic
def extension_grant(
    *,
    assignment: Assignment,
    due_at,
    reason: str,
    actor: User,
    enrolment: Enrolment | None = None,
    team: Team | None = None,
) -> Extension:
    """Give one trainee or one team a later due date (replacing an earlier extension)."""
    if not actor.has_perm("fieldwork.grant_extension", assignment):
        raise NotAllowed(_("You cannot grant extensions for this assignment."))
    if (enrolment is None) == (team is None):
        raise ValidationFailed(_("Choose either one trainee or one team."), code="invalid")
    owner = enrolment or team
    if owner.cohort_id != assignment.module.cohort_id:
        raise ValidationFailed(_("The trainee or team belongs to another cohort."), code="invalid")
    if due_at <= timezone.now():
        raise ValidationFailed(
            _("The new due date must be in the future."), fields={"due_at": [_("Pick a later date.")]}
        )
    extension, _created = Extension.objects.update_or_create(
        assignment=assignment,
        enrolment=enrolment,
        team=team,
        defaults={"due_at": due_at, "reason": (reason or "").strip(), "granted_by": actor},
    )
    audit_record(actor=actor, verb="extension.granted", target=extension, due_at=due_at.isoformat())
    return extension


# --- instructor side


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


def _check_grader(submission: Submission, actor: User) -> None:
    if not actor.has_perm("fieldwork.view_submission_content", submission):
        raise NotFound(_("This page does not exist, or you do not have access to it."))
    if not actor.has_perm("fieldwork.grade_submission", submission):
        raise NotAllowed(_("Only instructors of this cohort can grade its work."))


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
        FeedbackFile.objects.create(
            assessment=assessment,
            uploaded_by=actor,
            name=checked.name,
            storage_name=stored.storage_name,
            thumbnail_name=stored.thumbnail_name,
            display_name=stored.display_name,
            width=stored.width,
            height=stored.height,
            size=checked.size,
            sha256=checked.sha256,
            content_type=checked.detected.content_type,
            kind=checked.detected.kind,
        )


def uploads_default_extensions() -> list[str]:
    from fieldwork.models import DEFAULT_EXTENSIONS

    return DEFAULT_EXTENSIONS


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
        try:
            points = Decimal(str(item.points)).quantize(Decimal("0.1"))
        except (InvalidOperation, ValueError):
            points = None
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
    return assessment


def _write_assessment(*, submission, actor, scores, feedback, adjustments, feedback_files) -> Assessment:
    rows, total = _validated_scores(submission, scores)
    member_ids = set()
    if adjustments:
        if not submission.team_id:
            raise ValidationFailed(_("Only a team's work can have member adjustments."), code="invalid")
        member_ids = set(Enrolment.objects.filter(team_id=submission.team_id).values_list("pk", flat=True))
    for adj in adjustments or []:
        if adj.enrolment_id not in member_ids:
            raise ValidationFailed(_("That trainee is not a member of this team."), code="invalid")
        if not (adj.reason or "").strip():
            raise ValidationFailed(
                _("Give a reason for adjusting a member's score."), fields={"reason": [_("This field is required.")]}
            )
        if not (Decimal(0) <= adj.total <= submission.assignment.max_points):
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


@transaction.atomic
def grade_release(*, submission: Submission, actor: User) -> Submission:
    submission = _lock(submission)
    if not actor.has_perm("fieldwork.release_grades", submission):
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
    return objection
