"""A size and time limit on every request body, applied before anything reads it.

Django's CSRF check, the NUL-byte guard and DRF's authentication all read the body before a view
runs; without a limit in front of them a 200 MB POST to the login page is read in full and a
declared 5 GB body holds a worker until gunicorn kills it. So the first middleware:

- refuses a declared `Content-Length` over the view's limit with 413, reading nothing;
- wraps the body stream so that no more than the limit can ever be read (a chunked body, which
  declares no length, is counted as it streams and refused at the limit);
- gives the body a read deadline: a client that sends slower than `LMS_BODY_READ_SECONDS` for the
  whole body gets 408 (a socket timeout under gunicorn, a deadline between reads everywhere).

The limit is `LMS_REQUEST_BODY_MAX` (forms and JSON) unless the resolved view declares its own:
`accepts_body(n)` on a page, `UploadLimitsMixin` on a viewset; a view whose limit depends on the
row it names (an assignment's total) declares the upload ceiling `LMS_UPLOAD_BODY_MAX` and checks
its own limit afterwards (lms.uploads.guard_content_length).
"""

import contextlib
import time

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lms.errors import ApplicationError, error_body

# Room for the multipart wrapping (boundaries, part headers, form fields) around the files, so a
# file exactly at the limit is accepted while anything much larger is refused before it is read.
MULTIPART_MARGIN = 64 * 1024
UPLOAD_CEILING = "upload"  # the view takes files up to LMS_UPLOAD_BODY_MAX; it checks its own limit


class BodyReadTimeout(ApplicationError, BadRequest):
    """A body slower than its deadline; BadRequest so that a middleware reading it answers 400, not 500
    (BodyLimitMiddleware then turns that answer into this 408)."""

    code = "request_timeout"
    status_code = 408


def accepts_body(limit: int | str):
    """Declare the largest body a view takes (bytes, or UPLOAD_CEILING); read by BodyLimitMiddleware."""

    def decorator(view):
        view.max_request_body = limit
        return view

    return decorator


def _numeric(limit) -> int:
    return settings.LMS_UPLOAD_BODY_MAX if limit == UPLOAD_CEILING else int(limit)


def body_limit_for(request) -> int:
    """The largest body the view this request resolves to accepts."""
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return settings.LMS_REQUEST_BODY_MAX
    view = match.func
    if (limit := getattr(view, "max_request_body", None)) is not None:
        return _numeric(limit)
    viewset = getattr(view, "cls", None)
    if viewset is not None and getattr(viewset, "upload_max_body", 0):
        actions = getattr(view, "actions", None) or {}
        action = actions.get(request.method.lower()) if actions else None
        if action is None and not actions:  # a plain APIView: its handler is the method itself
            action = request.method.lower()
        if action in getattr(viewset, "upload_actions", ()):
            return _numeric(viewset.upload_max_body) + MULTIPART_MARGIN
    return settings.LMS_REQUEST_BODY_MAX


class BoundedStream:
    """The request body, readable up to `limit` bytes and until `deadline` (monotonic seconds)."""

    def __init__(self, stream, *, limit: int, deadline: float):
        self.stream = stream
        self.limit = limit
        self.deadline = deadline
        self.received = 0
        self.over_limit = False
        self.timed_out = False

    def _check(self, data: bytes) -> bytes:
        self.received += len(data)
        if self.received > self.limit:
            self.over_limit = True
            raise RequestDataTooBig("The request body is larger than its limit.")
        if time.monotonic() > self.deadline:
            self.timed_out = True
            raise body_read_timeout()
        return data

    def read(self, size=-1):
        try:
            if size is None or size < 0:
                return self._check(self.stream.read(self.limit - self.received + 1))
            return self._check(self.stream.read(min(size, self.limit - self.received + 1)))
        except TimeoutError:
            self.timed_out = True
            raise body_read_timeout() from None

    def readline(self, size=-1):
        try:
            room = self.limit - self.received + 1
            return self._check(self.stream.readline(room if size is None or size < 0 else min(size, room)))
        except TimeoutError:
            self.timed_out = True
            raise body_read_timeout() from None

    def __iter__(self):
        while line := self.readline():
            yield line

    def close(self):
        close = getattr(self.stream, "close", None)
        if close:
            close()


def body_read_timeout() -> BodyReadTimeout:
    # Lazy: made before any language is active, said in the one `refusal` chooses.
    return BodyReadTimeout(
        gettext_lazy("The request body arrived too slowly and was dropped. Check the connection and send it again.")
    )


def _too_large(limit: int) -> ApplicationError:
    message = lazy(
        lambda: _("The request is too large: at most %(limit)s can be sent here.") % {"limit": filesizeformat(limit)},
        str,
    )()  # made before any language is active, said in the one `refusal` chooses
    error = ApplicationError(message, code="request_too_large")
    error.status_code = 413
    return error


def refusal(request, error: ApplicationError):
    """The answer for a body refused before any other middleware ran: no session, user or database needed."""
    language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if not (language and translation.check_for_language(language)):
        language = (
            translation.get_language_from_request(request)
            if request.path.startswith("/api/")
            else settings.LANGUAGE_CODE
        )
    with translation.override(language):
        message = str(error.message)
        if request.path.startswith("/api/"):
            response = JsonResponse(error_body(code=error.code, message=message), status=error.status_code)
        else:
            page = loader.render_to_string("errors/refused.html", {"message": message, "code": error.code})
            response = HttpResponse(page, status=error.status_code)
    # The unread body makes the connection unusable for another request.
    response["Connection"] = "close"
    return response


class BodyLimitMiddleware:
    """First in the stack: the body limit and read deadline of the module docstring."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        limit = body_limit_for(request)
        declared = meta.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
        if declared:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0:
                error = ApplicationError(
                    gettext_lazy("The request's Content-Length is not a number."), code="bad_length"
                )
                return refusal(request, error)
            if length > limit:
                return refusal(request, _too_large(limit))
        seconds = settings.LMS_BODY_READ_SECONDS
        sock = meta.get("gunicorn.socket")
        if sock is not None and (declared or chunked):
            sock.settimeout(seconds)
        stream = request._stream
        if chunked and not declared:
            # Django reads nothing of a body without a length; read it here, counted, so a chunked
            # form or JSON arrives like any other and a chunked flood stops at the limit.
            stream = meta["wsgi.input"]
        bounded = BoundedStream(stream, limit=limit, deadline=time.monotonic() + seconds)
        request._stream = bounded
        try:
            response = self.get_response(request)
            # Whoever read the body (CSRF, a parser, a view) met the limit: the answer says so,
            # whatever that reader made of the exception.
            if bounded.over_limit:
                return refusal(request, _too_large(limit))
            if bounded.timed_out:
                return refusal(request, body_read_timeout())
            return response
        finally:
            if sock is not None and (declared or chunked):
                with contextlib.suppress(OSError):
                    sock.settimeout(None)
