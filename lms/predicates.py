"""Named permission predicates: the one answer to "may this user?" for pages, API and admin.

Each object predicate has a queryset twin (`*_q`) that answers "which rows?" with the same rule;
tests/lms/test_predicates.py checks that the two agree.
"""

import functools
from dataclasses import dataclass

import rules
from django.db.models import Q

from lms.registry import provided


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
        Enrolment, EnrolmentStatus, Teaching = provided("Enrolment", "EnrolmentStatus", "Teaching")
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
    EnrolmentStatus = provided("EnrolmentStatus")

    return enrolment is not None and enrolment.status == EnrolmentStatus.ACTIVE


is_superuser = rules.is_superuser
can_manage_cohort = is_superuser | is_district_staff_for
can_teach_cohort = can_manage_cohort | is_cohort_instructor
can_view_cohort = can_teach_cohort | is_cohort_trainee
can_view_progress = can_teach_cohort | is_own_enrolment
can_complete_lesson = is_own_enrolment & is_active_enrolment


# --- queryset twins


def superuser_sees_all(twin):
    """A superuser's twin is the empty Q (every row), decided here once for all twins: since
    `Q() | x` is `x`, an empty Q OR-ed inside a twin would silently narrow a superuser's view."""

    @functools.wraps(twin)
    def wrapper(user, *args, **kwargs):
        return Q() if user.is_superuser else twin(user, *args, **kwargs)

    return wrapper


def _ids_q(lookup: str, ids) -> Q:
    return Q(**{f"{lookup}__in": ids})


@superuser_sees_all
def district_scope_q(user, model) -> Q:
    """Rows of `model` in the districts the user staffs (all rows for a superuser)."""
    return _ids_q(model.district_lookup, roles_of(user).staff_district_ids)


@superuser_sees_all
def cohort_visible_q(user, model) -> Q:
    """Rows of `model` whose cohort the user may view: the twin of can_view_cohort."""
    roles = roles_of(user)
    return _ids_q(model.district_lookup, roles.staff_district_ids) | _ids_q(
        model.cohort_lookup, roles.instructor_cohort_ids | roles.trainee_cohort_ids
    )


@superuser_sees_all
def enrolment_progress_visible_q(user) -> Q:
    """Enrolments whose progress the user may view: the twin of can_view_progress."""
    Enrolment = provided("Enrolment")

    roles = roles_of(user)
    return (
        _ids_q(Enrolment.district_lookup, roles.staff_district_ids)
        | _ids_q(Enrolment.cohort_lookup, roles.instructor_cohort_ids)
        | Q(trainee_id=user.pk)
    )


# --- in-person sessions and attendance


@rules.predicate
def is_own_attendance(user, attendance) -> bool:
    return attendance is not None and user.is_authenticated and attendance.enrolment.trainee_id == user.pk


can_record_attendance = can_teach_cohort
can_view_attendance = can_teach_cohort | is_own_attendance


@superuser_sees_all
def cohort_taught_q(user, model) -> Q:
    """Rows of `model` whose cohort the user teaches or manages: the twin of can_teach_cohort."""
    roles = roles_of(user)
    return _ids_q(model.district_lookup, roles.staff_district_ids) | _ids_q(
        model.cohort_lookup, roles.instructor_cohort_ids
    )


@superuser_sees_all
def attendance_visible_q(user) -> Q:
    """Attendance rows the user may view: the twin of can_view_attendance."""
    Attendance = provided("Attendance")

    return cohort_taught_q(user, Attendance) | Q(enrolment__trainee_id=user.pk)


# --- teams: field assignments and field projects belong to an enrolment or to a team


def team_ids_of(user) -> frozenset[int]:
    """The teams the user belongs to as a trainee not withdrawn, read once per user object."""
    if not user or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_lms_team_ids", None)
    if cached is None:
        Enrolment, EnrolmentStatus = provided("Enrolment", "EnrolmentStatus")

        cached = frozenset(
            Enrolment.objects.filter(trainee=user, team__isnull=False)
            .exclude(status=EnrolmentStatus.WITHDRAWN)
            .order_by()
            .values_list("team_id", flat=True)
        )
        user._lms_team_ids = cached
    return cached


