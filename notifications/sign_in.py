"""Signing in with a mobile number and a 6-digit code sent by SMS (pages and API alike).

Rules: a code lives 5 minutes and allows 5 tries, then it is gone; one number gets at most 1 code a minute,
5 an hour and 10 a day (Aliyun's own limits for verification codes), one client address at most
SMS_CODES_PER_ADDRESS_PER_HOUR. The answer to a request is the same whether or not the number belongs to an
active account (codes are only sent to those), so numbers cannot be probed through it. Codes live in the
cache (Redis), stored as an HMAC, never in clear; using one deletes it.
"""

import hashlib
import hmac
import logging
import math
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import status

from lms.counters import counter_hit
from lms.errors import ApplicationError
from lms.mobiles import is_mobile, normalise_mobile
from lms.models import User

logger = logging.getLogger(__name__)

CODE_LIFE_SECONDS = 5 * 60
CODE_TRIES = 5
PER_NUMBER = ((60, 1), (3600, 5), (86400, 10))  # (window seconds, codes allowed)


class CodeThrottled(ApplicationError):
    code = "sms_code_throttled"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, wait_seconds: int):
        self.wait_seconds = max(1, math.ceil(wait_seconds))
        if self.wait_seconds < 120:
            text = ngettext(
                "Too many codes requested. Try again in %(count)d second.",
                "Too many codes requested. Try again in %(count)d seconds.",
                self.wait_seconds,
            ) % {"count": self.wait_seconds}
        else:
            minutes = math.ceil(self.wait_seconds / 60)
            text = ngettext(
                "Too many codes requested. Try again in %(count)d minute.",
                "Too many codes requested. Try again in %(count)d minutes.",
                minutes,
            ) % {"count": minutes}
        super().__init__(text)


class CodeRejected(ApplicationError):
    code = "sms_code_invalid"


@dataclass(frozen=True)
class CodeRequested:
    mobile: str
    message: str


def _digest(mobile: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"sms-code:{mobile}:{code}".encode(), hashlib.sha256).hexdigest()


def _mobile(text) -> str:
    mobile = normalise_mobile(text)
    if not is_mobile(mobile):
        raise ApplicationError(
            _("Enter an 11-digit mainland mobile number."),
            code="invalid_mobile",
            fields={"mobile": [_("Enter an 11-digit mainland mobile number.")]},
        )
    return mobile


def _throttle_address(address: str | None, now: float) -> None:
    window = 3600
    slot = int(now // window)
    if counter_hit(f"sms-code:addr:{address or '-'}:{slot}", window) > settings.SMS_CODES_PER_ADDRESS_PER_HOUR:
        raise CodeThrottled((slot + 1) * window - now)


def _clock() -> float:
    return time.time()


def _throttle_number(mobile: str, now: float) -> None:
    """Refuse when the number had its codes for a window (the wait: until the oldest of them leaves it); else
    record this one. A short lock (cache.add) makes the read-and-write of one number's list atomic, so two
    requests at the same moment cannot both pass the one-a-minute rule."""
    lock = f"sms-code:lock:{mobile}"
    if not cache.add(lock, 1, timeout=5):
        raise CodeThrottled(60)
    try:
        key = f"sms-code:sent:{mobile}"
        sent = [t for t in (cache.get(key) or []) if t > now - 86400]
        waits = []
        for window, allowed in PER_NUMBER:
            recent = sorted(t for t in sent if t > now - window)
            if len(recent) >= allowed:
                waits.append(recent[-allowed] + window - now)
        if waits:
            raise CodeThrottled(max(waits))
        cache.set(key, [*sent, now], timeout=86400)
    finally:
        cache.delete(lock)


def sign_in_code_request(*, mobile: str, address: str | None) -> CodeRequested:
    """Send a sign-in code to the number if it belongs to an active account. Same answer either way.

    Raises CodeThrottled (429, with the wait) past a limit, ApplicationError for a malformed number.
    """
    mobile = _mobile(mobile)
    now = _clock()
    _throttle_address(address, now)
    _throttle_number(mobile, now)
    message = _("If the number belongs to an account, a code is on its way. It is valid for 5 minutes.")
    if User.objects.filter(mobile=mobile, is_active=True).exists():
        from notifications.sms import SmsSendFailed, sms_send

        code = f"{secrets.randbelow(10**6):06d}"
        nonce = secrets.token_hex(8)
        stored = {"digest": _digest(mobile, code), "nonce": nonce, "expires": now + CODE_LIFE_SECONDS}
        cache.set(f"sms-code:code:{mobile}", stored, CODE_LIFE_SECONDS)
        try:
            sms_send(mobile=mobile, template="code", params={"code": code, "minutes": CODE_LIFE_SECONDS // 60})
        except SmsSendFailed as error:  # logged; the answer stays the same so numbers cannot be probed
            logger.error("Sign-in code to …%s not sent: %s", mobile[-4:], error)
    return CodeRequested(mobile=mobile, message=message)


def sign_in_code_check(*, mobile: str, code: str) -> User:
    """The active account of the number when the code is right; the code is used up. Raises CodeRejected."""
    mobile = _mobile(mobile)
    wrong = CodeRejected(
        _("The code is wrong or has expired. Request a new code."), fields={"code": [_("Wrong code.")]}
    )
    code = normalise_mobile(code)  # full-width digits and spaces, as typed on a phone
    stored = cache.get(f"sms-code:code:{mobile}")
    if not stored or stored["expires"] <= _clock():
        raise wrong
    if counter_hit(f"sms-code:tries:{mobile}:{stored['nonce']}", CODE_LIFE_SECONDS) > CODE_TRIES:
        cache.delete(f"sms-code:code:{mobile}")
        raise CodeRejected(_("Too many wrong codes. Request a new code."), code="sms_code_tries")
    if not hmac.compare_digest(stored["digest"], _digest(mobile, code)):
        raise wrong
    if not cache.delete(f"sms-code:code:{mobile}"):  # one use: of two racing right answers, one wins
        raise wrong
    user = User.objects.filter(mobile=mobile, is_active=True).first()
    if user is None or account_locked(user):
        raise wrong
    return user


def account_locked(user: User) -> bool:
    """Whether the account is locked against sign-in (one place, for the per-account lock of the password login)."""
    return False


def password_reset_by_sms(*, user: User) -> User:
    """After a right code on the forgot-password page: the person must set a new password before anything else."""
    from django.db import transaction

    from lms.audit import audit_record

    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.must_change_password = True
        user.save(update_fields=["must_change_password", "updated_at"])
        audit_record(actor=user, verb="user.password_reset_by_sms", target=user)
    return user
