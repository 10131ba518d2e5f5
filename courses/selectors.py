"""Reads of the course flow, each with a fixed number of queries."""

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from courses.models import (
    Attendance,
    AttendanceCorrection,
    Cohort,
    Enrolment,
    EnrolmentStatus,
    Lesson,
    LessonCompletion,
    Module,
    Phase,
    Session,
    Team,
)
from lms.access import access
from lms.errors import ValidationFailed
from lms.models import Community
from lms.predicates import cohort_visible_q, district_scope_q, roles_of


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


def access_cohort(*, user, cohort_id) -> Cohort:
    """The cohort if the user may view it; "not found" for what does not exist and for what it may not see."""
    return access(
        Cohort.objects.select_related("course", "district"), cohort_id, user=user, perm="courses.view_cohort_content"
    )


def access_module(*, user, module_id) -> Module:
    modules = Module.objects.select_related("cohort__course", "cohort__district")
    return access(modules, module_id, user=user, perm="courses.view_cohort_content", on=lambda module: module.cohort)


def access_lesson(*, user, lesson_id) -> Lesson:
    lessons = Lesson.objects.select_related("module__cohort__course", "module__cohort__district")
    return access(
        lessons, lesson_id, user=user, perm="courses.view_cohort_content", on=lambda lesson: lesson.module.cohort
    )


def trainee_enrolment(*, user, cohort: Cohort) -> Enrolment | None:
    """The user's own enrolment in the cohort, if it is (or was) a trainee there."""
    return (
        Enrolment.objects.filter(cohort=cohort, trainee=user)
        .exclude(status=EnrolmentStatus.WITHDRAWN)
        .select_related("trainee", "community__town", "team")
        .first()
    )


# --- in-person sessions, attendance and cohort tables (each with a fixed number of queries)


def access_session(*, user, session_id, perm: str = "courses.view_cohort_content") -> Session:
    """The session if the user holds `perm` on it; "not found" otherwise, so IDs cannot be probed."""
    sessions = Session.objects.select_related("lesson__module", "cohort__course", "cohort__district")
    return access(sessions, session_id, user=user, perm=perm)


def access_taught_cohort(*, user, cohort_id) -> Cohort:
    """The cohort if the user teaches or manages it; "not found" otherwise."""
    return access(
        Cohort.objects.select_related("course", "district"), cohort_id, user=user, perm="courses.teach_cohort"
    )


def access_managed_cohort(*, user, cohort_id) -> Cohort:
    """The cohort if the user manages it (its district's staff); "not found" otherwise, instructors included."""
    return access(
        Cohort.objects.select_related("course", "district"), cohort_id, user=user, perm="courses.manage_cohort"
    )


def cohort_teachings(*, cohort: Cohort) -> list:
    """The cohort's instructors, by name."""
    from courses.models import Teaching

    return list(Teaching.objects.filter(cohort=cohort).select_related("instructor").order_by("instructor__full_name"))


def instructor_candidates(*, cohort: Cohort, user) -> list:
    """Instructors of the cohort's district whom the user may assign here and who do not teach it yet."""
    from courses.models import Teaching
    from courses.services.teaching import assignable_instructors_q
    from lms.models import User

    teaching_in_district = Teaching.objects.filter(cohort__district_id=cohort.district_id).values("instructor_id")
    return list(
        User.objects.filter(assignable_instructors_q(user), pk__in=teaching_in_district, is_active=True)
        .exclude(teachings__cohort=cohort)
        .order_by("full_name")
        .distinct()
    )


def access_attendance(*, user, attendance_id, perm: str = "courses.read_attendance") -> Attendance:
    attendances = Attendance.objects.select_related("session", "enrolment__trainee")
    return access(attendances, attendance_id, user=user, perm=perm)


@dataclass
class SheetRow:
    enrolment: Enrolment
    attendance: Attendance | None
    corrections: list = field(default_factory=list)

    @property
    def status(self) -> str | None:
        return self.attendance.status if self.attendance else None

    @property
    def checked_in(self) -> bool:
        return self.attendance is not None and self.attendance.is_attended


