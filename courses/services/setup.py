"""Setting up a cohort: the cohort, its modules and prerequisites, lessons with reading material, sessions.

Every function is one transaction, asks `courses.manage_cohort` of the actor, validates what the
database cannot, and writes an audit row.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import (
    Cohort,
    Course,
    Lesson,
    LessonAttachment,
    LessonKind,
    Module,
    Phase,
    Session,
)
from courses.prerequisites import find_cycle
from courses.selectors import lesson_holds, module_holds, session_holds
from courses.services.attendance import session_values, tell
from lms.access import not_found
from lms.audit import audit_record
from lms.errors import Conflict, NotAllowed, ValidationFailed
from lms.models import District, User
from lms.versions import check_version, field_changes

# Reading material: PDF and photos only (what a phone opens without an office suite).
ATTACHMENT_EXTENSIONS = ("pdf", "jpg", "jpeg", "png", "webp")
ATTACHMENT_MAX_SIZE = 20 * 1024 * 1024


def _require_manage(actor: User, obj, message) -> None:
    if not actor.has_perm("courses.manage_cohort", obj):
        raise NotAllowed(message)


def _required_text(value: str, field: str, message) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(message, fields={field: [_("This field is required.")]})
    return value


def _check_run(starts_on: dt.date, ends_on: dt.date) -> None:
    if ends_on < starts_on:
        raise ValidationFailed(
            _("The cohort cannot end (%(end)s) before it starts (%(start)s).") % {"end": ends_on, "start": starts_on},
            code="ends_before_start",
            fields={"ends_on": [_("The end date cannot be before the start date.")]},
        )


def _year_taken(course: Course, district: District, year: int) -> Conflict:
    return Conflict(
        _("%(district)s already runs %(course)s in %(year)s.") % {"district": district, "course": course, "year": year},
        code="cohort_exists",
        fields={"year": [_("Choose another year.")]},
    )


def _lock_cohort(cohort: Cohort) -> Cohort:
    return Cohort.objects.select_for_update().get(pk=cohort.pk)


# --- cohorts


@transaction.atomic
def cohort_create(
    *, course: Course, district: District, name: str, year: int, starts_on: dt.date, ends_on: dt.date, actor: User
) -> Cohort:
    """Open a new yearly run of a course in a district the actor governs."""
    _require_manage(actor, district, _("You cannot set up cohorts in this district."))
    name = _required_text(name, "name", _("Give the cohort a name."))
    _check_run(starts_on, ends_on)
    if Cohort.objects.filter(course=course, district=district, year=year).exists():
        raise _year_taken(course, district, year)
    try:
        with transaction.atomic():
            cohort = Cohort.objects.create(
                course=course, district=district, name=name, year=year, starts_on=starts_on, ends_on=ends_on
            )
    except IntegrityError:
        raise _year_taken(course, district, year) from None
    audit_record(actor=actor, verb="cohort.created", target=cohort, year=year)
    return cohort


@transaction.atomic
def cohort_update(
    *, cohort: Cohort, name: str, starts_on: dt.date, ends_on: dt.date, actor: User, version: str | None = None
) -> Cohort:
    """Rename a cohort or move its run; every session must stay inside the new run. With `version` (the
    form's), a save over a newer version is refused with what changed (StaleVersion, 409)."""
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
    _require_manage(actor, cohort, _("You cannot change this cohort."))
    check_version(cohort, version)
    name = _required_text(name, "name", _("Give the cohort a name."))
    _check_run(starts_on, ends_on)
    outside = (
        Session.objects.filter(cohort=cohort)
        .exclude(starts_at__date__gte=starts_on, starts_at__date__lte=ends_on)
        .order_by("starts_at")
        .first()
    )
    if outside is not None:
        raise ValidationFailed(
            _("The session “%(session)s” would fall outside the cohort's run: move it first.") % {"session": outside},
            code="session_outside_run",
        )
    changes = field_changes(cohort, {"name": name, "starts_on": starts_on, "ends_on": ends_on})
    cohort.name, cohort.starts_on, cohort.ends_on = name, starts_on, ends_on
    cohort.save(update_fields=["name", "starts_on", "ends_on", "updated_at"])
    audit_record(
        actor=actor,
        verb="cohort.updated",
        target=cohort,
        target_name=name,
        starts_on=str(starts_on),
        ends_on=str(ends_on),
        changes=changes,
    )
    return cohort


# --- modules and prerequisites


def prerequisite_cycle(*, cohort: Cohort, module_id: int | None, requires_ids: set[int]) -> list[Module] | None:
    """The modules of a cycle that giving `module_id` these prerequisites would close, or None."""
    graph: dict[int, set[int]] = {}
    for from_id, to_id in Module.requires.through.objects.filter(from_module__cohort=cohort).values_list(
        "from_module_id", "to_module_id"
    ):
        graph.setdefault(from_id, set()).add(to_id)
    key = module_id if module_id is not None else 0  # 0: the module being created
    graph[key] = set(requires_ids)
    cycle = find_cycle(graph)
    if cycle is None:
        return None
    titles = dict(Module.objects.filter(cohort=cohort, pk__in=cycle).values_list("pk", "title"))
    return [Module(pk=pk, title=titles.get(pk, "")) for pk in cycle]


def _cycle_error(cycle: list[Module], title: str) -> ValidationFailed:
    names = " → ".join(f"“{m.title or title}”" for m in cycle)
    return ValidationFailed(
        _("These modules would require each other, which would lock them for everyone: %(cycle)s.") % {"cycle": names},
        code="prerequisite_cycle",
        fields={"requires": [_("Remove one of these prerequisites.")]},
    )


@transaction.atomic
def module_save(
    *,
    cohort: Cohort,
    module: Module | None = None,
    phase: str,
    position: int,
    title: str,
    summary: str = "",
    requires: list[Module] = (),
    actor: User,
    version: str | None = None,
) -> Module:
    """Create or change a module of a cohort with its prerequisites; a prerequisite cycle is refused, naming it.
    With `version` (the form's), a save over a newer version is refused with what changed (StaleVersion, 409)."""
    _require_manage(actor, cohort, _("You cannot set up modules of this cohort."))
    cohort = _lock_cohort(cohort)  # positions of the cohort's modules change under this lock only
    if module is not None:
        module = Module.objects.select_for_update().get(pk=module.pk)
        if module.cohort_id != cohort.pk:
            raise NotAllowed(_("This module belongs to another cohort."))
        check_version(module, version)
    title = _required_text(title, "title", _("Give the module a title."))
    if phase not in Phase.values:
        raise ValidationFailed(_("Choose one of the three phases."), fields={"phase": [_("Unknown phase.")]})
    requires = list(requires)
    if any(r.cohort_id != cohort.pk for r in requires):
        raise ValidationFailed(
            _("A module can only require modules of the same cohort."), fields={"requires": [_("Unknown module.")]}
        )
    if module is not None and any(r.pk == module.pk for r in requires):
        raise _cycle_error([module, module], title)
    if cycle := prerequisite_cycle(
        cohort=cohort, module_id=module.pk if module else None, requires_ids={r.pk for r in requires}
    ):
        raise _cycle_error(cycle, title)
    taken = Module.objects.filter(cohort=cohort, phase=phase, position=position)
    if module is not None:
        taken = taken.exclude(pk=module.pk)
    if taken.exists():
        raise ValidationFailed(
            _("Another module of this phase already has position %(position)s.") % {"position": position},
            code="position_taken",
            fields={"position": [_("Choose a free position.")]},
        )
    changes = {}
    if module is None:
        module = Module.objects.create(cohort=cohort, phase=phase, position=position, title=title, summary=summary)
        verb = "module.created"
    else:
        changes = field_changes(module, {"phase": phase, "position": position, "title": title, "summary": summary})
        module.phase, module.position, module.title, module.summary = phase, position, title, summary
        module.save(update_fields=["phase", "position", "title", "summary", "updated_at"])
        verb = "module.updated"
    module.requires.set(requires)
    audit_record(
        actor=actor,
        verb=verb,
        target=module,
        target_name=title,
        title=title,
        requires=sorted(r.pk for r in requires),
        changes=changes,
    )
    return module


# --- lessons and reading material


@transaction.atomic
def lesson_save(
    *,
    module: Module,
    lesson: Lesson | None = None,
    position: int,
    kind: str,
    title: str,
    body: str = "",
    duration_minutes: int = 90,
    actor: User,
    version: str | None = None,
) -> Lesson:
    """Create or change a lesson of a module. With `version` (the form's), a save over a newer version is
    refused with what changed (StaleVersion, 409)."""
    _require_manage(actor, module.cohort, _("You cannot set up lessons of this cohort."))
    if Module.objects.select_for_update().filter(pk=module.pk).first() is None:  # lessons move under this lock
        raise not_found()
    if lesson is not None and lesson.module_id != module.pk:
        raise NotAllowed(_("This lesson belongs to another module."))
    if lesson is not None:
        lesson = Lesson.objects.select_for_update().get(pk=lesson.pk)
        check_version(lesson, version)
    title = _required_text(title, "title", _("Give the lesson a title."))
    if kind not in LessonKind.values:
        raise ValidationFailed(_("Choose a kind of lesson."), fields={"kind": [_("Unknown kind.")]})
    if not 1 <= duration_minutes <= 24 * 60:
        raise ValidationFailed(
            _("A lesson lasts between 1 minute and 24 hours."), fields={"duration_minutes": [_("Out of range.")]}
        )
    taken = Lesson.objects.filter(module=module, position=position)
    if lesson is not None:
        taken = taken.exclude(pk=lesson.pk)
    if taken.exists():
        raise ValidationFailed(
            _("Another lesson of this module already has position %(position)s.") % {"position": position},
            code="position_taken",
            fields={"position": [_("Choose a free position.")]},
        )
    values = {
        "position": position,
        "kind": kind,
        "title": title,
        "body": body or "",
        "duration_minutes": duration_minutes,
    }
    changes = field_changes(lesson, values) if lesson is not None else {}
    if lesson is None:
        lesson = Lesson.objects.create(module=module, **values)
        verb = "lesson.created"
    else:
        for key, value in values.items():
            setattr(lesson, key, value)
        lesson.save(update_fields=[*values, "updated_at"])
        verb = "lesson.updated"
    audit_record(actor=actor, verb=verb, target=lesson, title=title, target_name=title, changes=changes)
    return lesson


@transaction.atomic
def lesson_attachment_add(*, lesson: Lesson, upload, actor: User) -> LessonAttachment:
    """Store a PDF or photo as reading material of a lesson, checked by content like every upload."""
    from lms import previews, uploads

    _require_manage(actor, lesson.module.cohort, _("You cannot add reading material to this lesson."))
    if upload is None:
        raise ValidationFailed(_("Choose a file to upload."), fields={"file": [_("This field is required.")]})
    checked = uploads.check_upload(upload, allowed_extensions=ATTACHMENT_EXTENSIONS, max_file_size=ATTACHMENT_MAX_SIZE)
    stored = uploads.store_checked(checked, folder="lessons")
    try:
        attachment = LessonAttachment.objects.create(
            lesson=lesson,
            name=checked.name,
            storage_name=stored.storage_name,
            preview_state=stored.preview_state,
            size=checked.size,
            sha256=checked.sha256,
            content_type=checked.detected.content_type,
            kind=checked.detected.kind,
            uploaded_by=actor,
        )
        audit_record(actor=actor, verb="lesson_attachment.added", target=attachment, name=checked.name)
    except Exception:
        uploads.delete_stored(stored.storage_name)
        raise
    previews.queue_after_commit([attachment])
    return attachment


@transaction.atomic
def lesson_attachment_remove(*, attachment: LessonAttachment, actor: User) -> None:
    """Delete a lesson's reading material; the stored files go once the deletion is committed."""
    from lms.uploads import delete_stored

    attachment = LessonAttachment.objects.select_related("lesson__module__cohort").get(pk=attachment.pk)
    _require_manage(actor, attachment.lesson.module.cohort, _("You cannot remove reading material of this lesson."))
    names = (attachment.storage_name, attachment.thumbnail_name, attachment.display_name)
    # The row names the lesson, which outlives the file, so the trail can still say where it was.
    audit_record(actor=actor, verb="lesson_attachment.removed", target=attachment.lesson, name=attachment.name)
    attachment.delete()
    transaction.on_commit(lambda: delete_stored(*names))


# --- sessions


@transaction.atomic
def session_save(
    *,
    cohort: Cohort,
    session: Session | None = None,
    lesson: Lesson,
    actor: User,
    version: str | None = None,
    **fields,
) -> Session:
    """Create or move an in-person session inside the cohort's run (the rules: attendance.session_values).
    With `version` (the form's), a save over a newer version is refused with what changed (StaleVersion, 409)."""
    _require_manage(actor, cohort, _("You cannot set up sessions of this cohort."))
    if lesson.module.cohort_id != cohort.pk or (session is not None and session.cohort_id != cohort.pk):
        raise NotAllowed(_("This lesson belongs to another cohort."))
    if session is not None:  # an edited session keeps its own check-in window unless given another
        fields.setdefault("check_in_minutes_before", session.check_in_minutes_before)
        fields.setdefault("check_in_minutes_after", session.check_in_minutes_after)
        fields["keep_community_id"] = session.community_id
    values, instructors = session_values(cohort=cohort, lesson=lesson, **fields)
    moved_from, changes = None, {}
    if session is None:
        session = Session.objects.create(cohort=cohort, **values)
        verb = "session.created"
    else:
        session = Session.objects.select_for_update().get(pk=session.pk)
        check_version(session, version)
        changes = field_changes(session, values)
        if (session.starts_at, session.place) != (values["starts_at"], values["place"]):
            moved_from = session.starts_at
        for key, value in values.items():
            setattr(session, key, value)
        session.save()
        verb = "session.updated"
    session.instructors.set(instructors)
    if verb == "session.created":
        tell("session_added", session=session)
    elif moved_from is not None:
        tell("session_moved", session=session, was_starts_at=moved_from)
    audit_record(
        actor=actor,
        verb=verb,
        target=session,
        lesson=lesson.pk,
        starts_at=values["starts_at"].isoformat(),
        target_name=str(session),
        changes=changes,
    )
    return session


# --- removing and reordering
#
# A row is deleted only while nothing depends on it (courses.selectors.*_holds say what does, in
# sentences); otherwise Conflict names it and nothing changes. Positions within a phase (modules) or
# a module (lessons) stay 1..n after every delete and move. The lock order is cohort, then module,
# then the row, so a move, a delete and a save of the same cohort run one after another.

MOVES = ("up", "down")


def _in_use(name: str, reasons: list[str], code: str) -> Conflict:
    return Conflict(
        _("“%(name)s” cannot be deleted. %(reasons)s") % {"name": name, "reasons": " ".join(reasons)}, code=code
    )


def _renumber(rows: list) -> None:
    """Give `rows` (every row of one ordered group) positions 1..n in list order.

    The unique constraint is checked row by row, so the rows first step out of the way, past every
    position in use, and then take their places: no two rows ever hold one position."""
    if not rows:
        return
    model = type(rows[0])
    ids = [row.pk for row in rows]
    offset = max(max(row.position for row in rows), len(rows)) + 1
    model.objects.filter(pk__in=ids).update(position=F("position") + offset)
    model.objects.filter(pk__in=ids).update(
        position=Case(*(When(pk=pk, then=Value(number)) for number, pk in enumerate(ids, start=1)))
    )
    for number, row in enumerate(rows, start=1):
        row.position = number


def _moved(rows: list, row, direction: str, *, first_message, last_message) -> int:
    """Swap `row` with its neighbour in `rows` and renumber; the new position."""
    if direction not in MOVES:
        raise ValidationFailed(_("Move up or down."), code="bad_direction")
    index = [r.pk for r in rows].index(row.pk)
    target = index - 1 if direction == "up" else index + 1
    if target < 0:
        raise Conflict(first_message, code="already_first")
    if target >= len(rows):
        raise Conflict(last_message, code="already_last")
    rows[index], rows[target] = rows[target], rows[index]
    _renumber(rows)
    return target + 1


def _phase_modules(cohort: Cohort, phase: str) -> list[Module]:
    return list(Module.objects.filter(cohort=cohort, phase=phase).order_by("position", "pk"))


def _module_lessons(module_id: int) -> list[Lesson]:
    return list(Lesson.objects.filter(module_id=module_id).order_by("position", "pk"))


def _locked_module(module: Module, actor: User, message) -> tuple[Cohort, Module]:
    cohort = _lock_cohort(module.cohort)
    _require_manage(actor, cohort, message)
    module = Module.objects.select_for_update().filter(pk=module.pk, cohort=cohort).first()
    if module is None:  # deleted meanwhile
        raise not_found()
    return cohort, module


@transaction.atomic
def module_move(*, module: Module, direction: str, actor: User) -> Module:
    """Move a module one place up or down within its phase."""
    cohort, module = _locked_module(module, actor, _("You cannot set up modules of this cohort."))
    rows = _phase_modules(cohort, module.phase)
    position = _moved(
        rows,
        module,
        direction,
        first_message=_("“%(title)s” is already the first module of its phase.") % {"title": module.title},
        last_message=_("“%(title)s” is already the last module of its phase.") % {"title": module.title},
    )
    module.position = position
    audit_record(actor=actor, verb="module.moved", target=module, direction=direction, position=position)
    return module


@transaction.atomic
def module_delete(*, module: Module, actor: User) -> Cohort:
    """Delete a module that has no lessons and no assignments and that no module requires.

    Its own prerequisite links go with it; the modules after it in its phase move up."""
    cohort, module = _locked_module(module, actor, _("You cannot set up modules of this cohort."))
    if reasons := module_holds(module=module):
        raise _in_use(module.title, reasons, "module_in_use")
    audit_record(actor=actor, verb="module.deleted", target=cohort, title=module.title, phase=module.phase)
    phase = module.phase
    module.delete()
    _renumber(_phase_modules(cohort, phase))
    return cohort


def _locked_lesson(lesson: Lesson, actor: User) -> tuple[Module, Lesson]:
    _cohort, module = _locked_module(lesson.module, actor, _("You cannot set up lessons of this cohort."))
    lesson = Lesson.objects.select_for_update().filter(pk=lesson.pk, module=module).first()
    if lesson is None:
        raise not_found()
    return module, lesson


@transaction.atomic
def lesson_move(*, lesson: Lesson, direction: str, actor: User) -> Lesson:
    """Move a lesson one place up or down within its module."""
    module, lesson = _locked_lesson(lesson, actor)
    position = _moved(
        _module_lessons(module.pk),
        lesson,
        direction,
        first_message=_("“%(title)s” is already the first lesson of its module.") % {"title": lesson.title},
        last_message=_("“%(title)s” is already the last lesson of its module.") % {"title": lesson.title},
    )
    lesson.position = position
    audit_record(actor=actor, verb="lesson.moved", target=lesson, direction=direction, position=position)
    return lesson


@transaction.atomic
def lesson_delete(*, lesson: Lesson, actor: User) -> Module:
    """Delete a lesson nobody finished, with no session and not required by the completion rules.

    Its reading material goes with it; the stored files are removed once the deletion is committed."""
    from lms.uploads import delete_stored

    module, lesson = _locked_lesson(lesson, actor)
    if reasons := lesson_holds(lesson=lesson):
        raise _in_use(lesson.title, reasons, "lesson_in_use")
    stored = list(lesson.attachments.values_list("storage_name", "thumbnail_name", "display_name"))
    files = [name for names in stored for name in names]
    audit_record(actor=actor, verb="lesson.deleted", target=module, title=lesson.title, attachments=len(stored))
    lesson.delete()
    _renumber(_module_lessons(module.pk))
    if files:
        transaction.on_commit(lambda: delete_stored(*files))
    return module


@transaction.atomic
def session_delete(*, session: Session, actor: User) -> Lesson:
    """Delete a session for which no attendance is recorded.

    Recording attendance takes a key-share lock on the session row, so it waits for this lock and
    cannot slip in between the check and the deletion."""
    session = Session.objects.select_for_update().select_related("lesson", "cohort").filter(pk=session.pk).first()
    if session is None:
        raise not_found()
    _require_manage(actor, session.cohort, _("You cannot set up sessions of this cohort."))
    label = f"{session.lesson.title} {timezone.localtime(session.starts_at):%Y-%m-%d %H:%M}"
    if reasons := session_holds(session=session):
        raise _in_use(label, reasons, "session_in_use")
    audit_record(
        actor=actor,
        verb="session.deleted",
        target=session.lesson,
        starts_at=session.starts_at.isoformat(),
        place=session.place,
    )
    tell("session_cancelled", session=session)  # before the row goes: the notice keeps what it said
    lesson = session.lesson
    session.delete()
    return lesson
