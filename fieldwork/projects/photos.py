"""Private photo storage for field projects, on the upload pipeline of `fieldwork.uploads`.

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

from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from fieldwork import uploads
from lms.errors import ValidationFailed

MAX_PHOTO_BYTES = 15 * 1024 * 1024
MAX_PIXELS = uploads.MAX_PIXELS
MAX_PHOTOS = 10
# Every photo of one request at its largest, so the guard never refuses what the service accepts.
MAX_REQUEST_BYTES = MAX_PHOTOS * MAX_PHOTO_BYTES
THUMBNAIL_SIZE = uploads.THUMBNAIL_SIZE
DISPLAY_SIZE = (1280, 1280)

PHOTO_TYPES = {uploads.JPEG: "jpg", uploads.PNG: "png", uploads.WEBP: "webp"}


@dataclass(frozen=True)
class StoredPhoto:
    path: str
    thumbnail_path: str
    display_path: str
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
    """Stream an upload to private storage, checking its type by magic bytes; derive two sizes.

    Refuses (ValidationFailed, code "bad_photo") anything not a readable JPEG, PNG or WebP or
    larger than MAX_PHOTO_BYTES; stores nothing in that case.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError  # loaded on first use, as in uploads.py

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
        if detected not in PHOTO_TYPES:
            _refuse(_("Only JPEG, PNG or WebP photos can be uploaded."))
        content_type, extension = detected.content_type, PHOTO_TYPES[detected]
        try:
            uploads.refuse_too_many_pixels(spool, name=safe_name(getattr(uploaded_file, "name", "")))
        except uploads.FileRefused as error:
            _refuse(error.message)
        spool.seek(0)
        try:
            with Image.open(spool) as probe:
                probe.verify()
            spool.seek(0)
            with Image.open(spool) as image:
                image.load()
                image = ImageOps.exif_transpose(image)
                thumbnail, display = uploads.jpeg_copy(image, THUMBNAIL_SIZE), uploads.jpeg_copy(image, DISPLAY_SIZE)
        except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
            _refuse(_("The photo could not be read as an image."))
        stem = f"{folder.strip('/')}/{uuid.uuid4().hex}"
        spool.seek(0)
        path = default_storage.save(f"{stem}.{extension}", File(spool))
    thumbnail_path = default_storage.save(f"{stem}.thumb.jpg", ContentFile(thumbnail))
    display_path = default_storage.save(f"{stem}.display.jpg", ContentFile(display))
    return StoredPhoto(
        path=path,
        thumbnail_path=thumbnail_path,
        display_path=display_path,
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
        original_name=safe_name(getattr(uploaded_file, "name", "")),
    )


def delete_stored(stored: StoredPhoto) -> None:
    """Remove the files of a photo whose record was not kept (e.g. the transaction rolled back)."""
    for path in (stored.path, stored.thumbnail_path, stored.display_path):
        default_storage.delete(path)
