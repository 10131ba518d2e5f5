"""Reads of field projects and the case library, each with a fixed number of queries.

Totals always come from aggregate queries (SUM in the database), never from loops over rows.
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from courses.models import Cohort, Team
from fieldwork.projects.models import (
    CASE_SECTIONS,
    COUNT_FIELDS,
    PARTICIPANT_GROUPS,
    BeforeAfterPair,
    CaseStatus,
    EngagementActivity,
    FieldProject,
    ModelCase,
    NextStep,
    ProjectPhoto,
    SupportVisit,
)
from lms.access import access, not_found, parse_id
from lms.models import Town
from lms.predicates import field_project_visible_q

MAX_QUERY_LENGTH = 100
LIBRARY_PAGE_SIZE = 50


def _sums(prefix: str = "") -> dict:
    return {name: Coalesce(Sum(f"{prefix}{name}"), 0) for name in COUNT_FIELDS}


def project_totals(*, project: FieldProject) -> dict[str, int]:
    """Participants of all the project's activities by group, plus the activity count. 1 query."""
    from django.db.models import Count

    return EngagementActivity.objects.filter(project=project).aggregate(activities=Count("id"), **_sums())


def participant_rows(totals: dict) -> list[dict]:
    """Totals as (label, value, percent of the largest) rows for a table and its bar chart."""
    largest = max([totals.get(name, 0) for name in COUNT_FIELDS] + [1])
    return [
        {
            "field": name,
            "label": label,
            "value": totals.get(name, 0),
            "percent": round(100 * totals.get(name, 0) / largest),
        }
        for name, label in PARTICIPANT_GROUPS
    ]


# --- access: fetch and authorise together; "not found" for missing and forbidden alike


def access_project(*, user, project_id) -> FieldProject:
    projects = FieldProject.objects.select_related("team__cohort__district", "community__town")
    return access(projects, project_id, user=user, perm="projects.view_project")


def access_team(*, user, team_id) -> Team:
    teams = Team.objects.select_related("cohort", "community__town")
    return access(teams, team_id, user=user, perm=("projects.edit_project", "courses.teach_cohort"))


def access_activity(*, user, activity_id) -> EngagementActivity:
    activities = EngagementActivity.objects.select_related("project__team__cohort")
    return access(
        activities, activity_id, user=user, perm="projects.view_project", on=lambda activity: activity.project
    )


def access_next_step(*, user, step_id) -> NextStep:
    steps = NextStep.objects.select_related("visit__project__team__cohort")
    return access(steps, step_id, user=user, perm="projects.view_project", on=lambda step: step.visit.project)


def access_case(*, user, case_id) -> ModelCase:
    """A case its project's viewers may see; an approved case is also open to library readers."""
    case = (
        ModelCase.objects.select_related("project__team__cohort", "project__community__town", "approved_by")
        .filter(pk=parse_id(case_id) or 0)
        .first()
    )
    if case is None:
        raise not_found()
    readable = case.status == CaseStatus.APPROVED and user.has_perm("projects.read_library")
    if not (readable or user.has_perm("projects.view_project", case.project)):
        raise not_found()
    return case


def access_photo(*, user, photo_id) -> ProjectPhoto:
    photos = ProjectPhoto.objects.select_related("project__team__cohort")
    return access(photos, photo_id, user=user, perm="projects.view_project", on=lambda photo: photo.project)


def access_cohort_for_totals(*, user, cohort_id) -> Cohort:
    cohorts = Cohort.objects.select_related("district", "course")
    return access(cohorts, cohort_id, user=user, perm="projects.view_totals")


# --- lists


def visible_projects(*, user):
    """Projects the user may view (the `*_q` twin of projects.view_project)."""
    return (
        FieldProject.objects.filter(field_project_visible_q(user, FieldProject))
        .select_related("team__cohort", "community__town")
        .order_by("team__cohort", "team__name")
    )


def visible_rows(*, user, model):
    return model.objects.filter(field_project_visible_q(user, model))


@dataclass
class TimelineEntry:
    day: object
    kind: str
    title: str
    anchor: str


