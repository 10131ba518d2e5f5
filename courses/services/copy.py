"""Next year's cohort from this year's: the plan shown before copying, and the copy itself.

The copy spans three apps (courses, fieldwork, certificates): it lives with the cohort it creates; the
apps above courses add their parts through hooks they register in AppConfig.ready() (lms/registry.py):
`cohort_copy_plan` (their counts) and `cohort_copy` (assignments and rubrics, the completion rule), since
courses imports neither of them.
"""

from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from courses.models import Cohort, Lesson, LessonAttachment, Module, Session
from lms.audit import audit_record
from lms.errors import Conflict, NotAllowed, ValidationFailed
from lms.models import District, User
from lms.registry import hooks


def shift_years(value, years: int):
    """The same day (and time) `years` later; 29 February becomes 28 February in a common year."""
    try:
        return value.replace(year=value.year + years)
    except ValueError:
        return value.replace(year=value.year + years, day=28)


@dataclass(frozen=True)
class CopyPlan:
    """What a copy of the cohort takes along, counted; people and their work are never copied."""

    modules: int
    prerequisites: int
    lessons: int
    attachments: int
    sessions: int
    assignments: int
    criteria: int
    levels: int
    has_completion_rule: bool
    has_certificate_template: bool
    left_behind: dict


def cohort_copy_plan(*, cohort: Cohort) -> CopyPlan:
    """Counts for the preview page (a fixed number of queries)."""
    parts: dict = {}
    left_behind = {
        "enrolments": cohort.enrolments.count(),
        "teams": cohort.teams.count(),
        "instructors": cohort.teachings.count(),
    }
    for plan in hooks("cohort_copy_plan"):  # assignments and rubrics; completion rule and template
        counts = plan(cohort)
        left_behind.update(counts.pop("left_behind", {}))
        parts.update(counts)
    return CopyPlan(
        modules=Module.objects.filter(cohort=cohort).count(),
        prerequisites=Module.requires.through.objects.filter(from_module__cohort=cohort).count(),
        lessons=Lesson.objects.filter(module__cohort=cohort).count(),
        attachments=LessonAttachment.objects.filter(lesson__module__cohort=cohort).count(),
        sessions=Session.objects.filter(cohort=cohort).count(),
        left_behind=left_behind,
        **parts,
    )


def _copy_file(name: str, folder: str) -> str:
    if not name:
        return ""
    with default_storage.open(name, "rb") as source:
        return default_storage.save(f"{folder}/{name.rsplit('/', 1)[-1]}", source)


@transaction.atomic
def cohort_copy(*, source: Cohort, district: District, year: int, name: str, actor: User) -> Cohort:
    """Create next year's cohort from `source`: modules with prerequisites, lessons with their files (copied
    in storage), session slots and assignments moved by the difference in years, rubrics, the completion
    rule. No people: no enrolments, teams, instructors, submissions, attendance or certificates.
    The course's certificate template is shared by its cohorts, so the copy uses the same one."""
    from lms.uploads import delete_stored

    if not actor.has_perm("courses.manage_cohort", source):
        raise NotAllowed(_("You cannot copy this cohort."))
    if not actor.has_perm("courses.manage_cohort", district):
        raise NotAllowed(
            _("You cannot set up cohorts in %(district)s.") % {"district": district}, code="foreign_district"
        )
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Give the new cohort a name."), fields={"name": [_("This field is required.")]})
    years = year - source.year
    if years <= 0:
        raise ValidationFailed(
            _("The copy must run in a later year than %(year)s.") % {"year": source.year},
            code="year_not_later",
            fields={"year": [_("Choose a later year.")]},
        )
    taken = Conflict(
        _("%(district)s already runs %(course)s in %(year)s.")
        % {"district": district, "course": source.course, "year": year},
        code="cohort_exists",
        fields={"year": [_("Choose another year.")]},
    )
    if Cohort.objects.filter(course=source.course, district=district, year=year).exists():
        raise taken
    try:
        with transaction.atomic():
            cohort = Cohort.objects.create(
                course=source.course,
                district=district,
                name=name[:128],
                year=year,
                starts_on=shift_years(source.starts_on, years),
                ends_on=shift_years(source.ends_on, years),
            )
    except IntegrityError:
        raise taken from None

    modules = {m.pk: m for m in Module.objects.filter(cohort=source)}
    new_modules = {
        old_id: Module.objects.create(
            cohort=cohort, phase=m.phase, position=m.position, title=m.title, summary=m.summary
        )
        for old_id, m in modules.items()
    }
    through = Module.requires.through
    through.objects.bulk_create(
        through(from_module_id=new_modules[f].pk, to_module_id=new_modules[t].pk)
        for f, t in through.objects.filter(from_module__cohort=source).values_list("from_module_id", "to_module_id")
    )

    stored: list[str] = []  # files copied so far, removed again if anything below fails
    try:
        _copy_contents(source, cohort, years, new_modules, stored, actor)
    except Exception:
        delete_stored(*stored)
        raise
    audit_record(actor=actor, verb="cohort.copied", target=cohort, source=source.pk, source_name=source.name)
    return cohort


def _copy_contents(source: Cohort, cohort: Cohort, years: int, new_modules: dict, stored: list, actor: User) -> None:
    new_lessons = {}
    for lesson in Lesson.objects.filter(module__cohort=source):
        new_lessons[lesson.pk] = Lesson.objects.create(
            module=new_modules[lesson.module_id],
            position=lesson.position,
            kind=lesson.kind,
            title=lesson.title,
            body=lesson.body,
            duration_minutes=lesson.duration_minutes,
        )
    from lms.previews import queue_after_commit

    for attachment in LessonAttachment.objects.filter(lesson__module__cohort=source):
        names = [
            _copy_file(n, "lessons/copies")
            for n in (attachment.storage_name, attachment.thumbnail_name, attachment.display_name)
        ]
        stored.extend(names)
        copied = LessonAttachment.objects.create(
            lesson=new_lessons[attachment.lesson_id],
            name=attachment.name,
            storage_name=names[0],
            thumbnail_name=names[1],
            display_name=names[2],
            preview_state=attachment.preview_state,
            size=attachment.size,
            sha256=attachment.sha256,
            content_type=attachment.content_type,
            kind=attachment.kind,
            uploaded_by=actor,
        )
        queue_after_commit([copied])  # a copy of one still pending gets previews of its own

    for session in Session.objects.filter(cohort=source):
        Session.objects.create(
            cohort=cohort,
            lesson=new_lessons[session.lesson_id],
            starts_at=shift_years(session.starts_at, years),
            ends_at=shift_years(session.ends_at, years),
            place=session.place,
            address=session.address,
            community_id=session.community_id,  # a place, not a person; teams and instructors stay behind
            check_in_opens_at=shift_years(session.check_in_opens_at, years),
            check_in_closes_at=shift_years(session.check_in_closes_at, years),
        )

    for copy_part in hooks("cohort_copy"):  # assignments with rubrics (fieldwork), the completion rule (certificates)
        copy_part(
            source=source, cohort=cohort, years=years, new_modules=new_modules, new_lessons=new_lessons, actor=actor
        )


def default_copy_name(source: Cohort, year: int) -> str:
    """The old name with its year replaced, e.g. 南海区2022年培育班 → 南海区2023年培育班."""
    text = str(source.year)
    return source.name.replace(text, str(year)) if text in source.name else f"{source.name} {year}"
