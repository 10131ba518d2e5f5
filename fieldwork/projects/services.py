"""State changes of field projects and model cases: one transactional function each."""

from dataclasses import asdict
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import Team
from fieldwork.projects import photos
from fieldwork.projects.models import (
    COUNT_FIELDS,
    REQUIRED_SECTIONS,
    ActivityKind,
    BeforeAfterPair,
    CaseStatus,
    CaseTheme,
    EngagementActivity,
    FieldProject,
    ModelCase,
    NextStep,
    Partner,
    PartnerKind,
    ProjectPhoto,
    ProjectStatus,
    SupportVisit,
)
from fieldwork.projects.selectors import project_totals
from lms import previews
from lms.audit import audit_record
from lms.errors import Conflict, NotAllowed, ValidationFailed
from lms.models import User
from notifications.models import Kind
from notifications.services import notify

MAX_COUNT = 100_000


def _required_text(value, field: str, fields: dict) -> str:
    value = (value or "").strip()
    if not value:
        fields[field] = [_("This field is required.")]
    return value


def _raise_if(fields: dict, message=None):
    if fields:
        first = next(iter(fields.values()))[0]
        raise ValidationFailed(message or first, fields=fields)


def _choice(value, choices, field: str, fields: dict):
    if value not in choices.values:
        fields[field] = [_("Choose one of the listed options.")]
    return value


MAX_PHOTOS = photos.MAX_PHOTOS


def _store_photos(*, project: FieldProject, files, field: str = "photos") -> list[photos.StoredPhoto]:
    """Store every photo before any row is written; if one is refused, remove those already stored.

    So a refused request leaves neither rows nor files behind.
    """
    files = [upload for upload in files or [] if upload]
    if len(files) > MAX_PHOTOS:
        message = _("At most %(count)d photos at a time.") % {"count": MAX_PHOTOS}
        raise ValidationFailed(message, code="too_many_photos", fields={field: [message]})
    stored: list[photos.StoredPhoto] = []
    try:
        for upload in files:
            stored.append(photos.store_photo(upload, folder=f"projects/{project.pk}"))
    except ValidationFailed as error:
        for done in stored:
            photos.delete_stored(done)
        raise ValidationFailed(error.message, code=error.code, fields={field: [str(error.message)]}) from None
    return stored


def _photo_rows(*, project: FieldProject, stored, actor: User, **links) -> list[ProjectPhoto]:
    """The photos' rows, pending; their derived sizes are asked of a worker once the caller's transaction commits."""
    rows = [ProjectPhoto.objects.create(project=project, uploaded_by=actor, **asdict(one), **links) for one in stored]
    previews.queue_after_commit(rows)
    return rows


@transaction.atomic
def project_update(
    *,
    team: Team,
    actor: User,
    title: str,
    goals: str = "",
    status: str = ProjectStatus.PLANNING,
    partners: list[tuple[str, str]] | None = None,
) -> FieldProject:
    """Create or update the team's project.

    `partners` (kind, name) is the full new list when given, an empty list removing them all; None
    leaves them as they are. The audit row records each changed field and the partners added or removed.
    """
    if not actor.has_perm("projects.edit_project", team):
        raise NotAllowed(_("Only members of this team can edit its project."))
    fields: dict = {}
    title = _required_text(title, "title", fields)
    _choice(status, ProjectStatus, "status", fields)
    cleaned_partners = []
    for row, (kind, name) in enumerate(partners or [], start=1):
        kind, name = (kind or "").strip(), (name or "").strip()
        if not kind and not name:
            continue  # an empty row of the form
        if kind not in PartnerKind.values:
            fields.setdefault("partners", []).append(_("Partner %(row)d: choose a kind from the list.") % {"row": row})
        elif not name:
            fields.setdefault("partners", []).append(_("Partner %(row)d: enter a name.") % {"row": row})
        else:
            cleaned_partners.append((kind, name[:128]))
    if team.community_id is None:
        fields["team"] = [_("The team has no community yet; ask district staff to set it.")]
    _raise_if(fields)
    project = FieldProject.objects.select_for_update().filter(team=team).first()
    created = project is None
    if created:
        project = FieldProject(team=team, community_id=team.community_id)
    before = {"title": project.title, "goals": project.goals, "status": project.status}
    project.title, project.goals, project.status = title[:128], (goals or "").strip(), status
    project.save()
    changes: dict = {
        name: [old, getattr(project, name)] for name, old in before.items() if old != getattr(project, name)
    }
    if partners is not None:
        # An explicit list is the whole new list (an empty one removes every partner); the audit row
        # names what was added and removed, so a replacement is never silent.
        current = {(p.kind, p.name): p.pk for p in project.partners.all()}
        wanted = list(dict.fromkeys(cleaned_partners))
        removed = [key for key in current if key not in wanted]
        added = [key for key in wanted if key not in current]
        Partner.objects.filter(pk__in=[current[key] for key in removed]).delete()
        Partner.objects.bulk_create([Partner(project=project, kind=k, name=n) for k, n in added])
        if added:
            changes["partners_added"] = [f"{k}: {n}" for k, n in added]
        if removed:
            changes["partners_removed"] = [f"{k}: {n}" for k, n in removed]
    audit_record(actor=actor, verb="project.created" if created else "project.updated", target=project, **changes)
    return project