def team_id_of(obj) -> int | None:
    """The team an object belongs to (its `team_lookup`), or the team itself."""
    Team = provided("Team")

    if isinstance(obj, Team):
        return obj.pk
    lookup = getattr(type(obj), "team_lookup", None)
    return follow_id(obj, lookup) if lookup else None


@rules.predicate
def is_team_member(user, obj) -> bool:
    """A trainee of the object's team."""
    return obj is not None and team_id_of(obj) in team_ids_of(user)


# --- field assignments (fieldwork)


@rules.predicate
def is_submission_owner(user, submission) -> bool:
    """The trainee whose submission it is, or a member of the team whose submission it is."""
    if submission is None or not user.is_authenticated:
        return False
    if submission.enrolment_id:
        return submission.enrolment.trainee_id == user.pk
    return submission.team_id in team_ids_of(user)


@rules.predicate
def is_released_submission(user, submission) -> bool:
    return submission is not None and submission.is_released


# --- roles that cannot collide: one person is never on both sides of a cohort's work
#
# A person is trainee or instructor of a cohort, never both (an enrolment of any status counts: a
# withdrawn trainee's work is still in the gradebook and may be restored); and nobody grades, adjusts,
# releases, corrects or answers an objection on work they are a member of: their own submission, or
# their team's (as member now, withdrawn or moved out since).


def teaches_cohort(person, cohort) -> bool:
    """The person is an instructor of the cohort (read from the database: `person` is rarely the requester)."""
    Teaching = provided("Teaching")

    return Teaching.objects.filter(cohort_id=getattr(cohort, "pk", cohort), instructor_id=person.pk).exists()


def is_enrolled_in_cohort(person, cohort) -> bool:
    """The person has an enrolment in the cohort, whatever its status."""
    Enrolment = provided("Enrolment")

    return Enrolment.objects.filter(cohort_id=getattr(cohort, "pk", cohort), trainee_id=person.pk).exists()


def cohort_role_conflict_q() -> Q:
    """Enrolments whose trainee also teaches the cohort: the twin of `teaches_cohort(e.trainee, e.cohort)`."""
    from django.db.models import Exists, OuterRef

    Teaching = provided("Teaching")

    return Q(Exists(Teaching.objects.filter(cohort_id=OuterRef("cohort_id"), instructor_id=OuterRef("trainee_id"))))


def work_team_ids_of(user) -> set[int]:
    """Every team the user is or was a member of (any enrolment status, teams moved out of included)."""
    Enrolment = provided("Enrolment")

    if not user or not user.is_authenticated:
        return set()

    ids = set(
        Enrolment.objects.filter(trainee_id=user.pk, team__isnull=False).order_by().values_list("team_id", flat=True)
    )
    EnrolmentChange = provided("EnrolmentChange")

    return ids | set(
        EnrolmentChange.objects.filter(enrolment__trainee_id=user.pk, from_team__isnull=False)
        .order_by()
        .values_list("from_team_id", flat=True)
    )


@rules.predicate
def is_work_member(user, submission) -> bool:
    """The user's own submission, or one of a team the user is or was a member of. False for anything else
    (an assignment), so `~is_work_member` leaves assignment-level checks alone."""
    Submission = provided("Submission")

    if not isinstance(submission, Submission) or not user.is_authenticated:
        return False
    if submission.enrolment_id:
        return submission.enrolment.trainee_id == user.pk
    return submission.team_id in work_team_ids_of(user)


def work_member_q(user) -> Q:
    """Submissions the user is a member of: the twin of is_work_member."""
    if not user or not user.is_authenticated:
        return Q(pk__in=[])
    return Q(enrolment__trainee_id=user.pk) | Q(team_id__in=work_team_ids_of(user))