@dataclass
class SheetFilter:
    """Which rows of an attendance sheet to show: a name (of the trainee, its team or community), a team, a
    community; with the choices the page offers."""

    search: str = ""
    team: Team | None = None
    community: Community | None = None
    teams: list = field(default_factory=list)
    communities: list = field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.search or self.team or self.community)


def _chosen(value: str, choices: list, *, message: str, name: str):
    value = (value or "").strip()
    if not value:
        return None
    chosen = next((c for c in choices if value.isdigit() and len(value) < 12 and c.pk == int(value)), None)
    if chosen is None:
        raise ValidationFailed(message, code="unknown_filter", fields={name: [message]})
    return chosen


def sheet_filter(*, session: Session, search: str = "", team: str = "", community: str = "") -> SheetFilter:
    """The sheet's filter, parsed strictly: a team of the session's cohort, a community of its trainees. 2 queries."""
    from django.utils.translation import gettext as _

    trainees = Enrolment.objects.active().expected_at(session)
    teams = list(Team.objects.filter(cohort_id=session.cohort_id, members__in=trainees).distinct().order_by("name"))
    communities = list(Community.objects.filter(enrolments__in=trainees).distinct().order_by("name"))
    return SheetFilter(
        search=(search or "").strip()[:64],
        team=_chosen(team, teams, message=_("Unknown team: choose one of this session's teams."), name="team"),
        community=_chosen(
            community,
            communities,
            message=_("Unknown community: choose one of this session's communities."),
            name="community",
        ),
        teams=teams,
        communities=communities,
    )


def attendance_sheet(*, session: Session, only: SheetFilter | None = None) -> list[SheetRow]:
    """Every active trainee the session is for (its team's or community's only, when it names one) with its
    attendance row, if any, and its corrections; only those the filter names, when given. 3 queries."""
    enrolments = (
        Enrolment.objects.active()
        .expected_at(session)
        .select_related("trainee", "team", "community")
        .order_by("team__name", "trainee__full_name", "pk")
    )
    if only is not None and only.search:
        enrolments = enrolments.filter(
            Q(trainee__full_name__icontains=only.search)
            | Q(team__name__icontains=only.search)
            | Q(community__name__icontains=only.search)
        )
    if only is not None and only.team:
        enrolments = enrolments.filter(team=only.team)
    if only is not None and only.community:
        enrolments = enrolments.filter(community=only.community)
    attendances = {a.enrolment_id: a for a in Attendance.objects.filter(session=session)}
    corrections: dict[int, list[AttendanceCorrection]] = {}
    for correction in (
        AttendanceCorrection.objects.filter(attendance__session=session)
        .select_related("corrected_by")
        .order_by("corrected_at", "pk")
    ):
        corrections.setdefault(correction.attendance_id, []).append(correction)
    return [
        SheetRow(
            enrolment=e,
            attendance=(a := attendances.get(e.pk)),
            corrections=corrections.get(a.pk, []) if a else [],
        )
        for e in enrolments
    ]


def not_checked_in(*, session: Session) -> list[Enrolment]:
    """Active trainees the session is for with no attendance row yet. 1 query."""
    return list(
        Enrolment.objects.active()
        .expected_at(session)
        .exclude(attendances__session=session)
        .select_related("trainee", "team")
        .order_by("team__name", "trainee__full_name", "pk")
    )


def cohort_sessions(*, cohort: Cohort) -> list[Session]:
    """The cohort's sessions in date order, each with `expected`, `attended`, `excused` and, once held, `share`.
    2 queries."""
    now = timezone.now()
    sessions = sessions_with_attendance(
        Session.objects.filter(cohort=cohort).select_related("lesson", "team", "community").order_by("starts_at", "pk")
    )
    for session in sessions:
        session.share = session_share(session) if session.starts_at <= now else None
    return sessions


