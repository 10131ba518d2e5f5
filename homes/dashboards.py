"""A cohort at a glance: charts with their tables, composed from each app's own selectors.

Nothing here re-derives a rule: progress comes from `courses`, attendance statuses from `courses`,
submission states from `fieldwork`, participation from `fieldwork.projects`. This module only counts
what those selectors return and shapes it for the charts.
"""

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import Cohort, Phase
from courses.selectors import cohort_progress_table, session_attendance
from fieldwork.models import SubmissionState
from fieldwork.projects.selectors import activities_by_month, cohort_totals
from fieldwork.selectors import assignment_state_counts
from lms.cohort_cache import cohort_cached
from lms.errors import ValidationFailed
from lms.models import Community

# Progress buckets: share of a phase's lessons done.
BUCKETS = [(0, 0), (1, 49), (50, 99), (100, 100)]


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def _scaled(rows: list[dict], key: str = "value") -> list[dict]:
    largest = max([row[key] for row in rows] + [1])
    return [{**row, "percent": _percent(row[key], largest)} for row in rows]


@dataclass
class CohortDashboard:
    cohort: Cohort
    community: Community | None
    communities: list[Community]
    trainees: int = 0
    bucket_labels: list[str] = field(default_factory=list)
    phases: list[dict] = field(default_factory=list)
    sessions: list[dict] = field(default_factory=list)
    state_labels: list[str] = field(default_factory=list)
    assignments: list[dict] = field(default_factory=list)
    months: list[dict] = field(default_factory=list)
    per_community: list[dict] = field(default_factory=list)


def dashboard_community(*, cohort: Cohort, value: str) -> Community | None:
    """The `community` filter, parsed strictly: empty for all, else a community of the cohort's district."""
    value = (value or "").strip()
    if not value:
        return None
    community = None
    if value.isdigit() and len(value) < 12:
        community = Community.objects.filter(pk=int(value), town__district_id=cohort.district_id).first()
    if community is None:
        raise ValidationFailed(
            _("Unknown community filter: choose a community of this cohort's district."),
            code="unknown_filter",
            fields={"community": [_("Unknown community.")]},
        )
    return community


def cohort_dashboard(*, cohort: Cohort, community: Community | None = None) -> CohortDashboard:
    """Everything the dashboard shows, optionally for one community. The same for everyone who may see it, so
    kept per cohort and filter in `lms.cohort_cache` (stale after no change); else a fixed number of queries."""

    def compute(_ids):
        board = _cohort_dashboard(cohort=cohort, community=community)
        now = timezone.now()
        upcoming = [row["session"].starts_at for row in board.sessions if row["session"].starts_at > now]
        return {cohort.pk: (board, min(upcoming, default=None))}

    variant = str(community.pk) if community else ""
    return cohort_cached("dashboard", [cohort.pk], compute, variant=variant)[cohort.pk]


def _cohort_dashboard(*, cohort: Cohort, community: Community | None = None) -> CohortDashboard:
    community_id = community.pk if community else None
    board = CohortDashboard(
        cohort=cohort,
        community=community,
        communities=list(
            Community.objects.filter(town__district_id=cohort.district_id).select_related("town").order_by("name")
        ),
    )

    progress = cohort_progress_table(cohort=cohort)
    rows = [r for r in progress.rows if community_id is None or r.enrolment.community_id == community_id]
    board.trainees = len(rows)
    board.bucket_labels = [_("none"), _("under half"), _("half or more"), _("all")]
    phase_labels = dict(Phase.choices)
    for index, (value, _label, lessons) in enumerate(progress.phases):
        counts = [0] * len(BUCKETS)
        for row in rows:
            percent = row.phases[index].percent
            bucket = next(i for i, (low, high) in enumerate(BUCKETS) if low <= percent <= high)
            counts[bucket] += 1
        board.phases.append({"label": str(phase_labels[value]), "lessons": lessons, "values": counts})

    now = timezone.now()
    sessions = []
    for session in session_attendance(cohort=cohort, community_id=community_id):
        share = session.share
        sessions.append(
            {
                "label": f"{timezone.localtime(session.starts_at):%m-%d} {session.lesson.title}",
                "session": session,
                "held": session.starts_at <= now,
                "value": share.attended,
                "excused": share.excused,
                "absent": session.absent,
                "unrecorded": max(session.expected - share.attended - share.excused - session.absent, 0),
                # The session's share by courses' one rule of attendance (excused left out).
                "share": share.percent or 0,
            }
        )
    board.sessions = [{**row, "percent": row["share"]} for row in sessions]

    states = [s for s in SubmissionState if s != SubmissionState.DRAFT]
    board.state_labels = [_("Not handed in"), *[str(s.label) for s in states]]
    board.assignments = [
        {
            "label": row.assignment.title,
            "assignment": row.assignment,
            "values": [row.not_handed_in, *[row.counts.get(s, 0) for s in states]],
        }
        for row in assignment_state_counts(cohort=cohort, community_id=community_id)
    ]

    board.months = _scaled(
        [
            {"label": f"{row['month']:%Y-%m}", "value": row["activities"], "residents": row["residents"]}
            for row in activities_by_month(cohort=cohort, community_id=community_id)
        ]
    )
    totals = cohort_totals(cohort=cohort)
    board.per_community = _scaled(
        [
            {"label": row["community__name"], "value": row["residents"], "activities": row["activities"]}
            for row in totals.per_community
            if community_id is None or row["project__community_id"] == community_id
        ]
    )
    return board
