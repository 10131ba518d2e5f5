"""One log line per event, the same for web and workers: time, level, logger, request id, user id, message.

The request id comes from the proxy's X-Request-ID (when it looks like one) or is made here; it is
sent back in the response and travels in the headers of every task the request queues, so a
worker's lines carry the id of the request that caused them. LOG_FORMAT=json writes one JSON
object a line for log collectors.
"""

import contextvars
import json
import logging
import re
import time
import uuid

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
user_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("user_id", default="-")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s request=%(request_id)s user=%(user_id)s %(message)s"
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
TASK_HEADER_REQUEST = "lms_request_id"
TASK_HEADER_USER = "lms_user_id"


class ContextFilter(logging.Filter):
    """Stamp every record with the current request id and user id."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.user_id = user_id_var.get()
        return True


def utc_time(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    """ISO 8601 in UTC with its `Z`: web, workers and gunicorn hosts in any zone sort and join on it (Django sets
    the process's zone to Asia/Shanghai, which a line without an offset left the reader to guess)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"


class TextFormatter(logging.Formatter):
    def __init__(self, *args, **kwargs):
        super().__init__(TEXT_FORMAT)

    def formatTime(self, record, datefmt=None):
        return utc_time(self, record)

    def format(self, record):
        for name in ("request_id", "user_id"):  # records from handlers without the filter
            if not hasattr(record, name):
                setattr(record, name, "-")
        return super().format(record).replace("\n", "\n    ")  # a traceback stays under its event


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": utc_time(self, record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "user_id": getattr(record, "user_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def formatter_for(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def context_set(*, request_id: str | None = None, user_id=None) -> None:
    request_id_var.set(request_id or "-")
    user_id_var.set(str(user_id) if user_id else "-")


class RequestIdMiddleware:
    """Give each request an id (the proxy's X-Request-ID when well-formed) for its log lines and its tasks."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = incoming if _INCOMING_ID.match(incoming) else uuid.uuid4().hex
        user = getattr(request, "user", None)
        context_set(request_id=request.request_id, user_id=user.pk if user and user.is_authenticated else None)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


def task_headers() -> dict:
    """Headers that carry the current request's ids into a task."""
    return {TASK_HEADER_REQUEST: request_id_var.get(), TASK_HEADER_USER: user_id_var.get()}
