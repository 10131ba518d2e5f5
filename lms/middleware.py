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


class ApplicationErrorMiddleware:
    """Turn a domain error raised under a page into that page's 4xx with the error's message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if (limit := request_limit_error(exception)) is not None:
            if request.path.startswith("/api/"):
                return JsonResponse(error_body(code=limit.code, message=limit.message), status=limit.status_code)
            exception = limit
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
