"""What each role should do next: reads for the three homes, each a fixed number of queries.

The rules stay where they live: due dates with extensions come from fieldwork (due_with_extension), the
certificate's eligibility and its reasons from certificates.eligibility, phase progress from courses.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates.eligibility import UNMET, cohort_eligibility
from certificates.models import Certificate, CertificateStatus
from courses.models import Attendance, Cohort, Enrolment, EnrolmentStatus, Phase, Session
from courses.selectors import (
    AttendanceShare,
    CohortOverview,
    cohort_overviews,
    session_share,
    sessions_with_attendance,
    staffed_cohorts,
)
from fieldwork.models import RELEASED_STATES, Assignment, Objection, Submission, SubmissionState
from fieldwork.projects.models import CaseStatus, ModelCase, NextStep
from fieldwork.selectors import DueDate, grading_queue, member_adjustments, trainee_due_dates
from lms.cohort_cache import cohort_cached
from lms.predicates import roles_of

# A grade counts as newly released for this long.
RECENT_RELEASE = timedelta(days=14)
# How many rows each list shows; counts are always whole.
LIST_LIMIT = 10


# --- trainee


@dataclass
class DueItem:
    assignment: Assignment
    due: DueDate
    submission: Submission | None

    @property
    def overdue(self) -> bool:
        return self.due.due_at < timezone.now()


@dataclass
class TraineeCohortHome:
    enrolment: Enrolment
    due: list[DueItem]
    returned: list[Submission]
    released: list[Submission]
    next_session: Session | None
    check_in_open: bool
    checked_in: bool
    next_steps: list[NextStep]
    eligible: bool
    reasons: list[str]
    certificate: Certificate | None


def _own(enrolment: Enrolment) -> Q:
    owner = Q(enrolment=enrolment)
    if enrolment.team_id:
        owner |= Q(team_id=enrolment.team_id)
    return owner


def trainee_home(*, user) -> list[TraineeCohortHome]:
    """For each cohort the user learns in: what is due, returned, released, next, and the certificate's state.

    About 15 queries per cohort, whatever the cohort's size.
    """
    now = timezone.now()
    enrolments = list(
        Enrolment.objects.filter(trainee=user, status=EnrolmentStatus.ACTIVE)
        .select_related("cohort__course", "cohort__district", "team")
        .order_by("-cohort__year", "pk")
    )
    homes = []
    for enrolment in enrolments:
        cohort = enrolment.cohort
        assignments = [
            a
            for a in Assignment.objects.filter(module__cohort=cohort, opens_at__lte=now).order_by("due_at", "pk")
            if a.mode != "team" or enrolment.team_id
        ]
        submissions = {
            s.assignment_id: s
            for s in Submission.objects.filter(_own(enrolment), assignment__module__cohort=cohort).select_related(
                "assignment"
            )
        }
        dues = trainee_due_dates(enrolment=enrolment, assignments=assignments)
        due = [
            DueItem(a, dues[a.pk], submissions.get(a.pk))
            for a in assignments
            if a.pk not in submissions or submissions[a.pk].is_editable
        ]
        due.sort(key=lambda item: item.due.due_at)
        returned = [s for s in submissions.values() if s.state == SubmissionState.RETURNED]
        released = sorted(
            (
                s
                for s in submissions.values()
                if s.state in RELEASED_STATES and s.released_at and s.released_at >= now - RECENT_RELEASE
            ),
            key=lambda s: s.released_at,
            reverse=True,
        )
        # The score this trainee sees: its own adjusted total on team work (fieldwork's one definition).
        team_released = [s.pk for s in released if s.team_id]
        adjusted = member_adjustments(submission_ids=team_released, trainee=user) if team_released else {}
        for submission in released:
            submission.viewer_score = adjusted.get((submission.pk, enrolment.pk), submission.score)
        next_session = (
            Session.objects.expected_of(enrolment)
            .filter(check_in_closes_at__gte=now)
            .select_related("lesson")
            .annotate(checked_in=Exists(Attendance.objects.filter(session=OuterRef("pk"), enrolment=enrolment)))
            .order_by("starts_at", "pk")
            .first()
        )
        steps = (
            list(
                NextStep.objects.filter(visit__project__team_id=enrolment.team_id, done=False)
                .select_related("visit")
                .order_by("due_on", "pk")[:LIST_LIMIT]
            )
            if enrolment.team_id
            else []
        )
        [eligibility] = cohort_eligibility(cohort=cohort, enrolment_ids=[enrolment.pk]) or [None]
        homes.append(
            TraineeCohortHome(
                enrolment=enrolment,
                due=due[:LIST_LIMIT],
                returned=returned,
                released=released[:LIST_LIMIT],
                next_session=next_session,
                check_in_open=bool(next_session and next_session.is_check_in_open_at(now)),
                checked_in=bool(next_session and next_session.checked_in),
                next_steps=steps,
                eligible=bool(eligibility and eligibility.eligible),
                reasons=eligibility.reasons if eligibility else [],
                certificate=eligibility.certificate if eligibility else None,
            )
        )
    return homes


# --- instructor


@dataclass
class InstructorHome:
    to_grade_count: int
    to_grade: list[Submission]
    objections: list[Objection]
    sessions_today: list[Session]
    overdue_steps: list[NextStep]
    cases: list[ModelCase]


def instructor_home(*, user) -> InstructorHome:
    """Across the cohorts the user teaches: work to grade, objections, today's sessions, overdue steps, cases.

    7 queries (roles included), whatever the cohorts' size.
    """
    cohort_ids = roles_of(user).instructor_cohort_ids
    waiting = [s for s in grading_queue(user=user) if s.state == SubmissionState.SUBMITTED]
    objections = list(
        Objection.objects.filter(submission__assignment__module__cohort_id__in=cohort_ids, outcome="")
        .select_related("submission__assignment", "submission__enrolment__trainee", "submission__team")
        .order_by("created_at", "pk")[:LIST_LIMIT]
    )
    today = timezone.localdate()
    sessions = list(
        Session.objects.filter(cohort_id__in=cohort_ids, starts_at__date=today)
        .select_related("lesson", "cohort")
        .order_by("starts_at", "pk")
    )
    overdue = list(
        NextStep.objects.filter(visit__project__team__cohort_id__in=cohort_ids, done=False, due_on__lt=today)
        .select_related("visit__project")
        .order_by("due_on", "pk")[:LIST_LIMIT]
    )
    cases = list(
        ModelCase.objects.filter(project__team__cohort_id__in=cohort_ids, status=CaseStatus.SUBMITTED)
        .select_related("project__team")
        .order_by("submitted_at", "pk")[:LIST_LIMIT]
    )
    return InstructorHome(
        to_grade_count=len(waiting),
        to_grade=waiting[:LIST_LIMIT],
        objections=objections,
        sessions_today=sessions,
        overdue_steps=overdue,
        cases=cases,
    )


# --- district staff


@dataclass
class SessionAttendance:
    session: Session
    share: AttendanceShare

    @property
    def attended(self) -> int:
        return self.share.attended

    @property
    def expected(self) -> int:
        return self.share.counted

    @property
    def percent(self) -> int | None:
        return self.share.percent


# An objection unanswered this long is overdue on the staff's to-do list.
OBJECTION_ANSWER_DAYS = 7


@dataclass
class StaffTodo:
    """What staff should see to first, per cohort; each a count, zero when there is nothing to do."""

    eligible_without_certificate: int
    graded_unreleased: int
    sessions_unrecorded: list[Session]
    never_signed_in: int = 0
    objections_overdue: int = 0

    @property
    def empty(self) -> bool:
        return not (
            self.eligible_without_certificate
            or self.graded_unreleased
            or self.sessions_unrecorded
            or self.never_signed_in
            or self.objections_overdue
        )


@dataclass
class StaffCohortHome:
    overview: CohortOverview
    sessions: list[SessionAttendance]
    submissions_by_state: list[tuple[str, str, int]]
    not_eligible: int
    common_reasons: list[tuple[str, int]]
    certificates_pending: int
    certificates_failed: int
    todo: StaffTodo

    @property
    def cohort(self) -> Cohort:
        return self.overview.cohort

    @property
    def phases(self) -> list[tuple[str, object]]:
        return [(Phase(cell.phase).label, cell) for cell in self.overview.phases]


def _reason_labels() -> dict[str, str]:
    """What each unmet criterion means for the cohort: counted by criterion, not by its per-trainee text."""
    return {
        "lessons": _("Lessons not finished"),
        "attendance": _("Attendance too low"),
        "assignments": _("Required assignments not passed"),
        "model_case": _("Model case not approved"),
    }


def staff_home(*, user) -> list[StaffCohortHome]:
    """For each cohort of the user's districts: what to do first (eligible without a certificate, trainees who
    never signed in, work graded but not released, sessions held without attendance taken, objections overdue),
    phase progress, attendance per session, submissions by state, who is not yet eligible and why, certificates
    waiting or failed.

    The same for every staff member, so kept per cohort in `lms.cohort_cache` (stale after no change): 3 queries
    and 2 cache reads when current; else 10 queries, then ~10 per cohort changed (eligibility)."""
    cohorts = list(staffed_cohorts(user=user))
    ids = [c.pk for c in cohorts]
    by_cohort = cohort_cached("staff-home", ids, _staff_cohort_homes)
    # Sign-ins and the clock change these without touching a cohort's rows: counted on every request (2 queries).
    never_signed_in = dict(
        Enrolment.objects.active()
        .filter(cohort_id__in=ids, trainee__last_login__isnull=True)
        .values("cohort_id")
        .annotate(n=Count("id"))
        .values_list("cohort_id", "n")
        .order_by()
    )
    overdue = dict(
        Objection.objects.filter(
            submission__assignment__module__cohort_id__in=ids,
            outcome="",
            created_at__lt=timezone.now() - timedelta(days=OBJECTION_ANSWER_DAYS),
        )
        .values("submission__assignment__module__cohort_id")
        .annotate(n=Count("id"))
        .values_list("submission__assignment__module__cohort_id", "n")
        .order_by()
    )
    homes = [by_cohort[c.pk] for c in cohorts]
    for home in homes:
        home.todo.never_signed_in = never_signed_in.get(home.cohort.pk, 0)
        home.todo.objections_overdue = overdue.get(home.cohort.pk, 0)
    return homes


def _staff_cohort_homes(cohort_ids: list[int]) -> dict[int, tuple[StaffCohortHome, object]]:
    """cohort id → (its staff home, when it goes stale by the clock: its next session's start)."""
    overviews = cohort_overviews(cohorts=Cohort.objects.filter(pk__in=cohort_ids).select_related("course", "district"))
    ids = [o.cohort.pk for o in overviews]
    held = timezone.now()
    next_start: dict[int, object] = {}
    sessions: dict[int, list[SessionAttendance]] = {}
    for session in sessions_with_attendance(
        Session.objects.filter(cohort_id__in=ids).select_related("lesson").order_by("-starts_at", "pk")
    ):
        if session.starts_at <= held:
            sessions.setdefault(session.cohort_id, []).append(
                SessionAttendance(session=session, share=session_share(session))
            )
        else:  # the cohort's figures change when its next session starts ("held")
            next_start[session.cohort_id] = session.starts_at
    states: dict[int, dict[str, int]] = {}
    for row in (
        Submission.objects.filter(assignment__module__cohort_id__in=ids)
        .values("assignment__module__cohort_id", "state")
        .annotate(n=Count("id"))
        .order_by()
    ):
        states.setdefault(row["assignment__module__cohort_id"], {})[row["state"]] = row["n"]
    certificates: dict[tuple[int, str], int] = {
        (row["cohort_id"], row["status"]): row["n"]
        for row in Certificate.objects.filter(
            cohort_id__in=ids, status__in=[CertificateStatus.PENDING, CertificateStatus.FAILED]
        )
        .values("cohort_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    }
    labels = _reason_labels()
    homes = {}
    for overview in overviews:
        cohort = overview.cohort
        rows = cohort_eligibility(cohort=cohort)
        unmet = Counter(r.key for row in rows for r in row.results if r.status == UNMET)
        by_state = states.get(cohort.pk, {})
        homes[cohort.pk] = (
            StaffCohortHome(
                overview=overview,
                sessions=sessions.get(cohort.pk, [])[:LIST_LIMIT],
                submissions_by_state=[
                    (value, label, by_state.get(value, 0)) for value, label in SubmissionState.choices
                ],
                not_eligible=sum(1 for row in rows if not row.eligible),
                common_reasons=[(labels.get(key, key), n) for key, n in unmet.most_common(4)],
                certificates_pending=certificates.get((cohort.pk, CertificateStatus.PENDING), 0),
                certificates_failed=certificates.get((cohort.pk, CertificateStatus.FAILED), 0),
                todo=StaffTodo(
                    eligible_without_certificate=sum(1 for row in rows if row.can_be_issued),
                    graded_unreleased=by_state.get(SubmissionState.GRADED, 0),
                    sessions_unrecorded=[
                        s.session
                        for s in reversed(sessions.get(cohort.pk, []))
                        if s.session.expected and not (s.session.attended + s.session.excused + s.session.absent)
                    ],
                ),
            ),
            next_start.get(cohort.pk),
        )
    return homes


def roles_for_homes(*, user) -> list[str]:
    """Which homes this user has, in the order the tabs show them."""
    roles = roles_of(user)
    return [
        name
        for name, held in (
            ("trainee", roles.trainee_cohort_ids),
            ("instructor", roles.instructor_cohort_ids),
            ("staff", roles.staff_district_ids),
        )
        if held
    ]
