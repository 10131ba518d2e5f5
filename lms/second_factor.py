"""The second factor of privileged roles: TOTP (RFC 6238, any authenticator app) with one-time recovery codes.

Who must use it is a setting (LMS_SECOND_FACTOR_ROLES: staff, operators, instructors; default staff and
operators). A code is accepted once (its time step is remembered, so a code seen over a shoulder cannot be
replayed), a recovery code once; wrong codes are counted per account like passwords and lock the factor
for the login lock's duration. The TOTP secret is stored encrypted (AES-GCM, a key derived from the
deployment's secret key): a database dump alone does not give the codes.
"""

import base64
import hashlib
import secrets
import time

import pyotp
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import status

from lms.audit_events import audit_second_factor
from lms.counters import counter_hit, counter_value
from lms.errors import ApplicationError, ValidationFailed
from lms.models import RecoveryCode, SecondFactorDevice, User

STEP_SECONDS = 30
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: copied from paper by hand
SESSION_VERIFIED = "lms_second_factor"
SESSION_PENDING_SECRET = "lms_second_factor_secret"  # noqa: S105 -- a session key, not a secret
ISSUER = "社区规划师培育课程"


class SecondFactorLocked(ApplicationError):
    code = "second_factor_locked"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS


def required_for(user) -> bool:
    """Whether the user's roles oblige it to a second factor (LMS_SECOND_FACTOR_ROLES)."""
    if not user.is_authenticated:
        return False
    roles = settings.LMS_SECOND_FACTOR_ROLES
    if not roles:
        return False
    if "operators" in roles and user.is_superuser:
        return True
    from lms.predicates import roles_of

    held = roles_of(user)
    return ("staff" in roles and bool(held.staff_district_ids)) or (
        "instructors" in roles and bool(held.instructor_cohort_ids)
    )


# --- the secret at rest


def _key() -> bytes:
    return hashlib.sha256(b"lms.second_factor.v1:" + settings.SECRET_KEY.encode()).digest()


def secret_seal(secret: str, *, user_id: int) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_key()).encrypt(nonce, secret.encode(), str(user_id).encode())
    return base64.b64encode(nonce + sealed).decode()


def secret_open(sealed: str, *, user_id: int) -> str:
    raw = base64.b64decode(sealed)
    return AESGCM(_key()).decrypt(raw[:12], raw[12:], str(user_id).encode()).decode()


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(*, user, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.get_username(), issuer_name=ISSUER)


def clock() -> float:
    """Seconds since the epoch (tests move it)."""
    return time.time()


def _matching_step(secret: str, code: str, *, now: float | None = None) -> int | None:
    """The time step (now, or one either side for clock drift) whose code is `code`; None when none is."""
    code = "".join(ch for ch in str(code) if not ch.isspace())
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int((clock() if now is None else now) // STEP_SECONDS)
    for step in (current - 1, current, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


# --- failures and the lock


def _failures_key(user) -> str:
    return f"second-factor-failures:{user.pk}"


def _lock_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def locked_error() -> SecondFactorLocked:
    minutes = max(1, _lock_seconds() // 60)
    return SecondFactorLocked(
        ngettext(
            "Too many wrong codes: the second factor of this account is locked for %(minutes)d minute.",
            "Too many wrong codes: the second factor of this account is locked for %(minutes)d minutes.",
            minutes,
        )
        % {"minutes": minutes}
    )


def check_not_locked(user) -> None:
    if counter_value(_failures_key(user)) >= settings.AXES_FAILURE_LIMIT:
        raise locked_error()


def _failed(*, request, user, reason: str) -> ValidationFailed:
    count = counter_hit(_failures_key(user), _lock_seconds())
    audit_second_factor(request=request, user=user, verb="auth.second_factor_failed", reason=reason)
    if count >= settings.AXES_FAILURE_LIMIT:
        audit_second_factor(request=request, user=user, verb="auth.second_factor_locked")
        return locked_error()
    return ValidationFailed(_("The code is wrong or was already used. Enter the current code."), code="bad_code")


# --- services


def _recovery_hash(user_id: int, code: str) -> str:
    normal = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(f"{user_id}:{normal}".encode()).hexdigest()


def _new_recovery_codes(user) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _index in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=_recovery_hash(user.pk, c)) for c in codes)
    return codes


def second_factor_enrol(*, user: User, secret: str, code: str, request=None) -> list[str]:
    """Confirm a new authenticator with a code it shows; returns the recovery codes (shown once)."""
    check_not_locked(user)
    step = _matching_step(secret, code)
    if step is None:
        raise _failed(request=request, user=user, reason="enrolment")
    return _enrol(user=user, secret=secret, step=step, request=request)


@transaction.atomic
def _enrol(*, user, secret: str, step: int, request) -> list[str]:
    user = User.objects.select_for_update().get(pk=user.pk)
    SecondFactorDevice.objects.update_or_create(
        user=user, defaults={"secret_encrypted": secret_seal(secret, user_id=user.pk), "last_step": step}
    )
    codes = _new_recovery_codes(user)
    audit_second_factor(request=request, user=user, verb="auth.second_factor_enrolled")
    return codes


def second_factor_verify(*, user: User, code: str, request=None) -> str:
    """Check a TOTP code or a recovery code for the user; 'totp' or 'recovery', else a domain error.

    A code's time step must be newer than the last accepted one; a recovery code is spent here.
    Failures are counted (and audited) outside the transaction, so a refusal still counts."""
    check_not_locked(user)
    kind = _verify(user=user, code=code, request=request)
    if kind is None:
        raise _failed(request=request, user=user, reason="sign_in")
    return kind


@transaction.atomic
def _verify(*, user, code: str, request) -> str | None:
    device = SecondFactorDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        return None
    step = _matching_step(secret_open(device.secret_encrypted, user_id=user.pk), code)
    if step is not None:
        if step <= device.last_step:
            return None  # replayed
        device.last_step = step
        device.save(update_fields=["last_step", "updated_at"])
        return "totp"
    spent = RecoveryCode.objects.filter(
        user=user, code_hash=_recovery_hash(user.pk, str(code)), used_at__isnull=True
    ).update(used_at=timezone.now())
    if spent:
        audit_second_factor(request=request, user=user, verb="auth.recovery_code_used")
        return "recovery"
    return None


@transaction.atomic
def recovery_codes_renew(*, user: User, request=None) -> list[str]:
    codes = _new_recovery_codes(user)
    audit_second_factor(request=request, user=user, verb="auth.recovery_codes_renewed")
    return codes


def has_device(user) -> bool:
    return SecondFactorDevice.objects.filter(user=user).exists()
