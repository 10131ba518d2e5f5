"""Idempotent creates: a request carrying a client's key (a UUID) is carried out once per person and key.

A phone that lost its answer sends the same create again, perhaps many times (the field outbox does, and so
does a person tapping twice). The key comes in the `Idempotency-Key` header (API and the outbox) or in the
query string `?idempotency_key=` (plain page forms; the body cannot be read before a page's upload limits are
installed). Rules:

- The first request runs inside one transaction with its key row; the row and the answer (status, body,
  content type, Location) are written only when the answer is below 400, so a key exists exactly when its
  create committed, and a refused request (4xx/5xx) keeps no key: the corrected record may be sent under it.
- A replay (same person, same key, same content) gets the stored answer, with `Idempotency-Replayed: true`,
  and creates nothing. The same key with different content is a 409 that says so.
- Two copies arriving at once: the second waits on the key's unique index until the first ends, then is
  answered as a replay (or runs, when the first was refused).
- Content is compared by its meaning: form fields (without the CSRF token) and each file's SHA-256, or the
  raw body for JSON; never the multipart boundary, which a browser draws anew each time.
- Keys are kept IDEMPOTENCY_KEEP_DAYS (30 by default) and then removed by beat (`idempotency_sweep`).
"""

import hashlib
import json
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.errors import ApplicationError, Conflict, removed_meanwhile

HEADER = "HTTP_IDEMPOTENCY_KEY"
QUERY_FIELD = "idempotency_key"
METHODS = {"POST", "PUT", "PATCH"}
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
IGNORED_FIELDS = {"csrfmiddlewaretoken"}
# A replay longer than its original by more than this is a different request: refused unread.
REPLAY_LENGTH_SLACK = 64 * 1024


class KeyReused(Conflict):
    code = "idempotency_key_reused"


class BadKey(ApplicationError):
    code = "bad_idempotency_key"


def key_of(request) -> uuid.UUID | None:
    """The request's idempotency key, None when it carries none; BadKey when it is not a UUID."""
    raw = request.META.get(HEADER) or request.GET.get(QUERY_FIELD)
    if not raw:
        return None
    try:
        return uuid.UUID(raw.strip())
    except (ValueError, AttributeError):
        raise BadKey(_("The idempotency key must be a UUID.")) from None


def _is_form(request) -> bool:
    return request.content_type in FORM_TYPES


def file_digest(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    return digest.hexdigest()


def _fingerprint(request, body: bytes | None) -> tuple[str, list[dict]]:
    """The request's content as one SHA-256, and the files received (field, name, size, sha256)."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    if body is not None:
        digest.update(body)
        return digest.hexdigest(), []
    fields = sorted(
        (name, value) for name, values in request.POST.lists() if name not in IGNORED_FIELDS for value in values
    )
    digest.update(json.dumps(fields, ensure_ascii=False).encode())
    received = []
    for field, uploads in sorted(request.FILES.lists()):
        for upload in uploads:
            received.append({"field": field, "name": upload.name, "size": upload.size, "sha256": file_digest(upload)})
    digest.update(json.dumps(received, ensure_ascii=False).encode())
    return digest.hexdigest(), received


def _user_of(request):
    """The signed-in person: the session's, or for the API the token's (DRF authenticates inside the view)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    auth = request.META.get("HTTP_AUTHORIZATION", "")
    if request.path.startswith("/api/") and auth.startswith("Token "):
        from rest_framework.authtoken.models import Token

        token = Token.objects.select_related("user").filter(key=auth[6:].strip()).first()
        if token is not None and token.user.is_active:
            return token.user
    return None


def _error(request, error: ApplicationError):
    from lms.middleware import error_response

    return error_response(request, error)


def stored_answer(request, row, *, replayed: bool) -> HttpResponse:
    response = HttpResponse(bytes(row.body), status=row.status, content_type=row.content_type or None)
    if row.location:
        response["Location"] = row.location
    return _annotated(response, row.key, row.received, replayed=replayed, request=request)


def _annotated(response, key, received, *, replayed: bool, request=None):
    if request is not None and request.META.get("HTTP_X_OUTBOX") and 300 <= response.status_code < 400:
        # The field outbox cannot read a redirect's headers (fetch follows it): it gets the redirect as JSON.
        response = JsonResponse(
            {
                "status": response.status_code,
                "location": response["Location"],
                "replayed": replayed,
                "received": received,
            }
        )
    response["Idempotency-Key"] = str(key)
    if replayed:
        response["Idempotency-Replayed"] = "true"
    # What arrived, so the sender can remove its copy only when every byte did.
    if received:
        response["Idempotency-Received"] = ",".join(f"{one['field']}={one['sha256']}" for one in received)
    return response


def _replay(request, row, body: bytes | None):
    if request.method != row.method or request.path != row.path:
        return _error(request, KeyReused(_("This idempotency key was already used for another request.")))
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > row.request_length + REPLAY_LENGTH_SLACK:
        return _error(request, KeyReused(_("This idempotency key was already used with different content.")))
    fingerprint, _received = _fingerprint(request, body)
    if fingerprint != row.fingerprint:
        return _error(request, KeyReused(_("This idempotency key was already used with different content.")))
    return stored_answer(request, row, replayed=True)


class IdempotencyMiddleware:
    """Carry out a create under a client's key once; answer a replay with the first answer (see the module)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in METHODS:
            return self.get_response(request)
        try:
            key = key_of(request)
        except BadKey as error:
            return _error(request, error)
        if key is None:
            return self.get_response(request)
        user = _user_of(request)
        if user is None:
            return self.get_response(request)  # the view answers 401/403 or the login page
        body = None
        if not _is_form(request):
            body = request.body  # JSON and the like: small, and kept readable for the view
        from lms.models import IdempotencyKey

        try:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        row = IdempotencyKey.objects.create(
                            user=user,
                            key=key,
                            method=request.method,
                            path=request.path[:512],
                            request_length=int(request.META.get("CONTENT_LENGTH") or 0),
                        )
                except IntegrityError:
                    # Committed by an earlier (or a concurrent, now finished) request with this key.
                    earlier = IdempotencyKey.objects.get(user=user, key=key)
                    return _replay(request, earlier, body)
                response = self.get_response(request)
                if response.status_code >= 400 or response.streaming:
                    transaction.set_rollback(True)
                    return response
                row.fingerprint, row.received = _fingerprint(request, body)
                row.status = response.status_code
                row.content_type = response.get("Content-Type", "")[:128]
                row.location = response.get("Location", "")[:2048]
                row.body = response.content
                row.save()
        except IntegrityError as error:
            # A foreign key refused at commit: the create lost a race with a deletion (lms.errors).
            conflict = removed_meanwhile(error)
            if conflict is None:
                raise
            return _error(request, conflict)
        return _annotated(response, key, row.received, replayed=False, request=request)


def idempotency_sweep(*, now=None) -> int:
    """Remove keys older than IDEMPOTENCY_KEEP_DAYS; return how many. Safe to run twice."""
    from lms.models import IdempotencyKey

    cutoff = (now or timezone.now()) - timedelta(days=settings.IDEMPOTENCY_KEEP_DAYS)
    removed, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return removed