def _clean_counts(counts: dict, fields: dict) -> dict[str, int]:
    cleaned = {}
    for name in COUNT_FIELDS:
        raw = counts.get(name, 0)
        if raw in (None, ""):
            raw = 0
        try:
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            value = int(str(raw).strip()) if not isinstance(raw, int) else raw
        except (TypeError, ValueError):
            fields[name] = [_("Enter a whole number.")]
            continue
        if value < 0:
            fields[name] = [_("A count cannot be negative.")]
        elif value > MAX_COUNT:
            fields[name] = [_("This count is too large.")]
        else:
            cleaned[name] = value
    return cleaned


def _cohort_run_check(project: FieldProject, day, field: str, fields: dict):
    cohort = project.team.cohort
    if not isinstance(day, date):
        fields[field] = [_("Enter a valid date.")]
    elif not cohort.starts_on <= day <= cohort.ends_on:
        fields[field] = [
            _("The date must fall within the cohort's run (%(start)s – %(end)s).")
            % {"start": cohort.starts_on.isoformat(), "end": cohort.ends_on.isoformat()}
        ]


@transaction.atomic
def activity_record(
    *,
    project: FieldProject,
    actor: User,
    kind: str,
    title: str,
    held_on: date,
    place: str,
    account: str = "",
    counts: dict | None = None,
    photo_files=None,
    activity: EngagementActivity | None = None,
) -> EngagementActivity:
    """Record (or correct, when `activity` is given) an engagement activity with its participant counts."""
    if not actor.has_perm("projects.edit_project", project):
        raise NotAllowed(_("Only members of this team can record its activities."))
    if activity is not None and activity.project_id != project.pk:
        raise NotAllowed(_("Only members of this team can record its activities."))
    fields: dict = {}
    _choice(kind, ActivityKind, "kind", fields)
    title = _required_text(title, "title", fields)
    place = _required_text(place, "place", fields)
    _cohort_run_check(project, held_on, "held_on", fields)
    cleaned = _clean_counts(counts or {}, fields)
    _raise_if(fields)
    stored = _store_photos(project=project, files=photo_files)
    values = {"kind": kind, "title": title[:128], "held_on": held_on, "place": place[:128], "account": account or ""}
    if activity is None:
        activity = EngagementActivity.objects.create(project=project, recorded_by=actor, **values, **cleaned)
        verb = "activity.recorded"
    else:
        for key, value in {**values, **cleaned}.items():
            setattr(activity, key, value)
        activity.save()
        verb = "activity.corrected"
    _photo_rows(project=project, stored=stored, actor=actor, activity=activity)
    audit_record(actor=actor, verb=verb, target=activity, **cleaned)
    return activity