def session_attendance(*, cohort: Cohort, community_id: int | None = None) -> list[Session]:
    """The cohort's sessions in date order, each with its counts (`expected`, `attended`, `excused`, `absent`)
    and `share`, for the trainees of one community when given. 2 queries."""
    sessions = sessions_with_attendance(
        Session.objects.filter(cohort=cohort).select_related("lesson").order_by("starts_at", "pk"),
        community_id=community_id,
    )
    for session in sessions:
        session.share = session_share(session)
    return sessions


def open_sessions_for_trainee(*, user) -> list[Session]:
    """Sessions expected of the user (as an active trainee) whose check-in is open now. 2 queries."""
    enrolments = list(
        Enrolment.objects.active().filter(trainee=user).only("id", "cohort_id", "team_id", "community_id")
    )
    if not enrolments:
        return []
    return list(
        Session.objects.expected_of_any(enrolments)
        .check_in_open_at(timezone.now())
        .select_related("lesson")
        .order_by("starts_at")
    )


# --- "attended" and the attendance share: the one definition, used by every page, export and rule


@dataclass(frozen=True)
class AttendanceShare:
    """Attendance at the sessions held so far (started by now) that were for the trainee: its cohort's
    sessions for everyone and its own team's and community's (`Session.is_expected_of`); for one session,
    `held` is the number of active trainees it was for.

    Present or late counts as attended; absent, or no record at all, counts against; excused leaves
    the session out of the share altogether (neither for nor against). See `AttendanceQuerySet`.
    """

    attended: int
    excused: int
    held: int

    @property
    def counted(self) -> int:
        return self.held - self.excused

    @property
    def percent(self) -> int | None:
        """None while no session counts yet."""
        return round(100 * self.attended / self.counted) if self.counted > 0 else None


def session_share(session: Session) -> AttendanceShare:
    """A session's share from `sessions_with_attendance`'s counts: the same rule as a trainee's."""
    return AttendanceShare(attended=session.attended, excused=session.excused, held=session.expected)


def sessions_with_attendance(sessions, *, community_id: int | None = None) -> list[Session]:
    """The sessions, each with `expected` (active trainees it is for), `attended`, `excused`, `absent` (their
    records, as `AttendanceQuerySet.counted` counts them), optionally for one community's trainees. 2 queries."""
    sessions = list(sessions.with_expected(community_id=community_id))
    records = Attendance.objects.counted().filter(session_id__in=[s.pk for s in sessions])
    if community_id is not None:
        records = records.filter(enrolment__community_id=community_id)
    counts = records.share_counts(by="session_id")
    empty = {"attended": 0, "excused": 0, "absent": 0}
    for session in sessions:
        row = counts.get(session.pk, empty)
        session.attended, session.excused, session.absent = row["attended"], row["excused"], row["absent"]
    return sessions


def attendance_shares(*, enrolments) -> dict[int, AttendanceShare]:
    """Enrolment id → its attendance share, for enrolments of any cohorts: the one definition that the cohort
    page, the homes, the dashboard, eligibility, the API and the exports ask. 2 queries."""
    ids = [e.pk for e in enrolments]
    if not ids:
        return {}
    now = timezone.now()
    held = dict(Enrolment.objects.filter(pk__in=ids).with_held_sessions(held_by=now).values_list("pk", "held"))
    counts = Attendance.objects.filter(enrolment_id__in=ids, session__starts_at__lte=now).share_counts(
        by="enrolment_id"
    )
    empty = {"attended": 0, "excused": 0}
    return {
        pk: AttendanceShare(
            attended=counts.get(pk, empty)["attended"], excused=counts.get(pk, empty)["excused"], held=held.get(pk, 0)
        )
        for pk in ids
    }


@dataclass
class PhaseCell:
    phase: str
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass
class TraineeRow:
    enrolment: Enrolment
    phases: list[PhaseCell]
    attendance: AttendanceShare


@dataclass
class ProgressTable:
    cohort: Cohort
    phases: list[tuple[str, str, int]]  # (value, label, lesson count)
    rows: list[TraineeRow]


