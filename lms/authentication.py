from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext
from rest_framework import status

from lms.errors import ApplicationError, error_body


class UsernameOrMobileBackend(ModelBackend):
    """Log in with the username or the mobile number (trainees remember their phone number)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and username.isdigit() and len(username) == 11:
            user = get_user_model().objects.filter(mobile=username).first()
            if user:
                username = user.get_username()
        return super().authenticate(request, username=username, password=password, **kwargs)


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes's lock check before any password check; a call without a request (the test
    client's login, the shell) has no address to lock, so it is left to the other backends."""

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


class LoginLocked(ApplicationError):
    """Too many failed logins for one account from one address (django-axes keeps the count)."""

    code = "login_locked"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS


def login_locked_error() -> LoginLocked:
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return LoginLocked(
        ngettext(
            "Too many failed logins: this account is locked from your address for %(minutes)d minute. "
            "Try again later.",
            "Too many failed logins: this account is locked from your address for %(minutes)d minutes. "
            "Try again later.",
            minutes,
        )
        % {"minutes": minutes}
    )


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out login answers (AXES_LOCKOUT_CALLABLE): the JSON error shape or a page."""
    error = login_locked_error()
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(code=error.code, message=error.message), status=error.status_code)
    context = {"message": error.message, "code": error.code, "status": error.status_code}
    return render(request, "error.html", context, status=error.status_code)
