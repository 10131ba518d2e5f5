"""People governed by district staff: create, edit, deactivate."""

import secrets

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from lms.audit import audit_record
from lms.errors import Conflict, NotFound, ValidationFailed
from lms.mobiles import is_mobile, normalise_mobile
from lms.models import Community, User
from lms.registry import provided
from lms.services.passwords import temporary_password

NAME_MAX = 50
USERNAME_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: read aloud and typed without doubt
ROLE_TRAINEE = "trainee"
ROLE_INSTRUCTOR = "instructor"


def _not_found():
    return NotFound(_("This page does not exist, or you do not have access to it."))


def clean_person_fields(*, full_name: str, mobile: str, email: str) -> tuple[str, str, str]:
    """Validate and normalise the fields staff type for a person; raise ValidationFailed naming the field."""
    full_name = (full_name or "").strip()
    if not full_name or len(full_name) > NAME_MAX:
        raise ValidationFailed(
            _("The name must have 1 to %(max)d characters.") % {"max": NAME_MAX},
            fields={"full_name": [_("Enter a name of at most %(max)d characters.") % {"max": NAME_MAX}]},
        )
    mobile = normalise_mobile(mobile)
    if not is_mobile(mobile):
        raise ValidationFailed(
            _("The mobile number must have 11 digits and start with 1."),
            fields={"mobile": [_("Enter an 11-digit mainland mobile number.")]},
        )
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationFailed(
                _("Enter a valid e-mail address."), fields={"email": [_("Enter a valid e-mail address.")]}
            ) from None
    return full_name, mobile, email


def _mobile_taken(mobile: str, *, except_pk: int | None = None):
    taken = User.objects.filter(mobile=mobile).exclude(pk=except_pk).exists()
    if taken:
        # The same words whoever holds the number, in whichever district: no answer names another's people.
        return Conflict(
            _("The mobile number %(mobile)s cannot be used here.") % {"mobile": mobile},
            code="mobile_taken",
            fields={"mobile": [_("This mobile number cannot be used here.")]},
        )
    return None


def _check_community(community: Community | None, district_ids, *, keep_id: int | None = None) -> None:
    from lms.services.places import check_choosable

    if community is not None and community.town.district_id not in district_ids:
        raise ValidationFailed(
            _("Choose a community of your district."), fields={"community": [_("Unknown community.")]}
        )
    check_choosable(community, keep_id=keep_id)


def _staff_district_ids(actor: User):
    from lms.models import District
    from lms.predicates import roles_of

    if actor.is_superuser:
        return set(District.objects.values_list("pk", flat=True))
    return roles_of(actor).staff_district_ids


@transaction.atomic
def person_create(
    *, full_name: str, mobile: str, email: str = "", community: Community | None, cohort, role: str, actor: User
) -> tuple[User, str]:
    """Create an account with a role in one of the actor's cohorts (a role is what makes it governed);
    returns the person and a temporary password to show once. The person must set a new one at first login."""
    enrolment_create = provided("enrolment_create")
    teaching_add = provided("teaching_add")

    if not actor.has_perm("courses.manage_cohort", cohort):
        raise _not_found()
    if role not in (ROLE_TRAINEE, ROLE_INSTRUCTOR):
        raise ValidationFailed(_("Choose a role."), fields={"role": [_("Choose trainee or instructor.")]})
    full_name, mobile, email = clean_person_fields(full_name=full_name, mobile=mobile, email=email)
    if role == ROLE_TRAINEE and community is None:
        raise ValidationFailed(_("A trainee needs a community."), fields={"community": [_("This field is required.")]})
    _check_community(community, {cohort.district_id})
    if error := _mobile_taken(mobile):
        raise error
    username = new_username()
    password = temporary_password()
    try:
        with transaction.atomic():
            person = User.objects.create_user(
                username=username,
                password=password,
                full_name=full_name,
                mobile=mobile,
                email=email,
                community=community,
                must_change_password=True,
            )
    except IntegrityError:  # a concurrent request took the mobile number first
        raise _mobile_taken(mobile) or Conflict(_("The account could not be created.")) from None
    audit_record(actor=actor, verb="user.created", target=person, role=role, cohort=cohort.pk)
    if role == ROLE_TRAINEE:
        enrolment_create(cohort=cohort, trainee=person, community=community, actor=actor)
    else:
        teaching_add(cohort=cohort, instructor=person, actor=actor)
    return person, password


@transaction.atomic
def person_update(
    *, person: User, full_name: str, mobile: str, email: str, community: Community | None, actor: User
) -> User:
    """Change a governed person's name, mobile, e-mail and community."""
    person = User.objects.select_for_update().get(pk=person.pk)
    if not actor.has_perm("lms.change_user", person):
        raise _not_found()
    full_name, mobile, email = clean_person_fields(full_name=full_name, mobile=mobile, email=email)
    _check_community(community, _staff_district_ids(actor), keep_id=person.community_id)
    if error := _mobile_taken(mobile, except_pk=person.pk):
        raise error
    new = {
        "full_name": full_name,
        "mobile": mobile,
        "email": email,
        "community_id": community.pk if community else None,
    }
    changed = {field: value for field, value in new.items() if getattr(person, field) != value}
    if not changed:
        return person
    for field, value in changed.items():
        setattr(person, field, value)
    person.save(update_fields=[*changed, "updated_at"])
    audit_record(actor=actor, verb="user.updated", target=person, fields=sorted(changed))
    return person


@transaction.atomic
def person_deactivate(*, person: User, actor: User) -> User:
    """Close a governed person's account: no login, sessions and API token end; history stays."""
    person = User.objects.select_for_update().get(pk=person.pk)
    if not actor.has_perm("lms.change_user", person):
        raise _not_found()
    if not person.is_active:
        raise Conflict(_("This account is already deactivated."), code="inactive")
    person.is_active = False
    person.save(update_fields=["is_active", "updated_at"])
    Token.objects.filter(user=person).delete()
    audit_record(actor=actor, verb="user.deactivated", target=person)
    return person


def random_username() -> str:
    return "u" + "".join(secrets.choice(USERNAME_ALPHABET) for _ in range(10))


def new_username(taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A username that says nothing about the person: "u" and ten random letters and digits (31^10 choices).
    Never the mobile number — usernames travel in exports and audit rows, and a number changes hands;
    people still log in with their mobile number (lms.authentication.UsernameOrMobileBackend)."""
    while True:
        candidate = random_username()
        if candidate not in taken and not User.objects.filter(username=candidate).exists():
            return candidate
