import re

from django.conf import settings
from django.http import JsonResponse
from django.middleware.gzip import GZipMiddleware
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


def is_download(response) -> bool:
    """A file handed to the person (PDF, export, ZIP, photo) rather than a page or an API answer."""
    return response.streaming or response.has_header("Content-Disposition")


class SecurityHeadersMiddleware:
    """Headers every answer carries: the content security policy, the permissions policy, caching.

    - HTML pages get `LMS_CONTENT_SECURITY_POLICY`: scripts and styles only from our own static
      files, so no page may carry an inline `<script>`, `style=` or `on*=` attribute.
    - Answers to a signed-in person (a session cookie or an Authorization header, read without a
      database query so the 500 page stays light) and every API answer are `private, no-store`:
      a shared computer's back button or a proxy must not replay a trainee's page.
    - Downloads are `private`: the person's own browser may keep them, no shared cache may.
    A view that sets its own Cache-Control (a photo's `private, max-age=3600`) keeps it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.headers.setdefault("Content-Security-Policy", settings.LMS_CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", settings.LMS_PERMISSIONS_POLICY)
        if not response.has_header("Cache-Control"):
            if is_download(response):
                response["Cache-Control"] = "private"
            elif (
                request.path.startswith("/api/")
                or settings.SESSION_COOKIE_NAME in request.COOKIES
                or "HTTP_AUTHORIZATION" in request.META
            ):
                response["Cache-Control"] = "private, no-store"
        return response


class CompressionMiddleware(GZipMiddleware):
    """Gzip HTML and JSON answers when the client accepts it and no proxy has done it already.

    BREACH needs three things in one compressed answer: a secret, text the attacker chose, and
    many observed lengths. Here:
    - the CSRF token in forms is masked afresh on every answer (Django), so it never repeats;
    - Django's gzip adds 0–100 random bytes to every answer ("Heal the BREACH"), so lengths
      measured across requests no longer reveal a matching guess;
    - answers whose body *is* a secret (the API token, the check-in code) are never compressed
      (`LMS_UNCOMPRESSED_PATHS`), so even that residual risk does not reach them;
    - only HTML and JSON are compressed: PDFs, ZIPs and photos are compressed already.
    """

    compressible_types = ("text/html", "application/json")

    def process_response(self, request, response):
        content_type = response.get("Content-Type", "")
        if not content_type.startswith(self.compressible_types):
            return response
        if any(re.match(pattern, request.path) for pattern in settings.LMS_UNCOMPRESSED_PATHS):
            return response
        return super().process_response(request, response)


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
