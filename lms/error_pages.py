"""Error answers for pages and the API: 400, 403, 404, 429 and 500.

Pages speak the interface language (the locale middleware has already chosen it) through one
light layout rendered without the request, so no context processor runs: no user lookup, no
database query, nothing that can fail again while the server is failing. Under /api/ the same
errors answer the one JSON error shape of lms.errors.
"""

from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

from lms.errors import error_body


def _answer(request, *, status: int, template: str, code: str, message: str, context: dict | None = None):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(code=code, message=message), status=status)
    return HttpResponse(loader.render_to_string(template, context or {}), status=status)


def bad_request(request, exception=None, template_name="400.html"):
    return _answer(request, status=400, template="400.html", code="bad_request", message=_("Bad request."))


def permission_denied(request, exception=None, template_name="403.html"):
    return _answer(
        request, status=403, template="403.html", code="not_allowed", message=_("You are not allowed to do this.")
    )


def page_not_found(request, exception=None, template_name="404.html"):
    return _answer(request, status=404, template="404.html", code="not_found", message=_("Not found."))


def server_error(request, template_name="500.html"):
    return _answer(request, status=500, template="500.html", code="server_error", message=_("Something went wrong."))


def csrf_failure(request, reason="", template_name="403.html"):
    """A form sent with an expired or missing CSRF token: say so, in the person's language."""
    return _answer(
        request,
        status=403,
        template="403.html",
        code="csrf",
        message=_("The form had expired. Please go back, reload the page and send it again."),
        context={"code": "csrf"},
    )


def too_many_requests(request, *, retry_after_seconds: int | None = None):
    """The 429 answer for a page or API rate limit, with Retry-After when the wait is known."""
    minutes = -(-retry_after_seconds // 60) if retry_after_seconds else None
    response = _answer(
        request,
        status=429,
        template="429.html",
        code="too_many_requests",
        message=_("Too many requests. Please wait a moment and try again."),
        context={"retry_after_minutes": minutes},
    )
    if retry_after_seconds:
        response["Retry-After"] = str(retry_after_seconds)
    return response