@dataclass
class ProjectLog:
    project: FieldProject
    activities: list[EngagementActivity]
    visits: list[SupportVisit]
    pairs: list[BeforeAfterPair]
    totals: dict
    open_steps: list[NextStep] = field(default_factory=list)
    members: list = field(default_factory=list)
    partners: list = field(default_factory=list)

    @property
    def participant_rows(self) -> list[dict]:
        return participant_rows(self.totals)

    @property
    def timeline(self) -> list[TimelineEntry]:
        """The project's events in date order, derived from its records (no separate event table)."""
        entries = [TimelineEntry(a.held_on, a.get_kind_display(), a.title, f"activity-{a.pk}") for a in self.activities]
        entries += [
            TimelineEntry(v.visited_on, gettext("Support visit"), str(v.instructor), f"visit-{v.pk}")
            for v in self.visits
        ]
        entries += [
            TimelineEntry(p.changed_on or p.created_at.date(), gettext("Before and after"), p.place, f"pair-{p.pk}")
            for p in self.pairs
        ]
        return sorted(entries, key=lambda e: e.day, reverse=True)


def project_log(*, project: FieldProject) -> ProjectLog:
    """Everything shown on a project's log page. 10 queries whatever the number of records."""
    photo_qs = ProjectPhoto.objects.only(
        "id", "original_name", "preview_state", "visit_id", "activity_id", "project_id"
    )
    activities = list(
        project.activities.select_related("recorded_by").prefetch_related(Prefetch("photos", queryset=photo_qs))
    )
    visits = list(
        project.visits.select_related("instructor").prefetch_related(
            Prefetch("next_steps", queryset=NextStep.objects.order_by("done", "due_on", "pk")),
            Prefetch("photos", queryset=photo_qs),
        )
    )
    pairs = list(project.before_after_pairs.select_related("before", "after"))
    # The next visit shows the open next steps of the last one.
    open_steps = [s for s in visits[0].next_steps.all() if not s.done] if visits else []
    from courses.models import Enrolment, EnrolmentStatus

    members = list(
        Enrolment.objects.filter(team_id=project.team_id, status=EnrolmentStatus.ACTIVE)
        .select_related("trainee")
        .order_by("trainee__username")
    )
    return ProjectLog(
        members=members,
        partners=list(project.partners.all()),
        project=project,
        activities=activities,
        visits=visits,
        pairs=pairs,
        totals=project_totals(project=project),
        open_steps=open_steps,
    )


def last_visit_open_steps(*, project: FieldProject) -> list[NextStep]:
    """The open next steps of the project's most recent visit. 1 query."""
    last = project.visits.order_by("-visited_on", "-pk").values("pk")[:1]
    return list(NextStep.objects.filter(visit_id__in=last, done=False).order_by("due_on", "pk"))


@dataclass
class CohortTotals:
    cohort: Cohort
    totals: dict
    per_project: list[dict]
    per_community: list[dict]

    @property
    def participant_rows(self) -> list[dict]:
        return participant_rows(self.totals)

    @property
    def residents_by_community(self) -> list[dict]:
        largest = max([row["residents"] for row in self.per_community] + [1])
        return [
            {
                "label": row["community__name"],
                "value": row["residents"],
                "percent": round(100 * row["residents"] / largest),
            }
            for row in self.per_community
        ]


def cohort_totals(*, cohort: Cohort) -> CohortTotals:
    """Participant totals of a cohort: overall, per project and per community. 3 aggregate queries."""
    from django.db.models import Count

    activities = EngagementActivity.objects.filter(project__team__cohort=cohort)
    totals = activities.aggregate(activities=Count("id"), **_sums())
    per_project = list(
        FieldProject.objects.filter(team__cohort=cohort)
        .values("pk", "title", "status", "team__name", "community__name")
        .annotate(activity_count=Count("activities"), **_sums("activities__"))
        .order_by("team__name")
    )
    per_community = list(
        activities.values("project__community_id", "project__community__name")
        .annotate(activities=Count("id"), **_sums())
        .order_by("project__community__name")
    )
    for row in per_community:
        row["community__name"] = row.pop("project__community__name")
    return CohortTotals(cohort=cohort, totals=totals, per_project=per_project, per_community=per_community)


