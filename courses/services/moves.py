"""Moving a trainee between teams and communities of its cohort, and restoring a withdrawn enrolment.

What counts after a move (README, "Moving people"): work the old team handed in stays the old team's; the
trainee's team assignments count the new team's work, and where the new team has handed in nothing for an
assignment, the old team's work handed in before the move (`fieldwork.selectors.gradebook`). Project
membership follows the team (a project belongs to a team).
"""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import Enrolment, EnrolmentChange, EnrolmentChangeKind, EnrolmentStatus, Team
from lms import registry
from lms.audit import audit_record
from lms.errors import Conflict, NotFound, ValidationFailed
from lms.models import Community, User
from lms.predicates import forget_roles
from lms.services.places import check_choosable


def _not_found():
    return NotFound(_("This page does not exist, or you do not have access to it."))


def _reason(reason: str, message) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(message, code="reason_required", fields={"reason": [_("This field is required.")]})
    return reason


def _check_place(enrolment: Enrolment, *, team: Team | None, community: Community) -> None:
    cohort = enrolment.cohort
    if team is not None and team.cohort_id != cohort.pk:
        message = _("Choose a team of this cohort.")
        raise ValidationFailed(
            _("The team belongs to another cohort."), code="team_outside_cohort", fields={"team": [message]}
        )
    if community.town.district_id != cohort.district_id:
        message = _("Choose a community of the cohort's district.")
        raise ValidationFailed(message, code="community_outside_district", fields={"community": [message]})
    check_choosable(community, keep_id=enrolment.community_id)


def _record(enrolment, *, kind, effective_on, reason, from_team, to_team, from_community, to_community, actor):
    return EnrolmentChange.objects.create(
        enrolment=enrolment,
        kind=kind,
        effective_on=effective_on,
        reason=reason,
        from_team=from_team,
        to_team=to_team,
        from_team_name=from_team.name if from_team else "",
        to_team_name=to_team.name if to_team else "",
        from_community=from_community,
        to_community=to_community,
        changed_by=actor,
    )


@transaction.atomic
def enrolment_move(
    *,
    enrolment: Enrolment,
    team: Team | None,
    community: Community,
    reason: str,
    actor: User,
    effective_on: date | None = None,
) -> EnrolmentChange:
    """Move an active trainee to another team and/or community of its cohort, with a date and a reason.
    Its team's earlier work stays with that team; the trainee and both teams' members are told."""
    enrolment = (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("cohort", "team", "community", "trainee")
        .filter(pk=enrolment.pk)
        .first()
    )
    if enrolment is None or not actor.has_perm("courses.manage_cohort", enrolment.cohort):
        raise _not_found()
    if enrolment.status != EnrolmentStatus.ACTIVE:
        raise Conflict(_("Only an active trainee can be moved; restore the enrolment first."), code="not_active")
    _check_place(enrolment, team=team, community=community)
    if (team.pk if team else None) == enrolment.team_id and community.pk == enrolment.community_id:
        message = _("%(name)s is already in this team and community.") % {"name": enrolment.trainee}
        raise ValidationFailed(message, code="no_change", fields={"team": [message]})
    reason = _reason(reason, _("Give a reason for the move."))
    effective_on = effective_on or timezone.localdate()
    old_team, old_community = enrolment.team, enrolment.community
    change = _record(
        enrolment,
        kind=EnrolmentChangeKind.MOVE,
        effective_on=effective_on,
        reason=reason,
        from_team=old_team,
        to_team=team,
        from_community=old_community,
        to_community=community,
        actor=actor,
    )
    enrolment.team, enrolment.community = team, community
    enrolment.save(update_fields=["team", "community", "updated_at"])
    audit_record(
        actor=actor,
        verb="enrolment.moved",
        target=enrolment,
        trainee=enrolment.trainee_id,
        target_name=enrolment.trainee.full_name,
        **{
            "from": " · ".join(filter(None, [old_community.name, old_team.name if old_team else ""])),
            "to": " · ".join(filter(None, [community.name, team.name if team else ""])),
            "on": effective_on.isoformat(),
            "reason": reason,
        },
    )
    for hook in registry.hooks("enrolment_moved"):  # notifications tells the trainee and both teams
        hook(change=change)
    forget_roles(enrolment.trainee)
    enrolment.trainee.__dict__.pop("_lms_team_ids", None)
    return change


def enrolment_restore(*, enrolment: Enrolment, community: Community, team: Team | None, actor: User) -> Enrolment:
    """Make a withdrawn enrolment active again, with its history (the caller holds the row lock and has checked
    permission and roles). Completed lessons, attendance and work stay; a new team or community is a move."""
    _check_place(enrolment, team=team, community=community)
    _record(
        enrolment,
        kind=EnrolmentChangeKind.RESTORATION,
        effective_on=timezone.localdate(),
        reason=_("Enrolled again after withdrawal (%(reason)s)") % {"reason": enrolment.withdrawn_reason or "—"},
        from_team=enrolment.team,
        to_team=team,
        from_community=enrolment.community,
        to_community=community,
        actor=actor,
    )
    enrolment.status = EnrolmentStatus.ACTIVE
    enrolment.team, enrolment.community = team, community
    enrolment.withdrawn_at, enrolment.withdrawn_reason = None, ""
    enrolment.save(update_fields=["status", "team", "community", "withdrawn_at", "withdrawn_reason", "updated_at"])
    audit_record(actor=actor, verb="enrolment.restored", target=enrolment, trainee=enrolment.trainee_id)
    forget_roles(enrolment.trainee)
    return enrolment