def acted_on_own_work_q(*, submission: str, actor: str) -> Q:
    """Rows (assessments, grade changes, objections) whose `actor` field names a member of the work found at
    the `submission` lookup path: the row-level twin of is_work_member, for listing what breaks the rule."""
    from django.db.models import Exists, F, OuterRef

    Enrolment, EnrolmentChange = provided("Enrolment", "EnrolmentChange")

    team = OuterRef(f"{submission}__team_id")
    return (
        Q(**{f"{submission}__enrolment__trainee_id": F(actor)})
        | Q(Exists(Enrolment.objects.filter(team_id=team, trainee_id=OuterRef(actor))))
        | Q(Exists(EnrolmentChange.objects.filter(from_team_id=team, enrolment__trainee_id=OuterRef(actor))))
    )


can_view_submission = can_teach_cohort | is_submission_owner
can_grade_submission = (is_superuser | is_cohort_instructor) & ~is_work_member
can_release_grade = can_teach_cohort & ~is_work_member
can_view_grade = can_teach_cohort | (is_submission_owner & is_released_submission)


@superuser_sees_all
def submission_visible_q(user) -> Q:
    """Submissions the user may view: the twin of can_view_submission."""
    Submission = provided("Submission")

    return cohort_taught_q(user, Submission) | Q(enrolment__trainee_id=user.pk) | Q(team_id__in=team_ids_of(user))


# --- field projects and model cases (fieldwork.projects)


@rules.predicate
def has_any_role(user) -> bool:
    roles = roles_of(user)
    return bool(roles.staff_district_ids or roles.instructor_cohort_ids or roles.trainee_cohort_ids)


@rules.predicate
def is_any_district_staff(user) -> bool:
    return bool(roles_of(user).staff_district_ids)


can_view_field_project = can_teach_cohort | is_team_member
can_edit_field_project = is_team_member
can_log_support_visit = is_cohort_instructor
can_review_model_case = is_cohort_instructor
can_read_case_library = is_superuser | has_any_role
can_export_case_booklet = is_superuser | is_any_district_staff


@superuser_sees_all
def field_project_visible_q(user, model) -> Q:
    """Rows of `model` (a project or one of its parts) the user may view: the twin of can_view_field_project."""
    return cohort_taught_q(user, model) | _ids_q(model.team_lookup, team_ids_of(user))


# --- certificates


@rules.predicate
def is_own_certificate(user, certificate) -> bool:
    return certificate is not None and user.is_authenticated and certificate.enrolment.trainee_id == user.pk


can_manage_certificate = is_superuser | is_district_staff_for
can_download_certificate = can_manage_certificate | is_own_certificate
# A district's issuer, seal and wording are its own: its staff edit them, no other district's.
can_edit_certificate_template = is_superuser | is_district_staff_for


@superuser_sees_all
def certificate_visible_q(user) -> Q:
    """Certificates the user may download: the twin of can_download_certificate."""
    Certificate = provided("Certificate")

    return _ids_q(Certificate.district_lookup, roles_of(user).staff_district_ids) | Q(enrolment__trainee_id=user.pk)


# --- accounts: who may act on whom


def _role_district_ids(target) -> tuple[set[int], bool]:
    """The districts of every role the target holds, and whether one of them is a staff role."""
    Enrolment, Teaching = provided("Enrolment", "Teaching")
    from lms.models import DistrictStaff

    districts = set(Enrolment.objects.filter(trainee=target).values_list("cohort__district_id", flat=True))
    districts |= set(Teaching.objects.filter(instructor=target).values_list("cohort__district_id", flat=True))
    return districts, DistrictStaff.objects.filter(user=target).exists()


@rules.predicate
def can_govern_user(user, target) -> bool:
    """Superusers govern every account; staff govern an account that is not a superuser, holds no
    staff role and has at least one role, every one of them in the staff member's districts.
    Anything wider would let staff of one district reset the password of another's staff.
    With no target, staff of any district (for model-level checks)."""
    if user.is_superuser:
        return True
    staff = roles_of(user).staff_district_ids
    if target is None:
        return bool(staff)
    if not staff or target.is_superuser or target.pk == user.pk:
        return False
    districts, holds_staff_role = _role_district_ids(target)
    return not holds_staff_role and bool(districts) and districts <= staff


