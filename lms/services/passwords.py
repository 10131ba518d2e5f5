"""Passwords: a person's own change, and a temporary password given by staff."""

import secrets

from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from lms.audit import audit_record, audit_record_many
from lms.errors import NotFound
from lms.models import User

# No 0/O, 1/l/I: the password is read aloud or copied from a screen by hand.
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def temporary_password() -> str:
    return "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(12))


def _replace_token(user: User) -> None:
    """A password change invalidates API access: the old token goes, a new one is made if one existed."""
    had_token = Token.objects.filter(user=user).exists()
    Token.objects.filter(user=user).delete()
    if had_token:
        Token.objects.create(user=user)


@transaction.atomic
def password_change(*, user: User, new_password: str, actor: User, verb: str = "user.password_changed") -> User:
    """Set the user's own new password (already validated by the form). Sessions made before it end:
    Django ties each session to the password hash, so only the session the caller refreshes stays."""
    user = User.objects.select_for_update().get(pk=user.pk)
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password", "updated_at"])
    _replace_token(user)
    audit_record(actor=actor, verb=verb, target=user)
    return user


@transaction.atomic
def password_reset_by_staff(*, person: User, actor: User) -> str:
    """Give the person a temporary password, returned once and never stored in clear; the person must
    set a new one at the next login. The person's sessions and API token end."""
    person = User.objects.select_for_update().get(pk=person.pk)
    if not actor.has_perm("lms.change_user", person):
        raise NotFound(_("This page does not exist, or you do not have access to it."))
    password = temporary_password()
    person.set_password(password)
    person.must_change_password = True
    person.save(update_fields=["password", "must_change_password", "updated_at"])
    _replace_token(person)
    audit_record(actor=actor, verb="user.password_reset", target=person)
    return password


@transaction.atomic
def set_password_links(*, people: list[User], actor: User) -> list[tuple[User, str]]:
    """One-time links (paths) with which each person sets a first password, for accounts made from a sheet:
    no hashing, so hundreds cost no more than one. A link works once, until the password changes, and
    for PASSWORD_RESET_TIMEOUT. Each issue is audited; the links themselves are not stored."""
    from django.contrib.auth.tokens import default_token_generator
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from lms.predicates import governed_users_q

    ids = {person.pk for person in people}
    governed = set(User.objects.filter(governed_users_q(actor), pk__in=ids).values_list("pk", flat=True))
    if governed != ids:  # one query for the lot, the twin of "lms.change_user"
        raise NotFound(_("This page does not exist, or you do not have access to it."))
    links = [
        (
            person,
            reverse(
                "password_reset_confirm",
                kwargs={
                    "uidb64": urlsafe_base64_encode(force_bytes(person.pk)),
                    "token": default_token_generator.make_token(person),
                },
            ),
        )
        for person in people
    ]
    audit_record_many(actor=actor, verb="user.set_password_link_issued", targets=people)
    return links
