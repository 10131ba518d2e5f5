"""Towns (镇街) and communities (社区/村) of a district, kept by its staff.

A place that enrolments, teams, sessions, projects or people name is never deleted: it is retired,
which keeps every record that names it and takes it out of the choices for anything new.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.audit import audit_record
from lms.errors import Conflict, NotFound, ValidationFailed
from lms.models import Community, District, Town, User
from lms.selectors import community_references

NAME_MAX = 64


def _not_found():
    return NotFound(_("This page does not exist, or you do not have access to it."))


def _check(actor: User, obj) -> None:
    if not actor.has_perm("lms.manage_places", obj):
        raise _not_found()


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > NAME_MAX:
        message = _("The name must have 1 to %(max)d characters.") % {"max": NAME_MAX}
        raise ValidationFailed(message, code="invalid_name", fields={"name": [message]})
    return name


def _town_taken(name: str, district: District) -> Conflict:
    message = _("%(district)s already has a town named “%(name)s”.") % {"district": district.name, "name": name}
    return Conflict(message, code="town_name_taken", fields={"name": [message]})


def _community_taken(name: str, town: Town) -> Conflict:
    message = _("The town %(town)s already has a community named “%(name)s”.") % {"town": town.name, "name": name}
    return Conflict(message, code="community_name_taken", fields={"name": [message]})


def check_choosable(community: Community | None, *, keep_id: int | None = None) -> None:
    """Refuse a retired community (or one of a retired town) for something new; `keep_id` is the value
    the record already holds, which it may keep."""
    if community is None or community.pk == keep_id:
        return
    if not Community.objects.choosable().filter(pk=community.pk).exists():
        message = _("The community %(name)s is retired: choose one in use.") % {"name": community.name}
        raise ValidationFailed(message, code="community_retired", fields={"community": [message]})


def _save_unique(obj, *, fields: list[str], taken) -> None:
    """Save, turning a concurrent duplicate (the database constraint) into the same message as the check."""
    try:
        with transaction.atomic():
            obj.save(update_fields=fields) if obj.pk else obj.save()
    except IntegrityError:
        raise taken from None


# --- towns


@transaction.atomic
def town_create(*, district: District, name: str, actor: User) -> Town:
    """Add a town to the district; names are unique within the district."""
    _check(actor, district)
    name = _clean_name(name)
    if Town.objects.filter(district=district, name=name).exists():
        raise _town_taken(name, district)
    town = Town(district=district, name=name)
    _save_unique(town, fields=[], taken=_town_taken(name, district))
    audit_record(actor=actor, verb="town.created", target=town, name=name)
    return town


@transaction.atomic
def town_rename(*, town: Town, name: str, actor: User) -> Town:
    """Give the town a new name; every record that names it follows."""
    town = Town.objects.select_for_update().select_related("district").get(pk=town.pk)
    _check(actor, town)
    name = _clean_name(name)
    if name == town.name:
        return town
    if Town.objects.filter(district_id=town.district_id, name=name).exclude(pk=town.pk).exists():
        raise _town_taken(name, town.district)
    old, town.name = town.name, name
    _save_unique(town, fields=["name", "updated_at"], taken=_town_taken(name, town.district))
    audit_record(actor=actor, verb="town.renamed", target=town, old=old, new=name)
    return town


def _set_retired(place: Town | Community, *, retire: bool, actor: User, refusal: str) -> Town | Community:
    """Retire a locked town or community, or put it back in use; audited as `<town|community>.<retired|reinstated>`."""
    _check(actor, place)
    if (place.retired_at is not None) == retire:
        raise Conflict(refusal, code="already_retired" if retire else "not_retired")
    place.retired_at = timezone.now() if retire else None
    place.save(update_fields=["retired_at", "updated_at"])
    audit_record(actor=actor, verb=f"{place._meta.model_name}.{'retired' if retire else 'reinstated'}", target=place)
    return place


@transaction.atomic
def town_retire(*, town: Town, actor: User) -> Town:
    """Take the town and its communities out of the choices for anything new; history keeps them."""
    town = Town.objects.select_for_update().get(pk=town.pk)
    return _set_retired(town, retire=True, actor=actor, refusal=_("This town is already retired."))


@transaction.atomic
def town_reinstate(*, town: Town, actor: User) -> Town:
    """Offer a retired town's communities again (those not retired themselves)."""
    town = Town.objects.select_for_update().get(pk=town.pk)
    return _set_retired(town, retire=False, actor=actor, refusal=_("This town is in use."))


@transaction.atomic
def town_delete(*, town: Town, actor: User) -> District:
    """Delete a town that has no communities (a mistaken entry); otherwise retire it."""
    town = Town.objects.select_for_update().select_related("district").get(pk=town.pk)
    _check(actor, town)
    if town.communities.exists():
        raise Conflict(
            _("The town %(name)s has communities and cannot be deleted: retire it instead.") % {"name": town.name},
            code="town_in_use",
        )
    district = town.district
    audit_record(actor=actor, verb="town.deleted", target=district, name=town.name)
    town.delete()
    return district


# --- communities


@transaction.atomic
def community_create(*, town: Town, name: str, actor: User) -> Community:
    """Add a community to a town in use; names are unique within the town."""
    town = Town.objects.select_for_update().get(pk=town.pk)
    _check(actor, town)
    if town.retired_at is not None:
        raise Conflict(
            _("The town %(name)s is retired: reinstate it before adding communities.") % {"name": town.name},
            code="town_retired",
        )
    name = _clean_name(name)
    if Community.objects.filter(town=town, name=name).exists():
        raise _community_taken(name, town)
    community = Community(town=town, name=name)
    _save_unique(community, fields=[], taken=_community_taken(name, town))
    audit_record(actor=actor, verb="community.created", target=community, name=name)
    return community


def _lock_community(community: Community) -> Community:
    return Community.objects.select_for_update(of=("self",)).select_related("town").get(pk=community.pk)


@transaction.atomic
def community_rename(*, community: Community, name: str, actor: User) -> Community:
    """Give the community a new name; every record that names it follows."""
    community = _lock_community(community)
    _check(actor, community)
    name = _clean_name(name)
    if name == community.name:
        return community
    if Community.objects.filter(town_id=community.town_id, name=name).exclude(pk=community.pk).exists():
        raise _community_taken(name, community.town)
    old, community.name = community.name, name
    _save_unique(community, fields=["name", "updated_at"], taken=_community_taken(name, community.town))
    audit_record(actor=actor, verb="community.renamed", target=community, old=old, new=name)
    return community


@transaction.atomic
def community_retire(*, community: Community, actor: User) -> Community:
    """Take the community out of the choices for new enrolments, sheets, sessions and people; history keeps it."""
    community = _lock_community(community)
    return _set_retired(community, retire=True, actor=actor, refusal=_("This community is already retired."))


@transaction.atomic
def community_reinstate(*, community: Community, actor: User) -> Community:
    """Offer a retired community again."""
    community = _lock_community(community)
    return _set_retired(community, retire=False, actor=actor, refusal=_("This community is in use."))


@transaction.atomic
def community_delete(*, community: Community, actor: User) -> Town:
    """Delete a community nothing names (a mistaken entry); one that is named can only be retired."""
    community = _lock_community(community)
    _check(actor, community)
    if any(community_references(community).values()):
        raise Conflict(
            _("%(name)s is named by enrolments, teams or other records and cannot be deleted: retire it instead.")
            % {"name": community.name},
            code="community_in_use",
        )
    town = community.town
    audit_record(actor=actor, verb="community.deleted", target=town, name=community.name)
    community.delete()
    return town
