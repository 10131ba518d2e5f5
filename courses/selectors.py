"""Reads of the course flow, each with a fixed number of queries."""

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q

from courses.models import Cohort, Enrolment, EnrolmentStatus, Lesson, LessonCompletion, Module, Phase
from lms.errors import NotFound
from lms.predicates import cohort_visible_q, roles_of


@dataclass
class ModuleProgress:
    module: Module
    lessons: list[Lesson]
    done_ids: set[int]
    locked_by: list[Module] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.lessons)

    @property
    def done(self) -> int:
        return sum(1 for lesson in self.lessons if lesson.pk in self.done_ids)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100

    @property
    def finished(self) -> bool:
        return self.done == self.total

    @property
    def locked(self) -> bool:
        return bool(self.locked_by)

    @property
    def next_lesson(self) -> Lesson | None:
        return next((lesson for lesson in self.lessons if lesson.pk not in self.done_ids), None)


@dataclass
class PhaseProgress:
    phase: str
    label: str
    modules: list[ModuleProgress]

    @property
    def total(self) -> int:
        return sum(m.total for m in self.modules)

    @property
    def done(self) -> int:
        return sum(m.done for m in self.modules)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass
class CourseProgress:
    enrolment: Enrolment | None
    phases: list[PhaseProgress]

    @property
    def modules(self) -> list[ModuleProgress]:
        return [m for phase in self.phases for m in phase.modules]

    @property
    def total(self) -> int:
        return sum(p.total for p in self.phases)

    @property
    def done(self) -> int:
        return sum(p.done for p in self.phases)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def next_step(self) -> tuple[ModuleProgress, Lesson] | None:
        """The first lesson not yet done in an open module, in course order."""
        for progress in self.modules:
            if not progress.locked and (lesson := progress.next_lesson):
                return progress, lesson
        return None

    def for_module(self, module_id: int) -> ModuleProgress | None:
        return next((m for m in self.modules if m.module.pk == module_id), None)

    def for_lesson(self, lesson_id: int) -> tuple[ModuleProgress, Lesson] | None:
        for progress in self.modules:
            for lesson in progress.lessons:
                if lesson.pk == lesson_id:
                    return progress, lesson
        return None


def _cohort_modules(cohort_id: int) -> list[Module]:
    modules = list(
        Module.objects.filter(cohort_id=cohort_id).prefetch_related(
            Prefetch("lessons", queryset=Lesson.objects.order_by("position")),
            Prefetch("requires", queryset=Module.objects.only("id", "title", "phase", "position", "cohort_id")),
        )
    )
    modules.sort(key=lambda m: (Phase.position(m.phase), m.position))
    return modules


def course_progress(*, cohort: Cohort, enrolment: Enrolment | None) -> CourseProgress:
    """Every module of the cohort by phase, with the enrolment's progress (none for a preview). 4 queries."""
    modules = _cohort_modules(cohort.pk)
    done_ids = (
        set(LessonCompletion.objects.filter(enrolment=enrolment).values_list("lesson_id", flat=True))
        if enrolment
        else set()
    )
    by_id = {m.pk: ModuleProgress(module=m, lessons=list(m.lessons.all()), done_ids=done_ids) for m in modules}
    if enrolment:
        for progress in by_id.values():
            progress.locked_by = [
                by_id[r.pk].module for r in progress.module.requires.all() if r.pk in by_id and not by_id[r.pk].finished
            ]
    phases = [
        PhaseProgress(phase=value, label=label, modules=[by_id[m.pk] for m in modules if m.phase == value])
        for value, label in Phase.choices
    ]
    return CourseProgress(enrolment=enrolment, phases=phases)


def unfinished_prerequisites(*, enrolment: Enrolment, module: Module) -> list[Module]:
    """The modules required by `module` that the enrolment has not finished. 1 query."""
    required = (
        Module.objects.filter(unlocks=module)
        .annotate(
            lesson_count=Count("lessons", distinct=True),
            done_count=Count(
                "lessons__completions", filter=Q(lessons__completions__enrolment=enrolment), distinct=True
            ),
        )
        .order_by("phase", "position")
    )
    return [m for m in required if m.done_count < m.lesson_count]


@dataclass
class CohortMembership:
    cohort: Cohort
    enrolment: Enrolment | None
    teaches: bool
    manages: bool


def user_cohorts(*, user) -> list[CohortMembership]:
    """The cohorts the user takes part in, with its roles in each. 2 queries beyond the roles."""
    roles = roles_of(user)
    cohorts = (
        Cohort.objects.filter(cohort_visible_q(user, Cohort))
        .select_related("course", "district")
        .order_by("-year", "name")
    )
    enrolments = {
        e.cohort_id: e
        for e in Enrolment.objects.filter(trainee=user)
        .exclude(status=EnrolmentStatus.WITHDRAWN)
        .select_related("community")
    }
    return [
        CohortMembership(
            cohort=cohort,
            enrolment=enrolments.get(cohort.pk),
            teaches=cohort.pk in roles.instructor_cohort_ids,
            manages=user.is_superuser or cohort.district_id in roles.staff_district_ids,
        )
        for cohort in cohorts
    ]


def access_cohort(*, user, cohort_id: int) -> Cohort:
    """The cohort if the user may view it; "not found" for what does not exist and for what it may not see."""
    cohort = Cohort.objects.select_related("course", "district").filter(pk=cohort_id).first()
    if cohort is None or not user.has_perm("courses.view_cohort_content", cohort):
        raise NotFound(_not_found_message())
    return cohort


def access_module(*, user, module_id: int) -> Module:
    module = Module.objects.select_related("cohort__course", "cohort__district").filter(pk=module_id).first()
    if module is None or not user.has_perm("courses.view_cohort_content", module.cohort):
        raise NotFound(_not_found_message())
    return module


def access_lesson(*, user, lesson_id: int) -> Lesson:
    lesson = (
        Lesson.objects.select_related("module__cohort__course", "module__cohort__district").filter(pk=lesson_id).first()
    )
    if lesson is None or not user.has_perm("courses.view_cohort_content", lesson.module.cohort):
        raise NotFound(_not_found_message())
    return lesson


def trainee_enrolment(*, user, cohort: Cohort) -> Enrolment | None:
    """The user's own enrolment in the cohort, if it is (or was) a trainee there."""
    return (
        Enrolment.objects.filter(cohort=cohort, trainee=user)
        .exclude(status=EnrolmentStatus.WITHDRAWN)
        .select_related("trainee", "community__town", "team")
        .first()
    )


def _not_found_message():
    from django.utils.translation import gettext

    return gettext("This page does not exist, or you do not have access to it.")
