from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext
from rest_framework import status

from lms.clients import client_address
from lms.counters import counter_hit, counter_value
from lms.errors import ApplicationError, error_body


class UsernameOrMobileBackend(ModelBackend):
    """Log in with the username or the mobile number (trainees remember their phone number)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and username.isdigit() and len(username) == 11:
            user = get_user_model().objects.filter(mobile=username).first()
            if user:
                username = user.get_username()
        return super().authenticate(request, username=username, password=password, **kwargs)


def account_username(request, credentials=None) -> str:
    """The name django-axes counts failures under (AXES_USERNAME_CALLABLE): the account's username
    whether it signs in with that or its mobile, so both names share one lock and one count."""
    given = (credentials or {}).get("username")
    if given is None and request is not None:
        given = request.POST.get("username", "")
    given = str(given or "")
    if given.isdigit() and len(given) == 11:
        account = get_user_model().objects.filter(mobile=given).values_list("username", flat=True).first()
        if account:
            return account
    return given


def _address_key(request) -> str:
    return f"login-failures-address:{client_address(request)}"


def address_locked(request) -> bool:
    """Too many failed logins from this address, across every account it tried, within the lock window."""
    return counter_value(_address_key(request)) >= settings.LMS_LOGIN_ADDRESS_FAILURE_LIMIT


def login_failure_counted(sender, credentials=None, request=None, **kwargs):
    """user_login_failed: one more failure for the client's address (the per-account count is django-axes's)."""
    if request is not None and client_address(request):
        counter_hit(_address_key(request), int(settings.AXES_COOLOFF_TIME.total_seconds()))


class LoginThrottleBackend(AxesStandaloneBackend):
    """The address's and django-axes's lock checks before any password check; a call without a request
    (the test client's login, the shell) has no address to lock, so it is left to the other backends."""

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        if address_locked(request):
            request.axes_locked_out = True
            request.lms_address_locked = True
            raise AxesBackendPermissionDenied("Too many failed logins from this address.")
        return super().authenticate(request, username, password, **kwargs)


class LoginLocked(ApplicationError):
    """Too many failed logins for one account from one address (django-axes keeps the count)."""

    code = "login_locked"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS


def login_locked_error(request=None) -> LoginLocked:
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    if request is not None and getattr(request, "lms_address_locked", False):
        return LoginLocked(
            ngettext(
                "Too many failed logins from your address: signing in from it is paused for %(minutes)d minute.",
                "Too many failed logins from your address: signing in from it is paused for %(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes}
        )
    return LoginLocked(
        ngettext(
            "Too many failed logins: this account is locked from your address for %(minutes)d minute. Try again later.",
            "Too many failed logins: this account is locked from your address for %(minutes)d minutes. "
            "Try again later.",
            minutes,
        )
        % {"minutes": minutes}
    )


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out login answers (AXES_LOCKOUT_CALLABLE): the JSON error shape or a page."""
    error = login_locked_error(request)
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(code=error.code, message=error.message), status=error.status_code)
    context = {"message": error.message, "code": error.code, "status": error.status_code}
    return render(request, "error.html", context, status=error.status_code)
