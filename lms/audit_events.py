"""Audited events that are not state changes: signing in and out, refusals, and reads of personal data.

Sign-in events come from Django's own auth signals (the one hook every path shares: the page, the
admin, the API token); refusals are recorded where errors become answers (lms.errors,
lms.middleware), after the refused request's transaction has rolled back, so the row survives; views
that hand out personal data (exports, downloads, archives) call `audit_personal_data_read`.
"""

import logging

from django.contrib.auth import get_user_model, user_logged_in, user_logged_out, user_login_failed
from django.db import DatabaseError
from django.dispatch import receiver

from lms.audit import audit_record
from lms.clients import client_address
from lms.mobiles import is_mobile, normalise_mobile

logger = logging.getLogger(__name__)

# What a refused request tried: kept short, never the body (it may carry a password).
PATH_LIMIT = 300


def _address(request) -> str:
    return (client_address(request) or "") if request is not None else ""


def _safely(write):
    """An audit write for an event must never turn the answer into a 500; a failure is logged loudly."""
    try:
        return write()
    except DatabaseError:
        logger.exception("Audit entry could not be written")
        return None


def account_named(username: str):
    """The account a sign-in attempt names (username, or the mobile alias), or None."""
    User = get_user_model()
    name = (username or "")[:150]
    if not name:
        return None
    mobile = normalise_mobile(name)
    found = User.objects.filter(username=name).first()
    if found is None and is_mobile(mobile):
        found = User.objects.filter(mobile=mobile).first()
    return found


@receiver(user_logged_in, dispatch_uid="lms.audit.sign_in")
def _signed_in(sender, request, user, **kwargs):
    _safely(lambda: audit_record(actor=user, verb="auth.signed_in", target=user, address=_address(request)))


@receiver(user_logged_out, dispatch_uid="lms.audit.sign_out")
def _signed_out(sender, request, user, **kwargs):
    if user is not None and user.is_authenticated:
        reason = getattr(request, "lms_sign_out_reason", "")  # "idle", "expired"; empty when the person chose to
        data = {"address": _address(request)} | ({"reason": reason} if reason else {})
        _safely(lambda: audit_record(actor=user, verb="auth.signed_out", target=user, **data))


@receiver(user_login_failed, dispatch_uid="lms.audit.sign_in_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    if request is None:  # the shell or the test client's login(): no one signed in from anywhere
        return
    typed = str((credentials or {}).get("username") or "")[:150]
    account = account_named(typed)
    _safely(
        lambda: audit_record(
            actor=None,
            verb="auth.sign_in_failed",
            target=account,
            model=get_user_model(),
            username=typed,
            address=_address(request),
        )
    )


def audit_token_issued(*, request, user) -> None:
    _safely(lambda: audit_record(actor=user, verb="auth.token_issued", target=user, address=_address(request)))


def audit_second_factor(*, request, user, verb: str, **data) -> None:
    """Second-factor events: enrolled, failed, recovery code used, recovery codes renewed, locked."""
    _safely(lambda: audit_record(actor=user, verb=verb, target=user, address=_address(request), **data))


def audit_refusal(request, error) -> None:
    """A signed-in person was refused a row or an action; the row named when there is one."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    target = getattr(error, "refused_row", None)
    data = {
        "path": request.get_full_path()[:PATH_LIMIT],
        "method": request.method,
        "code": str(getattr(error, "code", "not_allowed")),
        "address": _address(request),
    }
    if perm := getattr(error, "refused_perm", None):
        data["permission"] = str(perm)
    _safely(lambda: audit_record(actor=user, verb="access.refused", target=target, model=get_user_model(), **data))


def audit_personal_data_read(*, request, verb: str, target, **data) -> None:
    """An export or download of personal data; written before the answer streams."""
    data.setdefault("address", _address(request))
    audit_record(actor=request.user, verb=verb, target=target, **data)