@transaction.atomic
def visit_log(
    *,
    project: FieldProject,
    actor: User,
    visited_on: date,
    discussion: str,
    attendees: str = "",
    next_steps: list[dict] | None = None,
    photo_files=None,
) -> SupportVisit:
    """Log an instructor's support visit with its next steps (description, owner, due_on) and photos."""
    if not actor.has_perm("projects.log_visit", project):
        raise NotAllowed(_("Only instructors of this cohort can log support visits."))
    fields: dict = {}
    discussion = _required_text(discussion, "discussion", fields)
    _cohort_run_check(project, visited_on, "visited_on", fields)
    steps = []
    for step in next_steps or []:
        description = (step.get("description") or "").strip()
        owner = (step.get("owner") or "").strip()
        if not description and not owner:
            continue
        if not description or not owner:
            fields["next_steps"] = [_("Each next step needs what to do and who owns it.")]
            continue
        due_on = step.get("due_on")
        if due_on is not None and not isinstance(due_on, date):
            fields["next_steps"] = [_("Enter a valid due date.")]
            continue
        steps.append(NextStep(description=description[:255], owner=owner[:64], due_on=due_on))
    _raise_if(fields)
    stored = _store_photos(project=project, files=photo_files)
    visit = SupportVisit.objects.create(
        project=project, instructor=actor, visited_on=visited_on, discussion=discussion, attendees=attendees or ""
    )
    for step in steps:
        step.visit = visit
    NextStep.objects.bulk_create(steps)
    _photo_rows(project=project, stored=stored, actor=actor, visit=visit)
    audit_record(actor=actor, verb="visit.logged", target=visit, next_steps=len(steps))
    return visit


@transaction.atomic
def next_step_close(*, step: NextStep, actor: User) -> NextStep:
    """Mark a next step done. Team members and the cohort's instructors may. Idempotent."""
    step = NextStep.objects.select_for_update().select_related("visit__project__team__cohort").get(pk=step.pk)
    project = step.visit.project
    if not (actor.has_perm("projects.edit_project", project) or actor.has_perm("projects.log_visit", project)):
        raise NotAllowed(_("You cannot close next steps of this project."))
    if not step.done:
        step.done, step.done_at = True, timezone.now()
        step.save(update_fields=["done", "done_at", "updated_at"])
        audit_record(actor=actor, verb="next_step.closed", target=step)
    return step


@transaction.atomic
def before_after_add(
    *,
    project: FieldProject,
    actor: User,
    place: str,
    caption: str = "",
    changed_on: date | None = None,
    before_file,
    after_file,
) -> BeforeAfterPair:
    """Add a before/after photo pair of a place the project changed."""
    if not actor.has_perm("projects.edit_project", project):
        raise NotAllowed(_("Only members of this team can add before and after photos."))
    fields: dict = {}
    place = _required_text(place, "place", fields)
    if before_file is None:
        fields["before"] = [_("This field is required.")]
    if after_file is None:
        fields["after"] = [_("This field is required.")]
    if changed_on is not None:
        _cohort_run_check(project, changed_on, "changed_on", fields)
    _raise_if(fields)
    before_stored = _store_photos(project=project, files=[before_file], field="before")
    try:
        after_stored = _store_photos(project=project, files=[after_file], field="after")
    except ValidationFailed:
        photos.delete_stored(before_stored[0])
        raise
    before, after = _photo_rows(project=project, stored=[*before_stored, *after_stored], actor=actor)
    pair = BeforeAfterPair.objects.create(
        project=project,
        place=place[:128],
        caption=(caption or "").strip()[:255],
        changed_on=changed_on,
        before=before,
        after=after,
    )
    audit_record(actor=actor, verb="before_after.added", target=pair)
    return pair


def _locked_case(case: ModelCase) -> ModelCase:
    return ModelCase.objects.select_for_update().select_related("project__team__cohort").get(pk=case.pk)


