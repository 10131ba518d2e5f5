from django.conf import settings
from django.http import JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from lms.errors import ApplicationError, error_body


class ApplicationErrorMiddleware:
    """Turn a domain error raised under a page into that page's 4xx with the error's message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, ApplicationError) and not request.path.startswith("/api/"):
            return render(
                request,
                "error.html",
                {"message": exception.message, "code": exception.code, "status": exception.status_code},
                status=exception.status_code,
            )
        return None


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Pages speak zh-hans unless the person chose another language with the switch.

    A phone set to English still gets Chinese pages, as the course's own users expect; the API
    also honours Accept-Language, since its clients cannot click the switch.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen and translation.check_for_language(chosen):
            language = translation.get_supported_language_variant(chosen)
        elif request.path.startswith("/api/"):
            language = translation.get_language_from_request(request)
        else:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class PasswordChangeRequiredMiddleware:
    """A person holding a temporary password reaches nothing but the page that sets its own."""

    ALLOWED = ("/accounts/password/set/", "/accounts/logout/", "/i18n/", "/static/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.must_change_password
            and not request.path.startswith(self.ALLOWED)
        ):
            if request.path.startswith("/api/"):
                body = error_body(code="password_change_required", message=_("Set a new password first."))
                return JsonResponse(body, status=403)
            return redirect("password_set")
        return self.get_response(request)
