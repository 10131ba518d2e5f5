"""Reads of people for staff pages, with fixed query counts and "not found" for what is not governed."""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from lms.access import access
from lms.errors import NotFound
from lms.models import Community, District, Town, User
from lms.predicates import district_people_q, governed_users_q, mobile_visible_q, roles_of
from lms.registry import provided

PEOPLE_PER_PAGE = 50


def not_found():
    return NotFound(_("This page does not exist, or you do not have access to it."))


def _role_prefetches(user):
    """Roles shown beside a person: only those in the viewer's districts (another district's cohorts stay unseen)."""
    Enrolment, Teaching = provided("Enrolment", "Teaching")

    districts = Q() if user.is_superuser else Q(cohort__district_id__in=roles_of(user).staff_district_ids)
    return [
        Prefetch(
            "enrolments",
            queryset=Enrolment.objects.filter(districts).select_related("cohort", "community", "team"),
            to_attr="shown_enrolments",
        ),
        Prefetch(
            "teachings", queryset=Teaching.objects.filter(districts).select_related("cohort"), to_attr="shown_teachings"
        ),
    ]


def may_see_people(user) -> bool:
    return user.is_authenticated and (user.is_superuser or bool(roles_of(user).staff_district_ids))


@dataclass
class PeoplePage:
    page: Page
    governed_ids: set[int]
    search: str
    role: str


def people_page(*, user, search: str = "", role: str = "", page_number=1) -> PeoplePage:
    """People with a role in the user's districts, searched by name, username or mobile, 50 a page.
    Fixed queries: count, page, two role prefetches, and which of the page the user governs."""
    Enrolment, Teaching = provided("Enrolment", "Teaching")

    if not may_see_people(user):
        raise not_found()
    people = User.objects.filter(district_people_q(user)).select_related("community__town")
    search = (search or "").strip()[:64]
    if search:
        people = people.filter(
            Q(full_name__icontains=search) | Q(username__icontains=search) | Q(mobile__icontains=search)
        )
    districts = None if user.is_superuser else roles_of(user).staff_district_ids
    if role == "trainee":
        people = people.filter(
            enrolments__in=Enrolment.objects.filter(cohort__district_id__in=districts)
            if districts is not None
            else Enrolment.objects.all()
        )
    elif role == "instructor":
        people = people.filter(
            teachings__in=Teaching.objects.filter(cohort__district_id__in=districts)
            if districts is not None
            else Teaching.objects.all()
        )
    else:
        role = ""
    people = people.distinct().order_by("full_name", "pk").prefetch_related(*_role_prefetches(user))
    page = Paginator(people, PEOPLE_PER_PAGE).get_page(page_number)
    ids = [person.pk for person in page.object_list]
    governed = set(User.objects.filter(governed_users_q(user), pk__in=ids).values_list("pk", flat=True))
    return PeoplePage(page=page, governed_ids=governed, search=search, role=role)


def access_governed_person(*, user, person_id: int) -> User:
    """The person if the user governs it, with its roles in the user's districts; "not found" otherwise."""
    person = (
        User.objects.filter(pk=person_id)
        .select_related("community__town")
        .prefetch_related(*_role_prefetches(user))
        .first()
    )
    if person is None or not user.has_perm("lms.change_user", person):
        raise not_found()
    return person


def visible_mobiles(*, user, people) -> dict[int, str]:
    """The mobile numbers of `people` that the user may see (lms.predicates.can_view_mobile), by person id,
    in one query: what exports and pages print beside a name. Instructors get none of their trainees'."""
    ids = [person.pk for person in people]
    rows = User.objects.filter(mobile_visible_q(user), pk__in=ids).exclude(mobile="").values_list("pk", "mobile")
    return dict(rows)