@transaction.atomic
def case_save(*, project: FieldProject, actor: User, title: str, theme: str = CaseTheme.OTHER, **sections) -> ModelCase:
    """Create or edit the project's model case while it is a draft or returned."""
    if not actor.has_perm("projects.edit_project", project):
        raise NotAllowed(_("Only members of this team can edit its model case."))
    fields: dict = {}
    title = _required_text(title, "title", fields)
    _choice(theme, CaseTheme, "theme", fields)
    unknown = set(sections) - set(REQUIRED_SECTIONS)
    if unknown:
        fields["sections"] = [_("Unknown section.")]
    _raise_if(fields)
    case = ModelCase.objects.select_for_update().filter(project=project).first()
    if case is not None and case.status in (CaseStatus.SUBMITTED, CaseStatus.APPROVED):
        raise Conflict(_("A submitted or approved case cannot be edited."), code="case_locked")
    created = case is None
    case = case or ModelCase(project=project)
    case.title, case.theme = title[:128], theme
    for name in REQUIRED_SECTIONS:
        if name in sections:
            setattr(case, name, (sections[name] or "").strip())
    case.save()
    audit_record(actor=actor, verb="case.created" if created else "case.saved", target=case)
    return case


@transaction.atomic
def case_submit(*, case: ModelCase, actor: User) -> ModelCase:
    """Submit the case for review; results in figures are frozen from the activity records."""
    case = _locked_case(case)
    if not actor.has_perm("projects.edit_project", case):
        raise NotAllowed(_("Only members of this team can submit its model case."))
    if not case.is_editable:
        raise Conflict(_("Only a draft or returned case can be submitted."), code="case_not_draft")
    empty = {name: [_("This section is required.")] for name in REQUIRED_SECTIONS if not getattr(case, name).strip()}
    if empty:
        raise ValidationFailed(_("Fill in every section before submitting."), code="empty_section", fields=empty)
    case.results = project_totals(project=case.project)
    case.status, case.submitted_at = CaseStatus.SUBMITTED, timezone.now()
    case.save(update_fields=["results", "status", "submitted_at", "updated_at"])
    audit_record(actor=actor, verb="case.submitted", target=case)
    return case


def _review_check(case: ModelCase, actor: User):
    if not actor.has_perm("projects.review_case", case):
        raise NotAllowed(_("Only instructors of this cohort can review its model cases."))
    if case.status != CaseStatus.SUBMITTED:
        raise Conflict(_("Only a submitted case can be reviewed."), code="case_not_submitted")


@transaction.atomic
def case_return(*, case: ModelCase, actor: User, comments: str) -> ModelCase:
    """Return a submitted case for revision, with comments."""
    case = _locked_case(case)
    _review_check(case, actor)
    comments = (comments or "").strip()
    if not comments:
        raise ValidationFailed(
            _("Say what should be revised."),
            code="comments_required",
            fields={"comments": [_("This field is required.")]},
        )
    case.status, case.review_comments = CaseStatus.RETURNED, comments
    case.save(update_fields=["status", "review_comments", "updated_at"])
    audit_record(actor=actor, verb="case.returned", target=case, comments=comments)
    notify(kind=Kind.CASE_RETURNED, target=case)
    return case


@transaction.atomic
def case_approve(*, case: ModelCase, actor: User, comments: str = "") -> ModelCase:
    """Approve a submitted case: it joins the case library with its figures refreshed from the records."""
    case = _locked_case(case)
    _review_check(case, actor)
    case.results = project_totals(project=case.project)
    case.status, case.approved_by, case.approved_at = CaseStatus.APPROVED, actor, timezone.now()
    case.review_comments = (comments or "").strip()
    case.save(update_fields=["results", "status", "approved_by", "approved_at", "review_comments", "updated_at"])
    audit_record(actor=actor, verb="case.approved", target=case)
    transaction.on_commit(_prepare_whole_library_booklet)
    notify(kind=Kind.CASE_APPROVED, target=case)
    return case


def _prepare_whole_library_booklet() -> None:
    """The library changed: have a worker make the whole library's booklet before anyone asks for it."""
    from fieldwork.projects.tasks import queue_booklet

    for language, _name in settings.LANGUAGES:
        queue_booklet(params={}, language=language)
