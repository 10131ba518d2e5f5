"""Named permission predicates: the one answer to "may this user?" for pages, API and admin.

Each object predicate has a queryset twin (`*_q`) that answers "which rows?" with the same rule;
tests/lms/test_predicates.py checks that the two agree.
"""

from dataclasses import dataclass

import rules
from django.db.models import Q


@dataclass(frozen=True)
class Roles:
    staff_district_ids: frozenset[int]
    instructor_cohort_ids: frozenset[int]
    trainee_cohort_ids: frozenset[int]


NO_ROLES = Roles(frozenset(), frozenset(), frozenset())


def roles_of(user) -> Roles:
    """The user's roles, read once per user object (so once per request)."""
    if not user or not user.is_authenticated:
        return NO_ROLES
    cached = getattr(user, "_lms_roles", None)
    if cached is None:
        from courses.models import Enrolment, EnrolmentStatus, Teaching
        from lms.models import DistrictStaff

        cached = Roles(
            staff_district_ids=frozenset(DistrictStaff.objects.filter(user=user).values_list("district_id", flat=True)),
            instructor_cohort_ids=frozenset(
                Teaching.objects.filter(instructor=user).values_list("cohort_id", flat=True)
            ),
            trainee_cohort_ids=frozenset(
                Enrolment.objects.filter(trainee=user)
                .exclude(status=EnrolmentStatus.WITHDRAWN)
                .order_by()
                .values_list("cohort_id", flat=True)
            ),
        )
        user._lms_roles = cached
    return cached


def forget_roles(user) -> None:
    """Drop the cached roles after a role change within the same request."""
    user.__dict__.pop("_lms_roles", None)


def follow_id(obj, lookup: str):
    """Follow a Django lookup path ("module__cohort__district") on an instance to the final id."""
    *path, last = lookup.split("__")
    for name in path:
        obj = getattr(obj, name)
    return getattr(obj, f"{last}_id") if last != "id" else obj.pk


def district_id_of(obj) -> int | None:
    lookup = getattr(type(obj), "district_lookup", None)
    return follow_id(obj, lookup) if lookup else None


def cohort_id_of(obj) -> int | None:
    lookup = getattr(type(obj), "cohort_lookup", None)
    return follow_id(obj, lookup) if lookup else None


# --- predicates on an object that knows its cohort (cohort, module, lesson, enrolment, ...)


@rules.predicate
def is_district_staff_for(user, obj) -> bool:
    """Staff of the object's district; with no object, staff of any district (for model-level checks)."""
    staff = roles_of(user).staff_district_ids
    if obj is None:
        return bool(staff)
    return district_id_of(obj) in staff


@rules.predicate
def is_cohort_instructor(user, obj) -> bool:
    return obj is not None and cohort_id_of(obj) in roles_of(user).instructor_cohort_ids


@rules.predicate
def is_cohort_trainee(user, obj) -> bool:
    return obj is not None and cohort_id_of(obj) in roles_of(user).trainee_cohort_ids


@rules.predicate
def is_own_enrolment(user, enrolment) -> bool:
    return enrolment is not None and user.is_authenticated and enrolment.trainee_id == user.pk


@rules.predicate
def is_active_enrolment(user, enrolment) -> bool:
    from courses.models import EnrolmentStatus

    return enrolment is not None and enrolment.status == EnrolmentStatus.ACTIVE


is_superuser = rules.is_superuser
can_manage_cohort = is_superuser | is_district_staff_for
can_teach_cohort = can_manage_cohort | is_cohort_instructor
can_view_cohort = can_teach_cohort | is_cohort_trainee
can_view_progress = can_teach_cohort | is_own_enrolment
can_complete_lesson = is_own_enrolment & is_active_enrolment


# --- queryset twins


def _ids_q(lookup: str, ids) -> Q:
    return Q(**{f"{lookup}__in": ids})


def district_scope_q(user, model) -> Q:
    """Rows of `model` in the districts the user staffs (all rows for a superuser)."""
    if user.is_superuser:
        return Q()
    return _ids_q(model.district_lookup, roles_of(user).staff_district_ids)


def cohort_visible_q(user, model) -> Q:
    """Rows of `model` whose cohort the user may view: the twin of can_view_cohort."""
    if user.is_superuser:
        return Q()
    roles = roles_of(user)
    return _ids_q(model.district_lookup, roles.staff_district_ids) | _ids_q(
        model.cohort_lookup, roles.instructor_cohort_ids | roles.trainee_cohort_ids
    )


def enrolment_progress_visible_q(user) -> Q:
    """Enrolments whose progress the user may view: the twin of can_view_progress."""
    from courses.models import Enrolment

    if user.is_superuser:
        return Q()
    roles = roles_of(user)
    return (
        _ids_q(Enrolment.district_lookup, roles.staff_district_ids)
        | _ids_q(Enrolment.cohort_lookup, roles.instructor_cohort_ids)
        | Q(trainee_id=user.pk)
    )


# --- certificates


@rules.predicate
def is_own_certificate(user, certificate) -> bool:
    return certificate is not None and user.is_authenticated and certificate.enrolment.trainee_id == user.pk


@rules.predicate
def is_course_staff(user, course) -> bool:
    """Staff of a district that runs a cohort of the course (certificate templates are per course)."""
    staff = roles_of(user).staff_district_ids
    if course is None or not staff:
        return False
    return course.cohorts.filter(district_id__in=staff).exists()


can_manage_certificate = is_superuser | is_district_staff_for
can_download_certificate = can_manage_certificate | is_own_certificate
can_edit_certificate_template = is_superuser | is_course_staff


def certificate_visible_q(user) -> Q:
    """Certificates the user may download: the twin of can_download_certificate."""
    from certificates.models import Certificate

    if user.is_superuser:
        return Q()
    return _ids_q(Certificate.district_lookup, roles_of(user).staff_district_ids) | Q(enrolment__trainee_id=user.pk)
