"""Instructors of a cohort, assigned by the cohort's staff."""

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from courses.models import Cohort, Enrolment, Teaching
from lms.audit import audit_record
from lms.errors import Conflict, NotFound
from lms.models import DistrictStaff, User
from lms.predicates import district_people_q, forget_roles, governed_users_q, is_enrolled_in_cohort


def roleless_q() -> Q:
    """Accounts with no role at all and no privilege: anyone's to give a first role."""
    return (
        ~Q(is_superuser=True)
        & ~Exists(DistrictStaff.objects.filter(user=OuterRef("pk")))
        & ~Exists(Enrolment.objects.filter(trainee=OuterRef("pk")))
        & ~Exists(Teaching.objects.filter(instructor=OuterRef("pk")))
    )


def assignable_instructors_q(user) -> Q:
    """Accounts the user may make instructors: people of its districts, accounts it governs, and
    role-less accounts; never a superuser or a staff member (unless the user is a superuser)."""
    if user.is_superuser:
        return Q()
    return (district_people_q(user) | governed_users_q(user) | roleless_q()) & Q(is_active=True)


def _not_found():
    return NotFound(_("This page does not exist, or you do not have access to it."))


@transaction.atomic
def teaching_add(*, cohort: Cohort, instructor: User, actor: User) -> Teaching:
    """Make the person an instructor of the cohort."""
    if not actor.has_perm("courses.manage_cohort", cohort):
        raise _not_found()
    if not User.objects.filter(assignable_instructors_q(actor), pk=instructor.pk).exists():
        raise NotFound(_("No account you may assign matches."), code="not_assignable")
    if is_enrolled_in_cohort(instructor, cohort):
        from courses.services import trainee_cannot_be_instructor

        message = trainee_cannot_be_instructor(instructor)
        raise Conflict(message, code="role_conflict", fields={"handle": [message]})
    already = _("%(name)s already teaches this cohort.") % {"name": instructor}
    if Teaching.objects.filter(cohort=cohort, instructor=instructor).exists():
        raise Conflict(already, code="already_teaching")
    try:
        with transaction.atomic():
            teaching = Teaching.objects.create(cohort=cohort, instructor=instructor)
    except IntegrityError:
        raise Conflict(already, code="already_teaching") from None
    audit_record(actor=actor, verb="teaching.added", target=teaching, instructor=instructor.pk, cohort=cohort.pk)
    forget_roles(instructor)
    return teaching


@transaction.atomic
def teaching_remove(*, teaching: Teaching, actor: User) -> None:
    """Take the instructor off the cohort; its past grades and visits stay on record."""
    teaching = (
        Teaching.objects.select_for_update().select_related("cohort", "instructor").filter(pk=teaching.pk).first()
    )
    if teaching is None or not actor.has_perm("courses.manage_cohort", teaching.cohort):
        raise _not_found()
    audit_record(
        actor=actor,
        verb="teaching.removed",
        target=teaching.cohort,
        instructor=teaching.instructor_id,
        cohort=teaching.cohort_id,
    )
    teaching.delete()
    forget_roles(teaching.instructor)
