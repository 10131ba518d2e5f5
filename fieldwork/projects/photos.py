"""Private photo storage for field projects, on the upload pipeline of `lms.uploads`.

The same length guard and per-file limit (pages and API), the same type sniffing and pixel cap.
Files go to Django's default storage, which is a private folder with no MEDIA_URL: they are
served only by permission-checked views.
"""

import hashlib
import re
import tempfile
import unicodedata
import uuid
from dataclasses import dataclass

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from lms import uploads
from lms.errors import ValidationFailed

MAX_PHOTO_BYTES = 15 * 1024 * 1024
MAX_PIXELS = uploads.MAX_PIXELS
MAX_PHOTOS = 10
# Every photo of one request at its largest, so the guard never refuses what the service accepts.
MAX_REQUEST_BYTES = MAX_PHOTOS * MAX_PHOTO_BYTES

PHOTO_TYPES = {uploads.JPEG: "jpg", uploads.PNG: "png", uploads.WEBP: "webp"}


@dataclass(frozen=True)
class StoredPhoto:
    path: str
    content_type: str
    size: int
    sha256: str
    original_name: str


def safe_name(name: str) -> str:
    """A display name without paths, control characters or markup; at most 100 characters."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "", name).strip(" .")
    return name[:100] or "photo"


def _refuse(message):
    raise ValidationFailed(message, code="bad_photo", fields={"photo": [str(message)]})


def store_photo(uploaded_file, *, folder: str) -> StoredPhoto:
    """Stream an upload to private storage, checking its type by magic bytes and its header.

    A HEIC/HEIF is stored as its upright JPEG without EXIF (`uploads.heic_as_jpeg`), under the same cap.
    Refuses (ValidationFailed, code "bad_photo") anything not a JPEG, PNG, WebP or HEIC with a readable
    header, over the pixel cap or larger than MAX_PHOTO_BYTES; stores nothing in that case. Nothing
    is decoded here: the two derived sizes are made by a worker after commit (`lms.previews`).
    """
    from PIL import Image, UnidentifiedImageError  # loaded on first use, as in uploads.py

    if isinstance(uploaded_file, uploads.RefusedUpload):  # the streaming limit dropped it
        _refuse(_("The photo is larger than %(mb)d MB.") % {"mb": MAX_PHOTO_BYTES // (1024 * 1024)})
    digest = hashlib.sha256()
    size = 0
    head = b""
    with tempfile.TemporaryFile() as spool:
        for chunk in uploaded_file.chunks():
            if len(head) < 16:
                head += chunk[: 16 - len(head)]
            size += len(chunk)
            if size > MAX_PHOTO_BYTES:
                _refuse(_("The photo is larger than %(mb)d MB.") % {"mb": MAX_PHOTO_BYTES // (1024 * 1024)})
            digest.update(chunk)
            spool.write(chunk)
        detected = uploads.sniff(head, spool)
        name = safe_name(getattr(uploaded_file, "name", ""))
        if detected is uploads.HEIC:
            # An iPhone photo: kept as the upright JPEG it decodes to, without EXIF (no GPS position).
            try:
                converted = uploads.heic_as_jpeg(spool, name=name)
            except uploads.FileRefused as error:
                _refuse(error.message)
            spool.close()
            spool, detected, name = converted, uploads.JPEG, uploads.jpeg_name(name)
            digest, size = hashlib.sha256(), 0
            for chunk in iter(lambda: spool.read(1024 * 1024), b""):
                digest.update(chunk)
                size += len(chunk)
        if detected not in PHOTO_TYPES:
            _refuse(_("Only JPEG, PNG, WebP or HEIC photos can be uploaded."))
        content_type, extension = detected.content_type, PHOTO_TYPES[detected]
        try:
            dimensions = uploads.refuse_too_many_pixels(spool, name=name)
        except uploads.FileRefused as error:
            _refuse(error.message)
        if dimensions is None:
            _refuse(_("The photo could not be read as an image."))
        spool.seek(0)
        try:
            # Header and structure only (chunk checksums for PNG); decoding waits for the worker.
            with Image.open(spool) as probe:
                probe.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            _refuse(_("The photo could not be read as an image."))
        spool.seek(0)
        try:
            cleaned = uploads.without_identifying_metadata(spool, detected=detected, name=name)
        except uploads.FileRefused as error:
            _refuse(error.message)
        stored, sha256 = (cleaned[0], cleaned[2]) if cleaned else (File(spool), digest.hexdigest())
        size = cleaned[1] if cleaned else size
        path = default_storage.save(f"{folder.strip('/')}/{uuid.uuid4().hex}.{extension}", stored)
    return StoredPhoto(
        path=path,
        content_type=content_type,
        size=size,
        sha256=sha256,
        original_name=name,
    )


def delete_stored(stored: StoredPhoto) -> None:
    """Remove the file of a photo whose record was not kept (e.g. the transaction rolled back)."""
    default_storage.delete(stored.path)
