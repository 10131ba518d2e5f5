"""Domain errors raised by services, and the one place that turns them into HTTP answers."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApplicationError(Exception):
    """An error a user can act on: a translatable message and a machine code."""

    code = "invalid"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("The request could not be completed.")

    def __init__(self, message=None, *, code: str | None = None, fields: dict | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.fields = fields or {}
        super().__init__(str(self.message))


class ValidationFailed(ApplicationError):
    code = "invalid"


class NotAllowed(ApplicationError):
    code = "not_allowed"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _("You are not allowed to do this.")


class NotFound(ApplicationError):
    code = "not_found"
    status_code = status.HTTP_404_NOT_FOUND
    default_message = _("Not found.")


class Conflict(ApplicationError):
    code = "conflict"
    status_code = status.HTTP_409_CONFLICT


class StoredFileUnavailable(ApplicationError):
    """A file the database points at cannot be read from the storage right now."""

    code = "file_unavailable"
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_message = _("The file cannot be read from storage right now. Try again later or tell the operator.")


def removed_meanwhile(exception) -> Conflict | None:
    """A write that names a row someone else deleted a moment before (a foreign key the database refused at
    commit): the person's request lost a race, it is not broken. Every service has rolled back by then."""
    from django.db import IntegrityError
    from psycopg import errors as pg

    if isinstance(exception, IntegrityError) and isinstance(exception.__cause__, pg.ForeignKeyViolation):
        return Conflict(
            _("Something this refers to was removed a moment ago by someone else. Reload the page and try again."),
            code="removed_meanwhile",
        )
    return None


def error_body(*, code: str, message, fields: dict | None = None) -> dict:
    body = {"error": {"code": code, "message": str(message)}}
    if fields:
        body["error"]["fields"] = fields
    return body


def is_refusal(exc) -> bool:
    """A permission refusal: a NotAllowed, DRF's or Django's PermissionDenied, or a row `access` refused."""
    return isinstance(exc, NotAllowed | PermissionDenied | exceptions.PermissionDenied) or hasattr(exc, "refused_row")


def first_message(detail) -> str:
    """The first human message in DRF's nested error detail (dicts and lists of dicts), never a repr."""
    if isinstance(detail, dict):
        detail = list(detail.values())
    if isinstance(detail, list | tuple):
        return next((message for value in detail if (message := first_message(value))), "")
    return str(detail)


def api_exception_handler(exc, context):
    """Answer every API error in one JSON shape: {"error": {"code", "message", "fields"?}}."""
    exc = removed_meanwhile(exc) or exc
    if is_refusal(exc) and (request := context.get("request")) is not None:
        from lms.audit_events import audit_refusal

        audit_refusal(request, exc)
    if isinstance(exc, ApplicationError):
        return Response(error_body(code=exc.code, message=exc.message, fields=exc.fields), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body(code="invalid", message=first_message(detail), fields=detail)
    else:
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        response.data = error_body(
            code=code if isinstance(code, str) else "error", message=first_message(getattr(exc, "detail", exc))
        )
    return response