def community_totals(*, community_id: int) -> dict:
    """Participants of every project in one community, across cohorts. 1 query."""
    from django.db.models import Count

    return EngagementActivity.objects.filter(project__community_id=community_id).aggregate(
        activities=Count("id"), **_sums()
    )


# --- the case library


@dataclass
class LibraryFilters:
    query: str = ""
    town_id: int | None = None
    theme: str = ""
    year: int | None = None


@dataclass
class LibraryPage:
    filters: LibraryFilters
    cases: list[ModelCase]
    count: int
    towns: list[Town]
    years: list[int]


def clean_library_filters(*, query="", town="", theme="", year="") -> LibraryFilters:
    """Parse the library's GET parameters; anything malformed is ignored rather than an error."""

    def as_int(value):
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    from fieldwork.projects.models import CaseTheme

    return LibraryFilters(
        query=(query or "").strip()[:MAX_QUERY_LENGTH],
        town_id=as_int(town),
        theme=theme if theme in CaseTheme.values else "",
        year=as_int(year),
    )


def library_cases(*, filters: LibraryFilters):
    """Approved cases matching the filters. The query is bound as a parameter and its LIKE
    wildcards escaped by Django, so SQL in it is searched for as text; icontains behaves alike on
    PostgreSQL and SQLite for Chinese (no case folding is involved)."""
    cases = ModelCase.objects.filter(status=CaseStatus.APPROVED)
    if filters.query:
        text = Q(title__icontains=filters.query) | Q(project__community__name__icontains=filters.query)
        for name, _label in CASE_SECTIONS:
            text |= Q(**{f"{name}__icontains": filters.query})
        cases = cases.filter(text)
    if filters.town_id:
        cases = cases.filter(project__community__town_id=filters.town_id)
    if filters.theme:
        cases = cases.filter(theme=filters.theme)
    if filters.year:
        cases = cases.filter(project__team__cohort__year=filters.year)
    return cases.select_related("project__community__town", "project__team__cohort", "approved_by").order_by(
        "-approved_at", "pk"
    )


def library_search(*, filters: LibraryFilters, limit: int = LIBRARY_PAGE_SIZE) -> LibraryPage:
    """One page of the case library with the filter choices. 4 queries whatever the size."""
    cases = library_cases(filters=filters)
    approved = ModelCase.objects.filter(status=CaseStatus.APPROVED)
    towns = list(Town.objects.filter(communities__field_projects__model_case__in=approved).distinct().order_by("name"))
    years = list(
        Cohort.objects.filter(teams__field_project__model_case__in=approved)
        .order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )
    return LibraryPage(filters=filters, cases=list(cases[:limit]), count=cases.count(), towns=towns, years=years)


def case_sections(case: ModelCase) -> list[tuple[str, str, str]]:
    return [(name, label, getattr(case, name)) for name, label in CASE_SECTIONS]


def approved_case_team_ids(*, cohort_id: int) -> set[int]:
    """Teams of the cohort whose model case is approved (for completion rules). 1 query."""
    return set(
        ModelCase.objects.filter(status=CaseStatus.APPROVED, project__team__cohort_id=cohort_id).values_list(
            "project__team_id", flat=True
        )
    )


def activities_by_month(*, cohort: Cohort, community_id: int | None = None) -> list[dict]:
    """Engagement activities and residents reached per month, oldest first. 1 query."""
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    activities = EngagementActivity.objects.filter(project__team__cohort=cohort)
    if community_id:
        activities = activities.filter(project__community_id=community_id)
    return list(
        activities.annotate(month=TruncMonth("held_on"))
        .values("month")
        .annotate(activities=Count("id"), residents=Coalesce(Sum("residents"), 0))
        .order_by("month")
    )


def library_stamp() -> str:
    """What changes whenever the case library does: the approved cases' count and latest change. 1 query."""
    from django.db.models import Count, Max

    stamp = ModelCase.objects.filter(status=CaseStatus.APPROVED).aggregate(n=Count("id"), last=Max("updated_at"))
    return f"{stamp['n']}:{stamp['last'].isoformat() if stamp['last'] else ''}"