def choosable_communities(*, user, district_id: int | None = None, keep_id: int | None = None):
    """The communities `user` may choose for something new: those in use (`Community.objects.choosable`)
    in the user's districts, or in `district_id` when given (a cohort's district: the caller has fetched
    the cohort through its access check, and the service asks for the permission to act on it).
    `keep_id` adds the value a form already holds, even retired, so that saving it unchanged keeps it.
    The one list behind every community choice: person forms, enrolment forms, sheets, sessions."""
    if district_id is not None:
        scope = Q(town__district_id=district_id)
    elif user.is_superuser:
        scope = Q()
    else:
        scope = Q(town__district_id__in=roles_of(user).staff_district_ids)
    choosable = Q(pk__in=Community.objects.choosable().values("pk"))
    if keep_id:
        choosable |= Q(pk=keep_id)
    return (
        Community.objects.filter(scope & choosable)
        .select_related("town__district")
        .order_by("town__district__name", "town__name", "name")
    )


def managed_cohorts(user):
    Cohort = provided("Cohort")

    scope = Q() if user.is_superuser else Q(district_id__in=roles_of(user).staff_district_ids)
    return Cohort.objects.filter(scope).select_related("district").order_by("-year", "name")


# --- places: towns and communities of the user's districts


def may_keep_places(user) -> bool:
    return user.is_authenticated and (user.is_superuser or bool(roles_of(user).staff_district_ids))


@dataclass
class TownPlaces:
    town: Town
    communities: list[Community]


@dataclass
class DistrictPlaces:
    district: District
    towns: list[TownPlaces]

    @property
    def towns_in_use(self) -> list[Town]:
        return [t.town for t in self.towns if t.town.retired_at is None]


def _count_of(model, field: str, **filters):
    """A correlated COUNT(*) of `model` rows naming the outer community, for one annotation."""
    rows = model.objects.filter(**{field: OuterRef("pk")}, **filters).order_by().values(field)
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")[:1]), 0)


def places_overview(*, user) -> list[DistrictPlaces]:
    """The towns and communities of each district the user keeps, with how many trainees (active
    enrolments), enrolments (any) and teams name each community. Three queries, whatever the size."""
    Enrolment, EnrolmentStatus, Team = provided("Enrolment", "EnrolmentStatus", "Team")

    if not may_keep_places(user):
        raise not_found()
    scope = Q() if user.is_superuser else Q(pk__in=roles_of(user).staff_district_ids)
    districts = list(District.objects.filter(scope).order_by("name"))
    towns = list(Town.objects.filter(district__in=districts).order_by("name"))
    communities = (
        Community.objects.filter(town__in=towns)
        .annotate(
            trainee_count=_count_of(Enrolment, "community", status=EnrolmentStatus.ACTIVE),
            enrolment_count=_count_of(Enrolment, "community"),
            team_count=_count_of(Team, "community"),
        )
        .order_by("name")
    )
    by_town: dict[int, list[Community]] = {}
    for community in communities:
        by_town.setdefault(community.town_id, []).append(community)
    by_district: dict[int, list[TownPlaces]] = {}
    for town in towns:
        by_district.setdefault(town.district_id, []).append(TownPlaces(town, by_town.get(town.pk, [])))
    return [DistrictPlaces(d, by_district.get(d.pk, [])) for d in districts]


def access_place_district(*, user, district_id) -> District:
    return access(District.objects.all(), district_id, user=user, perm="lms.manage_places")


def access_town(*, user, town_id) -> Town:
    return access(Town.objects.select_related("district"), town_id, user=user, perm="lms.manage_places")


def access_community(*, user, community_id) -> Community:
    return access(Community.objects.select_related("town__district"), community_id, user=user, perm="lms.manage_places")


def community_references(community: Community) -> dict[str, int]:
    """What names the community: enrolments, teams, sessions, field projects, people."""
    Enrolment, Session, Team = provided("Enrolment", "Session", "Team")
    FieldProject = provided("FieldProject")

    return {
        "enrolments": Enrolment.objects.filter(community=community).count(),
        "teams": Team.objects.filter(community=community).count(),
        "sessions": Session.objects.filter(community=community).count(),
        "projects": FieldProject.objects.filter(community=community).count(),
        "people": User.objects.filter(community=community).count(),
    }
