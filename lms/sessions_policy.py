"""What a signed-in session must keep to: the second factor, idle and absolute time limits, password age.

One middleware, after authentication: a session of a person whose role needs a second factor reaches
nothing but the second-factor pages until the factor is given; a session idle longer than its limit
(30 minutes for staff and operators, 8 hours for everyone else, by settings) or older than the absolute
lifetime (12 hours) is ended; a privileged password older than its maximum age sends the person to
the password change page, with a warning in the week before.
"""

import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, user_logged_in
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lms import second_factor
from lms.errors import error_body

SESSION_STARTED = "lms_started"
SESSION_SEEN = "lms_seen"
SESSION_WARNED = "lms_password_warned"
SESSION_PASSWORD_SET = "lms_password_set"  # noqa: S105 -- a session key, not a secret
SEEN_RESOLUTION = 30  # seconds: the session is written at most this often for activity alone
ALWAYS_ALLOWED = ("/accounts/logout/", "/i18n/", "/static/", "/healthz", "/readyz")
SECOND_FACTOR_PATHS = ("/accounts/second-factor/",)
PASSWORD_PATHS = ("/accounts/password/",)


def clock() -> float:
    """Seconds since the epoch (tests move it)."""
    return time.time()


@receiver(user_logged_in, dispatch_uid="lms.sessions_policy.started")
def _session_started(sender, request, user, **kwargs):
    """A session's clocks start when it signs in (so its first page writes nothing more)."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_STARTED] = request.session[SESSION_SEEN] = clock()
        request.session.pop(SESSION_PASSWORD_SET, None)  # read afresh at each sign-in
        password_expires_at(user, request.session)


def is_privileged(user) -> bool:
    """Staff and operators: shorter idle limit, passwords that expire."""
    if user.is_superuser:
        return True
    from lms.predicates import roles_of

    return bool(roles_of(user).staff_district_ids)


def idle_limit(user) -> int:
    minutes = settings.LMS_IDLE_TIMEOUT_PRIVILEGED_MINUTES if is_privileged(user) else settings.LMS_IDLE_TIMEOUT_MINUTES
    return minutes * 60


def password_set_at(user):
    """When the current password was set: the newest history row, else when the account was made."""
    from lms.models import PasswordHistory

    newest = PasswordHistory.objects.filter(user=user).values_list("created_at", flat=True).first()
    return newest or user.date_joined


def password_expires_at(user, session=None):
    """When a privileged password expires (None: never). With a session, the date it was set is kept there,
    keyed by the password's hash, so a page costs no query until the password changes."""
    if not (settings.LMS_PASSWORD_MAX_AGE_DAYS and is_privileged(user)):
        return None
    cached = session.get(SESSION_PASSWORD_SET) if session is not None else None
    if cached and cached[0] == user.password:
        set_at = datetime.fromtimestamp(cached[1], tz=UTC)
    else:
        set_at = password_set_at(user)
        if session is not None:
            session[SESSION_PASSWORD_SET] = (user.password, set_at.timestamp())
    return set_at + timedelta(days=settings.LMS_PASSWORD_MAX_AGE_DAYS)


def _refuse(request, *, code: str, message: str, to: str):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(code=code, message=message), status=401 if code == "signed_out" else 403)
    if message:
        messages.warning(request, message)
    return redirect(to)


class SessionPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not hasattr(request, "session"):
            return self.get_response(request)
        if refusal := self._check(request, user):
            return refusal
        return self.get_response(request)

    def _check(self, request, user):
        session = request.session
        now = clock()
        started = session.get(SESSION_STARTED)
        seen = session.get(SESSION_SEEN)
        if started is None:
            session[SESSION_STARTED] = started = now
        reason = None
        if seen is not None and now - seen > idle_limit(user):
            reason = "idle"
        elif now - started > settings.LMS_SESSION_MAX_HOURS * 3600:
            reason = "expired"
        if reason:
            request.lms_sign_out_reason = reason
            logout(request)
            message = (
                _("You were signed out after a time without activity. Sign in again.")
                if reason == "idle"
                else _("Your session has reached its maximum length. Sign in again.")
            )
            return _refuse(request, code="signed_out", message=message, to=f"{reverse('login')}?next={request.path}")
        if seen is None or now - seen > SEEN_RESOLUTION:
            session[SESSION_SEEN] = now
        if request.path.startswith(ALWAYS_ALLOWED):
            return None
        if not session.get(second_factor.SESSION_VERIFIED) and second_factor.required_for(user):
            if request.path.startswith(SECOND_FACTOR_PATHS):
                return None
            return _refuse(
                request,
                code="second_factor_required",
                message="" if not request.path.startswith("/api/") else _("Give your second factor first."),
                to=reverse("second-factor"),
            )
        return self._password_age(request, user)

    def _password_age(self, request, user):
        expires = password_expires_at(user, request.session)
        if expires is None or request.path.startswith(PASSWORD_PATHS):
            return None
        now = timezone.now()
        if now >= expires:
            return _refuse(
                request,
                code="password_expired",
                message=_("Your password has expired. Choose a new one to continue."),
                to=reverse("password_change"),
            )
        days_left = (expires - now).days
        if days_left < 7 and not request.session.get(SESSION_WARNED) and not request.path.startswith("/api/"):
            request.session[SESSION_WARNED] = True
            messages.warning(
                request,
                ngettext(
                    "Your password expires in %(days)d day. Change it now.",
                    "Your password expires in %(days)d days. Change it now.",
                    max(days_left, 1),
                )
                % {"days": max(days_left, 1)},
            )
        return None
