"""Resumable uploads by the tus 1.0.0 protocol at /api/v1/uploads/: core, creation, checksum, expiration, termination.

A phone on a weak link sends a photo in chunks; a cut costs at most the chunk in flight. Rules:
- Creation (POST) checks the person and the declared size before the first byte: at most TUS_MAX_SIZE,
  and at most TUS_MAX_OPEN unfinished uploads per person.
- Each PATCH must start at the upload's current offset (409 otherwise) and must not pass its length; its
  body is kept only when it arrived whole and, with `Upload-Checksum` (sha1 or sha256), when it matches
  (460 otherwise). The row is locked while a chunk is added, so two web processes never add at one offset.
- Chunks are separate objects in the private storage (a folder or the bucket), so any web host takes the
  next chunk. `open_upload` reads a finished upload back as one file for the upload pipeline.
- Unfinished or unused uploads expire after TUS_EXPIRE_HOURS (`Upload-Expires`) and are removed by beat.
- Only its creator sees or changes an upload; for anyone else it does not exist (404).
"""

import base64
import hashlib
import tempfile
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from lms.bodies import UPLOAD_CEILING, accepts_body
from lms.models import TusUpload

VERSION = "1.0.0"
EXTENSIONS = "creation,checksum,expiration,termination"
CHECKSUMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}
READ_BYTES = 64 * 1024


def _answer(status: int, **headers) -> HttpResponse:
    # Not text/html: lms.middleware.ApiAnswersJsonMiddleware would turn it into its JSON error shape.
    response = HttpResponse(status=status, content_type="text/plain; charset=utf-8")
    response["Tus-Resumable"] = VERSION
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = str(value)
    return response


def _refuse(status: int, message: str) -> HttpResponse:
    response = _answer(status)
    response.content = message.encode()
    return response


def _person(request):
    """(user, by_token): the session's person, or the API token's (tus clients send `Authorization: Token`)."""
    auth = request.META.get("HTTP_AUTHORIZATION", "")
    if auth.startswith("Token "):
        from rest_framework.authtoken.models import Token

        token = Token.objects.select_related("user").filter(key=auth[6:].strip()).first()
        return (token.user, True) if token and token.user.is_active else (None, True)
    user = getattr(request, "user", None)
    return (user, False) if user is not None and user.is_authenticated else (None, False)


def _metadata(raw: str) -> dict | None:
    """`Upload-Metadata`: comma-separated `key base64value` pairs; None when malformed."""
    result = {}
    for pair in filter(None, (part.strip() for part in (raw or "").split(","))):
        key, _sep, value = pair.partition(" ")
        try:
            result[key] = base64.b64decode(value, validate=True).decode("utf-8") if value else ""
        except (ValueError, UnicodeDecodeError):
            return None
    return result


def _expires(upload: TusUpload) -> str:
    return http_date(upload.expires_at.timestamp())


def _int_header(request, name: str) -> int | None:
    raw = request.META.get(name, "")
    return int(raw) if raw.isdigit() else None


@csrf_exempt
@accepts_body(UPLOAD_CEILING)  # a chunk may be as large as the upload; PATCH checks the upload's own room
def uploads(request, upload_id: str | None = None):
    """The tus endpoint: OPTIONS and POST on the collection; HEAD, PATCH and DELETE on one upload."""
    if request.method == "OPTIONS":
        return _answer(
            204,
            Tus_Version=VERSION,
            Tus_Extension=EXTENSIONS,
            Tus_Max_Size=settings.TUS_MAX_SIZE,
            Tus_Checksum_Algorithm=",".join(CHECKSUMS),
        )
    user, by_token = _person(request)
    if user is None:
        return _refuse(401, _("Sign in first."))
    if not by_token and request.method in ("POST", "PATCH", "DELETE"):
        # A page's script sends the session cookie: the CSRF token is required as for any form.
        refused = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        if refused is not None:
            return refused
    if request.META.get("HTTP_TUS_RESUMABLE") != VERSION:
        return _answer(412, Tus_Version=VERSION)
    if upload_id is None:
        if request.method != "POST":
            return _answer(405, Allow="OPTIONS, POST")
        return _create(request, user)
    upload = TusUpload.objects.filter(pk=upload_id, user=user, expires_at__gt=timezone.now()).first()
    if upload is None:
        return _refuse(404, _("No such upload."))
    if request.method == "HEAD":
        return _answer(200, Upload_Offset=upload.offset, Upload_Length=upload.length, Upload_Expires=_expires(upload))
    if request.method == "PATCH":
        return _append(request, upload)
    if request.method == "DELETE":
        upload_delete(upload=upload)
        return _answer(204)
    return _answer(405, Allow="HEAD, PATCH, DELETE")


