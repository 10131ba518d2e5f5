import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.middleware.gzip import GZipMiddleware
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework import status

from lms.errors import ApplicationError, error_body, is_refusal, removed_meanwhile


def request_limit_error(exception) -> ApplicationError | None:
    """The domain error for a request Django refused to parse (too many files or fields, too big)."""
    if isinstance(exception, TooManyFilesSent):
        return ApplicationError(
            _("Too many files in one request: at most %(count)d can be sent at once.")
            % {"count": settings.DATA_UPLOAD_MAX_NUMBER_FILES},
            code="too_many_files",
        )
    if isinstance(exception, TooManyFieldsSent):
        return ApplicationError(_("Too many fields in one request."), code="too_many_fields")
    if isinstance(exception, RequestDataTooBig):
        error = ApplicationError(_("The request is too large."), code="request_too_large")
        error.status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        return error
    return None


def error_response(request, error: ApplicationError):
    """The 4xx for a domain error: the API's JSON shape, or the error page in the interface language."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(code=error.code, message=error.message), status=error.status_code)
    context = {"message": error.message, "code": error.code, "status": error.status_code}
    return render(request, "error.html", context, status=error.status_code)


def _has_nul(values) -> bool:
    return any("\x00" in value for value in values if isinstance(value, str))


def refuse_nul_bytes(request, *, form: bool = True) -> None:
    """Refuse a request carrying a NUL character in its query or, with `form`, its form fields.

    PostgreSQL cannot store NUL in text, and no person types one: such a request is refused whole.
    """
    fields = [*request.GET.lists(), *(request.POST.lists() if form else [])]
    if _has_nul(value for key, values in fields for value in [key, *values]):
        raise nul_byte_error()


def nul_byte_error() -> ApplicationError:
    return ApplicationError(_("The request contains a NUL character, which text cannot hold."), code="nul_character")


class RefuseNulBytesMiddleware:
    """NUL characters in query strings, form fields and JSON bodies answer 400 before any view.

    A multipart body is not read here when the view takes uploads (csrf_exempt): its length guard
    must come first; such views call `refuse_nul_bytes` after the guard (lms.uploads.upload_view),
    and the API's serializers refuse NUL in their fields.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        try:
            content_type = request.content_type or ""
            uploads_first = content_type.startswith("multipart/") and getattr(view, "csrf_exempt", False)
            refuse_nul_bytes(request, form=not uploads_first)
            if content_type == "application/json":
                body = request.body
                if b"\x00" in body or b"\\u0000" in body.lower():
                    raise nul_byte_error()
        except ApplicationError as error:
            return error_response(request, error)
        except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent) as exception:
            return error_response(request, request_limit_error(exception))
        return None


class ApiAnswersJsonMiddleware:
    """Every answer under /api/ is JSON: an HTML page from anywhere (a resolver 404, CommonMiddleware's
    slash redirect, a 405 from a page decorator) becomes the one JSON error shape with the same status.
    The interactive docs (`/api/v1/docs/`) are the one HTML page there."""

    HTML_ALLOWED = ("/api/v1/docs/",)
    CODES = {301: "moved", 302: "moved", 400: "bad_request", 403: "not_allowed", 404: "not_found",
             405: "method_not_allowed", 413: "request_too_large", 429: "too_many_requests"}  # fmt: skip

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and not request.path.startswith(self.HTML_ALLOWED)
            and response.get("Content-Type", "").startswith("text/html")
        ):
            code = self.CODES.get(response.status_code, "error")
            message = {
                "moved": _("This address ends with a slash: %(location)s") % {"location": response.get("Location", "")},
                "not_found": _("Not found."),
                "method_not_allowed": _("This method is not allowed here."),
            }.get(code, response.reason_phrase)
            answer = JsonResponse(error_body(code=code, message=message), status=response.status_code)
            for header in ("Location", "Allow", "Retry-After"):
                if response.has_header(header):
                    answer[header] = response[header]
            return answer
        return response


class ApplicationErrorMiddleware:
    """Turn a domain error raised under a page into that page's 4xx with the error's message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if (limit := request_limit_error(exception)) is not None:
            return error_response(request, limit)
        exception = removed_meanwhile(exception) or exception
        if isinstance(exception, ApplicationError) and not request.path.startswith("/api/"):
            if is_refusal(exception):
                from lms.audit_events import audit_refusal

                audit_refusal(request, exception)
            return error_response(request, exception)
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

    ALLOWED = ("/accounts/password/set/", "/accounts/second-factor/", "/accounts/logout/", "/i18n/", "/static/")

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
