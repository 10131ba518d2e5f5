from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework import status

from lms.errors import ApplicationError, error_body


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
    must come first; such views call `refuse_nul_bytes` after the guard (fieldwork.uploads.upload_view),
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


class ApplicationErrorMiddleware:
    """Turn a domain error raised under a page into that page's 4xx with the error's message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if (limit := request_limit_error(exception)) is not None:
            return error_response(request, limit)
        if isinstance(exception, ApplicationError) and not request.path.startswith("/api/"):
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