def _create(request, user) -> HttpResponse:
    length = _int_header(request, "HTTP_UPLOAD_LENGTH")
    if length is None:
        return _refuse(400, _("Upload-Length is required (deferred length is not supported)."))
    if length > settings.TUS_MAX_SIZE:
        return _refuse(413, _("The file is too large: at most %(bytes)d bytes.") % {"bytes": settings.TUS_MAX_SIZE})
    metadata = _metadata(request.META.get("HTTP_UPLOAD_METADATA", ""))
    if metadata is None:
        return _refuse(400, _("Upload-Metadata is malformed."))
    open_now = TusUpload.objects.filter(user=user, expires_at__gt=timezone.now()).count()
    if open_now >= settings.TUS_MAX_OPEN:
        return _refuse(429, _("Too many uploads under way: finish or remove one first."))
    upload = TusUpload.objects.create(
        id=uuid.uuid4(),
        user=user,
        length=length,
        metadata=metadata,
        expires_at=timezone.now() + timedelta(hours=settings.TUS_EXPIRE_HOURS),
    )
    location = request.build_absolute_uri(f"/api/v1/uploads/{upload.pk}/")
    return _answer(201, Location=location, Upload_Offset=0, Upload_Expires=_expires(upload))


def _append(request, upload: TusUpload) -> HttpResponse:
    if request.content_type != "application/offset+octet-stream":
        return _refuse(415, _("Content-Type must be application/offset+octet-stream."))
    offset = _int_header(request, "HTTP_UPLOAD_OFFSET")
    if offset is None:
        return _refuse(400, _("Upload-Offset is required."))
    checksum = None
    if raw := request.META.get("HTTP_UPLOAD_CHECKSUM"):
        algorithm, _sep, expected = raw.partition(" ")
        if algorithm not in CHECKSUMS:
            return _refuse(400, _("Unsupported checksum algorithm."))
        checksum = (CHECKSUMS[algorithm](), expected.strip())
    room = upload.length - offset
    declared = _int_header(request, "CONTENT_LENGTH")
    if declared is not None and declared > room:
        return _refuse(413, _("The chunk goes past the upload's length."))
    with tempfile.TemporaryFile() as spool:
        size = 0
        while chunk := request.read(READ_BYTES):
            size += len(chunk)
            if size > room:
                return _refuse(413, _("The chunk goes past the upload's length."))
            spool.write(chunk)
            if checksum:
                checksum[0].update(chunk)
        if declared is not None and size != declared:
            return _refuse(400, _("The chunk was cut short."))  # nothing kept: the client resends from the offset
        if checksum and base64.b64encode(checksum[0].digest()).decode() != checksum[1]:
            return _refuse(460, _("Checksum mismatch."))
        spool.seek(0)
        with transaction.atomic():
            locked = TusUpload.objects.select_for_update().get(pk=upload.pk)
            if locked.offset != offset:
                return _refuse(409, _("Upload-Offset does not match the upload's offset."))
            if size:
                name = default_storage.save(f"tus/{locked.pk}/{offset:015d}", File(spool))
                locked.chunks = [*locked.chunks, [offset, name]]
                locked.offset = offset + size
                locked.save(update_fields=["chunks", "offset"])
    return _answer(204, Upload_Offset=locked.offset, Upload_Expires=_expires(locked))


def open_upload(upload: TusUpload):
    """A finished upload as one temporary file at position 0 (the caller closes it)."""
    if upload.offset != upload.length:
        raise ValueError("upload unfinished")
    out = tempfile.TemporaryFile()  # noqa: SIM115 -- handed to the caller, open
    for _offset, name in upload.chunks:
        with default_storage.open(name, "rb") as part:
            for chunk in iter(lambda: part.read(1024 * 1024), b""):
                out.write(chunk)
    out.seek(0)
    return out


def upload_delete(*, upload: TusUpload) -> None:
    """Remove an upload and its chunks (termination, expiry). Safe to run twice."""
    for _offset, name in upload.chunks:
        default_storage.delete(name)
    TusUpload.objects.filter(pk=upload.pk).delete()


def tus_sweep(*, now=None) -> int:
    """Remove expired uploads with their chunks; return how many (beat)."""
    expired = list(TusUpload.objects.filter(expires_at__lte=now or timezone.now()))
    for upload in expired:
        upload_delete(upload=upload)
    return len(expired)


def finished_files(*, user, ids) -> tuple[list, list[TusUpload]]:
    """The person's finished uploads named by `ids` as uploaded files for the upload pipeline, and their rows.

    ValidationFailed when one is unknown, someone else's, expired or unfinished. The caller hands the files to
    a service (which checks type, pixels and size as for any upload) and then `used(rows)`.
    """
    from django.core.files.uploadedfile import UploadedFile

    from lms.errors import ValidationFailed

    ids = list(dict.fromkeys(ids))
    rows = {row.pk: row for row in TusUpload.objects.filter(user=user, pk__in=ids, expires_at__gt=timezone.now())}
    if any(pk not in rows or rows[pk].offset != rows[pk].length for pk in ids):
        message = _("An upload named here does not exist or is not finished.")
        raise ValidationFailed(message, code="upload_unfinished", fields={"uploads": [message]})
    files = [
        UploadedFile(
            open_upload(rows[pk]),
            name=rows[pk].metadata.get("filename") or "upload",
            content_type=rows[pk].metadata.get("filetype") or "application/octet-stream",
            size=rows[pk].length,
        )
        for pk in ids
    ]
    return files, [rows[pk] for pk in ids]


def used(rows: list[TusUpload]) -> None:
    """Uploads whose content a record now holds: removed once the record's transaction commits."""
    transaction.on_commit(lambda: [upload_delete(upload=row) for row in rows])