def _lesson_totals(cohort_ids) -> dict[tuple[int, str], int]:
    return {
        (row["module__cohort_id"], row["module__phase"]): row["n"]
        for row in Lesson.objects.filter(module__cohort_id__in=cohort_ids)
        .values("module__cohort_id", "module__phase")
        .annotate(n=Count("id"))
        .order_by()
    }


def cohort_roster(cohort: Cohort):
    """The cohort's active trainees in table order, loading only the columns the tables and exports show.

    Whole user rows (password hash, dates) for 500 trainees cost more than the rest of the page."""
    return (
        Enrolment.objects.active()
        .filter(cohort=cohort)
        .select_related("trainee", "team", "community")
        .only(
            "id",
            "cohort_id",
            "status",
            "trainee_id",
            "team_id",
            "community_id",
            "trainee__full_name",
            "trainee__username",
            "team__name",
            "community__name",
        )
        .order_by("team__name", "trainee__full_name", "pk")
    )


def cohort_progress_table(*, cohort: Cohort) -> ProgressTable:
    """Each active trainee's lessons done per phase and attendance share. 5 queries, whatever the size."""
    totals = _lesson_totals([cohort.pk])
    done = {
        (row["enrolment_id"], row["lesson__module__phase"]): row["n"]
        for row in LessonCompletion.objects.filter(enrolment__cohort=cohort)
        .values("enrolment_id", "lesson__module__phase")
        .annotate(n=Count("id"))
        .order_by()
    }
    enrolments = list(cohort_roster(cohort))
    shares = attendance_shares(enrolments=enrolments)
    phases = [(value, label, totals.get((cohort.pk, value), 0)) for value, label in Phase.choices]
    rows = [
        TraineeRow(
            enrolment=e,
            phases=[PhaseCell(phase=v, done=done.get((e.pk, v), 0), total=total) for v, _l, total in phases],
            attendance=shares[e.pk],
        )
        for e in enrolments
    ]
    return ProgressTable(cohort=cohort, phases=phases, rows=rows)


@dataclass
class CohortOverview:
    cohort: Cohort
    enrolled: int
    phases: list[PhaseCell]
    attended: int
    expected: int

    @property
    def attendance_percent(self) -> int | None:
        return round(100 * self.attended / self.expected) if self.expected else None


def staffed_cohorts(*, user):
    """The cohorts of the districts the user staffs, newest first."""
    return (
        Cohort.objects.filter(district_scope_q(user, Cohort))
        .select_related("course", "district")
        .order_by("-year", "name")
    )


def district_cohort_overview(*, user) -> list[CohortOverview]:
    """The cohorts of the districts the user staffs: enrolled, mean progress per phase, attendance rate. 4 queries."""
    return cohort_overviews(cohorts=staffed_cohorts(user=user))


def cohort_overviews(*, cohorts) -> list[CohortOverview]:
    """Each cohort's enrolled count, mean progress per phase and attendance rate. 5 queries."""
    cohorts = list(
        cohorts.annotate(
            enrolled=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.ACTIVE), distinct=True),
        )
    )
    ids = [c.pk for c in cohorts]
    totals = _lesson_totals(ids)
    done = {
        (row["enrolment__cohort_id"], row["lesson__module__phase"]): row["n"]
        for row in LessonCompletion.objects.filter(
            enrolment__cohort_id__in=ids, enrolment__status=EnrolmentStatus.ACTIVE
        )
        .values("enrolment__cohort_id", "lesson__module__phase")
        .annotate(n=Count("id"))
        .order_by()
    }
    # The sessions' shares summed over the cohort: the same rule as every trainee's and every session's.
    attendance: dict[int, list[int]] = {}
    for session in sessions_with_attendance(Session.objects.filter(cohort_id__in=ids, starts_at__lte=timezone.now())):
        sums = attendance.setdefault(session.cohort_id, [0, 0])
        sums[0] += session.attended
        sums[1] += session.expected - session.excused
    return [
        CohortOverview(
            cohort=c,
            enrolled=c.enrolled,
            phases=[
                PhaseCell(
                    phase=value,
                    done=done.get((c.pk, value), 0),
                    total=totals.get((c.pk, value), 0) * c.enrolled,
                )
                for value, _label in Phase.choices
            ],
            attended=attendance.get(c.pk, [0, 0])[0],
            expected=attendance.get(c.pk, [0, 0])[1],
        )
        for c in cohorts
    ]


