"""Reads of people for staff pages, with fixed query counts and "not found" for what is not governed."""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from lms.errors import NotFound
from lms.models import Community, User
from lms.predicates import district_people_q, governed_users_q, roles_of

PEOPLE_PER_PAGE = 50


def not_found():
    return NotFound(_("This page does not exist, or you do not have access to it."))


def _role_prefetches(user):
    """Roles shown beside a person: only those in the viewer's districts (another district's cohorts stay unseen)."""
    from courses.models import Enrolment, Teaching

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
    from courses.models import Enrolment, Teaching

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


def communities_of(user):
    """Communities of the user's districts, for choosing one."""
    scope = Q() if user.is_superuser else Q(town__district_id__in=roles_of(user).staff_district_ids)
    return (
        Community.objects.filter(scope)
        .select_related("town__district")
        .order_by("town__district__name", "town__name", "name")
    )


def managed_cohorts(user):
    from courses.models import Cohort

    scope = Q() if user.is_superuser else Q(district_id__in=roles_of(user).staff_district_ids)
    return Cohort.objects.filter(scope).select_related("district").order_by("-year", "name")
