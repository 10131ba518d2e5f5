"""Setting up field assignments: the assignment's terms and its rubric. One transaction each, audited."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import Module
from fieldwork.models import DEFAULT_EXTENSIONS, MB, Assessment, Assignment, RubricCriterion, RubricLevel, WorkMode
from fieldwork.selectors import assignment_holds
from lms.access import not_found
from lms.audit import audit_record
from lms.errors import Conflict, NotAllowed, ValidationFailed
from lms.models import User
from lms.versions import check_version, field_changes
from notifications.models import Kind
from notifications.services import notify

# The file types an assignment may accept: those lms/uploads.py can recognise by content.
EXTENSION_CHOICES = tuple(DEFAULT_EXTENSIONS)
MAX_FILE_MB = 200
MAX_FILES = 50
MAX_POINTS = Decimal("1000")


@dataclass
class LevelInput:
    title: str
    description: str
    min_points: Decimal
    max_points: Decimal


@dataclass
class CriterionInput:
    title: str
    description: str = ""
    levels: list[LevelInput] = field(default_factory=list)


def _invalid(message, field_name: str, code: str = "invalid") -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={field_name: [str(message)]})


def rubric_max_points(assignment: Assignment) -> Decimal:
    """The most points the assignment's rubric gives: the sum of each criterion's highest level."""
    best: dict[int, Decimal] = {}
    for criterion_id, points in RubricLevel.objects.filter(criterion__assignment=assignment).values_list(
        "criterion_id", "max_points"
    ):
        best[criterion_id] = max(best.get(criterion_id, Decimal(0)), points)
    return sum(best.values(), Decimal(0))


def _check_pass_mark(pass_mark: Decimal, max_points: Decimal, *, has_rubric: bool) -> None:
    if not pass_mark.is_finite() or pass_mark < 0 or (has_rubric and pass_mark > max_points):
        if has_rubric:
            message = _("The pass mark must lie between 0 and the rubric's %(max)s points.") % {"max": max_points}
        else:
            message = _("The pass mark cannot be negative.")
        raise _invalid(message, "pass_mark", "pass_mark_out_of_range")


@transaction.atomic
def assignment_save(
    *,
    module: Module,
    assignment: Assignment | None = None,
    title: str,
    instructions: str = "",
    mode: str,
    opens_at: dt.datetime,
    due_at: dt.datetime,
    closes_at: dt.datetime | None = None,
    allowed_extensions: list[str],
    max_file_mb: int,
    max_total_mb: int,
    max_files: int,
    pass_mark: Decimal,
    counts_toward_completion: bool = True,
    objection_window_days: int = 7,
    actor: User,
    version: str | None = None,
) -> Assignment:
    """Create or change a field assignment: dates in order, file types from the known list, sizes in MB,
    the pass mark within 0 and the rubric's maximum. With `version` (the form's), a save over a newer
    version is refused with what changed (StaleVersion, 409); the audit keeps before and after."""
    if not actor.has_perm("fieldwork.manage_assignments", module.cohort):
        raise NotAllowed(_("You cannot set up assignments of this cohort."))
    if assignment is not None:
        assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if assignment.module.cohort_id != module.cohort_id:
            raise NotAllowed(_("This assignment belongs to another cohort."))
        check_version(assignment, version)
    title = (title or "").strip()
    if not title:
        raise _invalid(_("Give the assignment a title."), "title")
    if mode not in WorkMode.values:
        raise _invalid(_("Choose individual or team work."), "mode")
    if due_at < opens_at:
        raise _invalid(_("The due date cannot be before the opening date."), "due_at", "due_before_open")
    if closes_at is not None and closes_at < due_at:
        raise _invalid(_("The closing date cannot be before the due date."), "closes_at", "closes_before_due")
    cohort = module.cohort
    if not (cohort.starts_on <= opens_at.date() and due_at.date() <= cohort.ends_on):
        raise _invalid(
            _("The assignment must open and fall due within the cohort's run (%(start)s to %(end)s).")
            % {"start": cohort.starts_on, "end": cohort.ends_on},
            "due_at",
            "outside_run",
        )
    extensions = sorted({e.lower().strip(".") for e in allowed_extensions})
    if not extensions:
        raise _invalid(_("Allow at least one file type."), "allowed_extensions")
    if unknown := [e for e in extensions if e not in EXTENSION_CHOICES]:
        raise _invalid(_("Unknown file types: %(types)s.") % {"types": ", ".join(unknown)}, "allowed_extensions")
    if not 1 <= max_file_mb <= MAX_FILE_MB:
        raise _invalid(_("A file may be between 1 and %(max)s MB.") % {"max": MAX_FILE_MB}, "max_file_mb")
    if not max_file_mb <= max_total_mb <= MAX_FILE_MB * MAX_FILES:
        raise _invalid(
            _("The total must be at least the largest file (%(file)s MB) and at most %(max)s MB.")
            % {"file": max_file_mb, "max": MAX_FILE_MB * MAX_FILES},
            "max_total_mb",
        )
    if not 1 <= max_files <= MAX_FILES:
        raise _invalid(_("Between 1 and %(max)s files may be handed in.") % {"max": MAX_FILES}, "max_files")
    if not 0 <= objection_window_days <= 365:
        raise _invalid(_("The objection window is between 0 and 365 days."), "objection_window_days")
    has_rubric = assignment is not None and assignment.criteria.exists()
    _check_pass_mark(pass_mark, rubric_max_points(assignment) if has_rubric else MAX_POINTS, has_rubric=has_rubric)
    if pass_mark > MAX_POINTS:
        raise _invalid(_("The pass mark must lie between 0 and %(max)s points.") % {"max": MAX_POINTS}, "pass_mark")
    values = {
        "title": title[:128],
        "instructions": instructions or "",
        "mode": mode,
        "opens_at": opens_at,
        "due_at": due_at,
        "closes_at": closes_at,
        "allowed_extensions": extensions,
        "max_file_size": max_file_mb * MB,
        "max_total_size": max_total_mb * MB,
        "max_files": max_files,
        "pass_mark": pass_mark,
        "counts_toward_completion": counts_toward_completion,
        "objection_window_days": objection_window_days,
    }
    changes = field_changes(assignment, values) if assignment is not None else {}
    if assignment is None:
        assignment = Assignment.objects.create(module=module, **values)
        verb = "assignment.created"
    else:
        if mode != assignment.mode and assignment.submissions.exists():
            raise Conflict(
                _("Work has been handed in already: individual or team can no longer change."), code="has_submissions"
            )
        due_changed = assignment.due_at != due_at
        for key, value in values.items():
            setattr(assignment, key, value)
        assignment.save()
        verb = "assignment.updated"
        if due_changed and assignment.opens_at <= timezone.now():  # before it opens, nobody is working on it
            notify(kind=Kind.DUE_DATE_CHANGED, target=assignment)
    audit_record(
        actor=actor,
        verb=verb,
        target=assignment,
        target_name=values["title"],  # the title at the time: the audit reads true after a rename
        title=values["title"],
        pass_mark=str(pass_mark),
        changes=changes,
    )
    return assignment


@transaction.atomic
def rubric_save(*, assignment: Assignment, criteria: list[CriterionInput], actor: User) -> list[RubricCriterion]:
    """Replace the assignment's rubric: criteria in order, each with levels of a point range and a descriptor.

    Refused once work has been assessed (scores point at the levels), and when the pass mark would
    exceed the new maximum."""
    assignment = Assignment.objects.select_for_update().select_related("module__cohort").get(pk=assignment.pk)
    if not actor.has_perm("fieldwork.manage_assignments", assignment.module.cohort):
        raise NotAllowed(_("You cannot set up assignments of this cohort."))
    if Assessment.objects.filter(version__submission__assignment=assignment).exists():
        raise Conflict(_("Work has been assessed with this rubric already: it can no longer change."), code="assessed")
    if not criteria:
        raise _invalid(_("A rubric needs at least one criterion."), "criteria")
    total = Decimal(0)
    for number, criterion in enumerate(criteria, start=1):
        if not criterion.title.strip():
            raise _invalid(_("Criterion %(n)s needs a title.") % {"n": number}, "criteria")
        if not criterion.levels:
            raise _invalid(
                _("Criterion “%(title)s” needs at least one level.") % {"title": criterion.title}, "criteria"
            )
        for level in criterion.levels:
            if not level.title.strip():
                raise _invalid(_("Every level of “%(title)s” needs a name.") % {"title": criterion.title}, "criteria")
            if not (level.min_points.is_finite() and level.max_points.is_finite()) or not (
                0 <= level.min_points <= level.max_points <= MAX_POINTS
            ):
                raise _invalid(
                    _("Level “%(level)s” of “%(title)s”: points run from lowest to highest, within 0 to %(max)s.")
                    % {"level": level.title, "title": criterion.title, "max": MAX_POINTS},
                    "criteria",
                    "bad_point_range",
                )
        total += max(level.max_points for level in criterion.levels)
    if assignment.pass_mark > total:
        raise _invalid(
            _("The pass mark (%(pass)s) is above the rubric's %(max)s points: lower it first or give more points.")
            % {"pass": assignment.pass_mark, "max": total},
            "criteria",
            "pass_mark_out_of_range",
        )
    RubricLevel.objects.filter(criterion__assignment=assignment).delete()
    assignment.criteria.all().delete()
    saved = []
    for position, criterion in enumerate(criteria, start=1):
        row = RubricCriterion.objects.create(
            assignment=assignment,
            position=position,
            title=criterion.title.strip()[:128],
            description=criterion.description,
        )
        RubricLevel.objects.bulk_create(
            RubricLevel(
                criterion=row,
                position=level_position,
                title=level.title.strip()[:64],
                description=level.description,
                min_points=level.min_points,
                max_points=level.max_points,
            )
            for level_position, level in enumerate(criterion.levels, start=1)
        )
        saved.append(row)
    audit_record(actor=actor, verb="rubric.saved", target=assignment, criteria=len(saved), max_points=str(total))
    return saved


@transaction.atomic
def assignment_delete(*, assignment: Assignment, actor: User) -> Module:
    """Delete an assignment nobody has started work on and with no extension granted; its rubric goes with it.

    Starting work inserts a submission, which waits for this row lock, so it cannot slip in between."""
    assignment = (
        Assignment.objects.select_for_update().select_related("module__cohort").filter(pk=assignment.pk).first()
    )
    if assignment is None:
        raise not_found()
    if not actor.has_perm("courses.manage_cohort", assignment.module.cohort):  # set-up work: staff, not instructors
        raise NotAllowed(_("You cannot delete assignments of this cohort."))
    if reasons := assignment_holds(assignment=assignment):
        raise Conflict(
            _("“%(name)s” cannot be deleted. %(reasons)s") % {"name": assignment.title, "reasons": " ".join(reasons)},
            code="assignment_in_use",
        )
    module = assignment.module
    audit_record(actor=actor, verb="assignment.deleted", target=module, title=assignment.title)
    assignment.delete()  # criteria and levels cascade; extensions and submissions were refused above
    return module