# A matrix cell for a session that was not for the trainee (another team's or community's).
NOT_EXPECTED = "not_expected"


@dataclass
class AttendanceMatrix:
    """Active trainees × the cohort's sessions: each cell the attendance status, None when none was recorded, or
    NOT_EXPECTED for a session for another team or community; with each trainee's attendance share."""

    sessions: list[Session]
    rows: list[tuple[Enrolment, list[str | None]]]
    shares: dict[int, AttendanceShare] = field(default_factory=dict)


def cohort_attendance_matrix(*, cohort: Cohort) -> AttendanceMatrix:
    """The whole cohort's attendance in one table. 5 queries."""
    sessions = list(Session.objects.filter(cohort=cohort).select_related("lesson").order_by("starts_at", "pk"))
    enrolments = list(cohort_roster(cohort))
    statuses = {
        (enrolment_id, session_id): status
        for enrolment_id, session_id, status in Attendance.objects.filter(session__cohort=cohort).values_list(
            "enrolment_id", "session_id", "status"
        )
    }
    rows = [
        (e, [statuses.get((e.pk, s.pk)) if s.is_expected_of(e) else NOT_EXPECTED for s in sessions]) for e in enrolments
    ]
    return AttendanceMatrix(sessions=sessions, rows=rows, shares=attendance_shares(enrolments=enrolments))


# --- what holds a set-up row in place: each reason a sentence; an empty list means it may be deleted


def module_holds(*, module: Module) -> list[str]:
    """Why the module cannot be deleted: its lessons, its assignments, the modules that require it."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    reasons = []
    if lessons := module.lessons.count():
        reasons.append(
            ngettext(
                "It has %(count)s lesson: delete it first.", "It has %(count)s lessons: delete them first.", lessons
            )
            % {"count": lessons}
        )
    if assignments := module.assignments.count():
        reasons.append(
            ngettext(
                "It has %(count)s assignment: delete it first.",
                "It has %(count)s assignments: delete them first.",
                assignments,
            )
            % {"count": assignments}
        )
    requiring = list(
        Module.objects.filter(requires=module).order_by("phase", "position").values_list("title", flat=True)
    )
    if requiring:
        reasons.append(
            _("%(modules)s require it: remove it from their prerequisites first.")
            % {"modules": "、".join(f"“{title}”" for title in requiring)}
        )
    return reasons


def lesson_holds(*, lesson: Lesson) -> list[str]:
    """Why the lesson cannot be deleted: trainees finished it, sessions are scheduled for it, the rules require it."""
    from django.utils.translation import ngettext

    from lms.registry import hooks

    reasons = []
    if done := lesson.completions.count():
        reasons.append(
            ngettext("%(count)s trainee has finished it.", "%(count)s trainees have finished it.", done)
            % {"count": done}
        )
    if sessions := lesson.sessions.count():
        reasons.append(
            ngettext(
                "%(count)s session is scheduled for it: delete it first.",
                "%(count)s sessions are scheduled for it: delete them first.",
                sessions,
            )
            % {"count": sessions}
        )
    for holds in hooks("lesson_holds"):  # the apps above: the completion rules (certificates/cohort_setup.py)
        reasons.extend(holds(lesson))
    return reasons


def session_holds(*, session: Session) -> list[str]:
    """Why the session cannot be deleted: attendance is recorded for it (corrections included)."""
    from django.utils.translation import ngettext

    if recorded := session.attendances.count():
        return [
            ngettext(
                "Attendance of %(count)s trainee is recorded for it.",
                "Attendance of %(count)s trainees is recorded for it.",
                recorded,
            )
            % {"count": recorded}
        ]
    return []
