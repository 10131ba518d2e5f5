"""Field assignment work by trainees: start, drafts, files, hand-in, extensions."""

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import Enrolment, EnrolmentStatus, Team
from fieldwork.models import (
    TRANSITIONS,
    Assignment,
    Extension,
    GradeChange,
    Submission,
    SubmissionFile,
    SubmissionState,
    SubmissionVersion,
    WorkMode,
)
from lms import previews, uploads
from lms.audit import audit_record
from lms.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from lms.models import User
from notifications.models import Kind
from notifications.services import notify, notify_instructors


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


def _grade_change(*, submission: Submission, actor: User | None, old_state: str, old_score, reason: str = "") -> None:
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
    # The owner still sees its work after withdrawing (the predicate), but hands nothing more in.
    own = {"pk": submission.enrolment_id} if submission.enrolment_id else {"team_id": submission.team_id}
    if not Enrolment.objects.filter(trainee=actor, status=EnrolmentStatus.ACTIVE, **own).exists():
        raise NotAllowed(_("Only an active trainee of this cohort can hand in work."))
    if not submission.is_editable:
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
            stored_names.append(stored.storage_name)
            created.append(
                SubmissionFile.objects.create(
                    submission=submission, uploaded_by=actor, **uploads.stored_file_fields(item, stored)
                )
            )
    except Exception:
        uploads.delete_stored(*stored_names)
        raise
    for f in created:
        audit_record(actor=actor, verb="submission.file_added", target=f, sha256=f.sha256, size=f.size)
    previews.queue_after_commit(created)
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
    return due_with_extension(assignment=assignment, extension=extension)


def due_with_extension(*, assignment: Assignment, extension: Extension | None) -> tuple:
    """(due_at, closes_at) of an assignment for an owner with this extension (or none): the one rule, no query."""
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
    notify_instructors(kind=Kind.WORK_SUBMITTED, target=submission, version=number, late=late)
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
    if (team is not None) != (assignment.mode == WorkMode.TEAM):
        message = (
            _("A team assignment is extended for the whole team.")
            if assignment.mode == WorkMode.TEAM
            else _("An individual assignment is extended for one trainee, not a team.")
        )
        raise ValidationFailed(message, code="extension_mode_mismatch")
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
    notify(kind=Kind.EXTENSION_GRANTED, target=extension)
    return extension


# --- instructor side
