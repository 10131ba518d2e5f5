"""Password rules beyond Django's own: three kinds of character, and none of the last five passwords again.

Django's validators already refuse passwords shorter than 8 characters, all digits, like the username, or
on its list of 20,000 common passwords. Each password set is kept (its hash) in PasswordHistory, which
also dates it for the expiry of privileged passwords (lms.sessions_policy).
"""

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def character_classes(password: str) -> int:
    """How many of lower-case, upper-case, digits and other characters the password uses."""
    return sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )


class CharacterClassesValidator:
    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        if character_classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return _(
            "Use at least three of these: lower-case letters, capital letters, digits, other characters "
            "(such as - ! #)."
        )


class PasswordHistoryValidator:
    def __init__(self, keep: int = 5):
        self.keep = keep

    def validate(self, password, user=None):
        if user is None or user.pk is None:
            return
        from lms.models import PasswordHistory

        earlier = list(PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[: self.keep])
        if user.password and user.password not in earlier:
            earlier.insert(0, user.password)
        if any(check_password(password, encoded) for encoded in earlier[: self.keep]):
            raise ValidationError(self.get_help_text(), code="password_reused")

    def password_changed(self, password, user=None):
        if user is None or user.pk is None or not user.password:
            return
        from lms.models import PasswordHistory

        PasswordHistory.objects.create(user=user, password=user.password)
        stale = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[self.keep :]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()

    def get_help_text(self):
        return ngettext(
            "Choose a password you have not used before (the last %(count)d are remembered).",
            "Choose a password you have not used before (the last %(count)d are remembered).",
            self.keep,
        ) % {"count": self.keep}