def _users_with_role_in_q(district_ids, *, inside: bool) -> Q:
    Enrolment, Teaching = provided("Enrolment", "Teaching")

    lookup = "cohort__district_id__in"
    enrolments = Enrolment.objects.filter(**{lookup: district_ids})
    teachings = Teaching.objects.filter(**{lookup: district_ids})
    if not inside:
        enrolments = Enrolment.objects.exclude(**{lookup: district_ids})
        teachings = Teaching.objects.exclude(**{lookup: district_ids})
    return Q(pk__in=enrolments.values("trainee_id")) | Q(pk__in=teachings.values("instructor_id"))


def _privileged_q() -> Q:
    """Superusers and holders of a staff role: accounts staff never act on."""
    from lms.models import DistrictStaff

    return Q(is_superuser=True) | Q(pk__in=DistrictStaff.objects.values("user_id"))


@superuser_sees_all
def governed_users_q(user) -> Q:
    """Accounts the user governs: the twin of can_govern_user."""
    staff = roles_of(user).staff_district_ids
    return (
        _users_with_role_in_q(staff, inside=True)
        & ~_users_with_role_in_q(staff, inside=False)
        & ~_privileged_q()
        & ~Q(pk=user.pk)
    )


@superuser_sees_all
def district_people_q(user) -> Q:
    """People with a role in the user's districts that staff may assign (instructors): no superusers, no staff."""
    return _users_with_role_in_q(roles_of(user).staff_district_ids, inside=True) & ~_privileged_q()


@superuser_sees_all
def enrollable_trainees_q(user) -> Q:
    """Accounts the user may enrol as trainees: people with a role in its districts, or with no role outside
    them (role-less accounts included); never another district's people, whom its staff govern, and only a
    superuser enrols a superuser or a staff member."""
    staff = roles_of(user).staff_district_ids
    return ~_privileged_q() & (
        _users_with_role_in_q(staff, inside=True) | ~_users_with_role_in_q(staff, inside=False)
    )


# --- the audit trail


@rules.predicate
def can_view_audit(user) -> bool:
    """The audit page: superusers, staff (their districts' rows) and instructors (their cohorts' rows)."""
    roles = roles_of(user)
    return user.is_superuser or bool(roles.staff_district_ids or roles.instructor_cohort_ids)


@rules.predicate
def can_view_audit_entry(user, entry) -> bool:
    """An audit row belongs to the district and cohort of its target, copied onto it at write time."""
    if entry is None:
        return False
    if user.is_superuser:
        return True
    roles = roles_of(user)
    return (entry.district_id is not None and entry.district_id in roles.staff_district_ids) or (
        entry.cohort_id is not None and entry.cohort_id in roles.instructor_cohort_ids
    )


@superuser_sees_all
def audit_visible_q(user) -> Q:
    """Audit rows the user may read: the twin of can_view_audit_entry (one indexed filter)."""
    roles = roles_of(user)
    return Q(district_id__in=roles.staff_district_ids) | Q(cohort_id__in=roles.instructor_cohort_ids)


# --- a person's mobile number


def _person_district_ids(person) -> set[int]:
    """The districts where the person holds any role: trainee, instructor or staff."""
    from lms.models import DistrictStaff

    districts, _staff = _role_district_ids(person)
    return districts | set(DistrictStaff.objects.filter(user=person).values_list("district_id", flat=True))


@rules.predicate
def can_view_mobile(user, person) -> bool:
    """Who may see a person's mobile number (pages, exports, API): the person itself, superusers, and staff
    of a district where the person holds a role. Instructors and fellow trainees may not."""
    if person is None or not user.is_authenticated:
        return False
    if user.is_superuser or user.pk == person.pk:
        return True
    staff = roles_of(user).staff_district_ids
    return bool(staff) and bool(_person_district_ids(person) & staff)


@superuser_sees_all
def mobile_visible_q(user) -> Q:
    """People whose mobile number the user may see: the twin of can_view_mobile (on User)."""
    from lms.models import DistrictStaff

    staff = roles_of(user).staff_district_ids
    return (
        _users_with_role_in_q(staff, inside=True)
        | Q(pk__in=DistrictStaff.objects.filter(district_id__in=staff).values("user_id"))
        | Q(pk=user.pk)
    )
