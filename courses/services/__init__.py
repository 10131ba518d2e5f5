"""State changes of the course flow: one transactional function each."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import Cohort, Enrolment, EnrolmentChangeKind, EnrolmentStatus, Lesson, LessonCompletion, Team
from courses.selectors import unfinished_prerequisites
from lms.audit import audit_record
from lms.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from lms.models import Community, User
from lms.predicates import enrollable_trainees_q, forget_roles, teaches_cohort
from lms.services.places import check_choosable


class PrerequisiteUnfinished(Conflict):
    code = "prerequisite_unfinished"

    def __init__(self, *, modules):
        self.modules = modules
        names = "、".join(f"“{m.title}”" for m in modules)
        super().__init__(_("This lesson is locked: finish %(modules)s first.") % {"modules": names})


def instructor_cannot_be_trainee(person) -> str:
    return _(
        "%(name)s teaches this cohort and cannot also be its trainee: nobody grades their own work. "
        "Take them off the cohort's instructors first if they should learn in it."
    ) % {"name": person}


def trainee_cannot_be_instructor(person) -> str:
    return _("%(name)s is a trainee of this cohort and cannot also teach it: nobody grades their own work.") % {
        "name": person
    }


@transaction.atomic
def enrolment_create(
    *,
    cohort: Cohort,
    trainee: User,
    community: Community,
    team: Team | None = None,
    actor: User,
    confirm: bool = False,
) -> Enrolment:
    """Enrol a trainee in a cohort. Refuses a second enrolment of the same trainee.

    A trainee already in another cohort of the same course (last year's run, another district's)
    is enrolled only when staff `confirm` it: usually it is a mistaken account.
    """
    if not actor.has_perm("courses.manage_cohort", cohort):
        raise NotAllowed(_("You cannot enrol trainees in this cohort."))
    if not User.objects.filter(enrollable_trainees_q(actor), pk=trainee.pk).exists():
        # Staff, administrators and another district's people: the same answer as for no account at all
        # (enrolling them would draft them into this district, out of their own staff's reach).
        raise NotFound(_("No trainee account matches."), code="not_enrollable")
    if community.town.district_id != cohort.district_id:
        # Never names the community: its id may be another district's, which staff must not learn about.
        message = _("Choose a community of the cohort's district.")
        raise ValidationFailed(message, code="community_outside_district", fields={"community": [message]})
    check_choosable(community)
    if team is not None and team.cohort_id != cohort.pk:
        raise ValidationFailed(
            _("The team belongs to another cohort."), fields={"team": [_("Choose a team of this cohort.")]}
        )
    if teaches_cohort(trainee, cohort):
        raise Conflict(
            instructor_cannot_be_trainee(trainee),
            code="role_conflict",
            fields={"trainee": [instructor_cannot_be_trainee(trainee)]},
        )
    already = _("%(name)s is already enrolled in %(cohort)s.") % {"name": trainee, "cohort": cohort}
    existing = Enrolment.objects.select_for_update().filter(cohort=cohort, trainee=trainee).first()
    if existing is not None and existing.status == EnrolmentStatus.WITHDRAWN:
        # Enrolling a withdrawn trainee again restores its enrolment, with its history and its work.
        from courses.services.moves import enrolment_restore

        return enrolment_restore(enrolment=existing, community=community, team=team, actor=actor)
    if existing is not None:
        raise Conflict(already, code="already_enrolled")
    if not confirm and Enrolment.objects.filter(trainee=trainee, cohort__course_id=cohort.course_id).exists():
        raise Conflict(
            _(
                "%(name)s is already enrolled in another cohort of this course. "
                "Check that this is the same person, then confirm to enrol them here too."
            )
            % {"name": trainee},
            code="confirm_second_cohort",
            fields={"confirm": [_("Confirm the enrolment in a second cohort of this course.")]},
        )
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(cohort=cohort, trainee=trainee, community=community, team=team)
    except IntegrityError:  # a concurrent request enrolled the same trainee first
        raise Conflict(already, code="already_enrolled") from None
    audit_record(actor=actor, verb="enrolment.created", target=enrolment, trainee=trainee.pk, confirmed=confirm)
    forget_roles(trainee)
    from courses.services.attendance import tell

    tell("enrolled", enrolments=[enrolment], cohort=cohort)
    return enrolment


@transaction.atomic
def enrolment_withdraw(*, enrolment: Enrolment, reason: str, actor: User) -> Enrolment:
    """Withdraw a trainee from its cohort, with a reason. Completed work stays on record."""
    enrolment = Enrolment.objects.select_for_update().select_related("cohort").get(pk=enrolment.pk)
    if not actor.has_perm("courses.manage_cohort", enrolment.cohort):
        raise NotAllowed(_("You cannot withdraw trainees from this cohort."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Give a reason for the withdrawal."), fields={"reason": [_("This field is required.")]}
        )
    if enrolment.status != EnrolmentStatus.ACTIVE:
        raise Conflict(_("This trainee is not an active member of the cohort."), code="not_active")
    from courses.services.moves import _record

    _record(
        enrolment,
        kind=EnrolmentChangeKind.WITHDRAWAL,
        effective_on=timezone.localdate(),
        reason=reason,
        from_team=enrolment.team,
        to_team=enrolment.team,
        from_community=enrolment.community,
        to_community=enrolment.community,
        actor=actor,
    )
    enrolment.status = EnrolmentStatus.WITHDRAWN
    enrolment.withdrawn_reason = reason
    enrolment.withdrawn_at = timezone.now()
    enrolment.save(update_fields=["status", "withdrawn_reason", "withdrawn_at", "updated_at"])
    audit_record(actor=actor, verb="enrolment.withdrawn", target=enrolment, reason=reason)
    forget_roles(enrolment.trainee)
    return enrolment


@transaction.atomic
def lesson_complete(*, enrolment: Enrolment, lesson: Lesson, actor: User) -> tuple[LessonCompletion, bool]:
    """Mark a lesson done for the enrolment's trainee. Idempotent: returns (completion, created)."""
    if not actor.has_perm("courses.complete_lesson", enrolment):
        raise NotAllowed(_("You cannot mark lessons done for this trainee."))
    if lesson.module.cohort_id != enrolment.cohort_id:
        raise NotFound(_("This lesson is not part of your cohort."))
    if locked_by := unfinished_prerequisites(enrolment=enrolment, module=lesson.module):
        raise PrerequisiteUnfinished(modules=locked_by)
    completion, created = LessonCompletion.objects.get_or_create(enrolment=enrolment, lesson=lesson)
    if created:
        audit_record(actor=actor, verb="lesson.completed", target=completion, lesson=lesson.pk)
    return completion, created


from courses.services.attendance import (  # noqa: E402
    CheckInRefused,
    attendance_check_in,
    attendance_correct,
    attendance_record,
    session_create,
)

__all__ = [
    "CheckInRefused",
    "PrerequisiteUnfinished",
    "attendance_check_in",
    "attendance_correct",
    "attendance_record",
    "enrolment_create",
    "enrolment_withdraw",
    "lesson_complete",
    "session_create",
]
