"""Uploaded files: limits while streaming, type by content, safe names, private storage with SHA-256.

The one upload pipeline for assignment files, feedback files and project photos alike:
1. `upload_view` (pages) and `UploadLimitsMixin` (API) refuse a body whose declared length cannot
   fit (413) before anything reads it, CSRF check included, and put `PerFileLimitHandler` first;
2. Django streams the body to a temporary file (or memory for small files) in 64 KB chunks, and
   the handler stops keeping a file once it passes the limit; more than
   DATA_UPLOAD_MAX_NUMBER_FILES files is refused with a message (lms.middleware);
3. `check_upload` / the photo store read each file chunk by chunk: name, size, type by content,
   and for pictures the pixel count (`refuse_too_many_pixels`) before anything decodes them;
4. only the original is stored: its thumbnail and display copies are made by a worker after
   commit (`lms.previews`), so a hand-in of phone photos answers without decoding any.
   The exception is an iPhone's HEIC/HEIF (`heic_as_jpeg`): checked against the pixel cap by its header,
   then decoded once and stored as an upright JPEG without EXIF, so its GPS position is never kept and
   it gets previews like any JPEG.
Nothing here holds a whole file in memory.
"""

import hashlib
import io
import os
import tempfile
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from rest_framework import status

from lms.bodies import MULTIPART_MARGIN
from lms.errors import ApplicationError, ValidationFailed
from lms.middleware import refuse_nul_bytes
from lms.models import PreviewState

HEAD_BYTES = 8192
MAX_NAME_LENGTH = 120
# A picture's decoded size is width × height × 3 bytes or more: a 17 KB PNG of 12000×12000 pixels
# decodes to ~1.4 GB. Refused by its header, before anything decodes it.
MAX_PIXELS = 60_000_000


class FileTooLarge(ApplicationError):
    code = "file_too_large"
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE


class RequestTooLarge(FileTooLarge):
    code = "request_too_large"


class FileRefused(ValidationFailed):
    code = "file_refused"


@dataclass(frozen=True)
class Detected:
    kind: str  # FileKind value
    content_type: str
    extensions: frozenset[str]


JPEG = Detected("image", "image/jpeg", frozenset({"jpg", "jpeg"}))
PNG = Detected("image", "image/png", frozenset({"png"}))
WEBP = Detected("image", "image/webp", frozenset({"webp"}))
HEIC = Detected("image", "image/heic", frozenset({"heic", "heif"}))
PDF = Detected("pdf", "application/pdf", frozenset({"pdf"}))
DOCX = Detected(
    "document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", frozenset({"docx"})
)
XLSX = Detected("document", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", frozenset({"xlsx"}))
PPTX = Detected(
    "document", "application/vnd.openxmlformats-officedocument.presentationml.presentation", frozenset({"pptx"})
)
HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis"}
# Markup a browser would run if it were ever served inline.
MARKUP_SIGNS = (b"<!doctype", b"<html", b"<script", b"<svg", b"<?xml", b"<body", b"<iframe", b"<head")


# --- streaming limit


class RefusedUpload(UploadedFile):
    """Stands in for a file the handler stopped keeping; carries the reason to the service."""

    def __init__(self, *, name: str, error: ApplicationError):
        super().__init__(file=io.BytesIO(b""), name=name, content_type="application/octet-stream", size=0)
        self.error = error


class PerFileLimitHandler(FileUploadHandler):
    """Stop keeping a file once it passes `max_file_size`: the rest of it is read and dropped.

    Raising StopUpload here answers with a 500 under gunicorn, so the handler drops the data and
    hands the view a RefusedUpload, which the service turns into a 413 with a clear message.
    """

    def __init__(self, request=None, *, max_file_size: int):
        super().__init__(request)
        self.max_file_size = max_file_size

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0
        self.refused = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.max_file_size:
            self.refused = True
            return None  # later handlers (the temporary file) get nothing more
        return raw_data

    def file_complete(self, file_size):
        if self.refused:
            return RefusedUpload(name=self.file_name or "", error=file_too_large(self.file_name, self.max_file_size))
        return None


def file_too_large(name, limit: int) -> FileTooLarge:
    return FileTooLarge(
        _("“%(name)s” is larger than the %(limit)s allowed per file.")
        % {"name": name or "?", "limit": filesizeformat(limit)}
    )


def install_upload_limits(request, *, max_file_size: int) -> None:
    """Put the per-file limit first in the request's upload handlers (before the body is read)."""
    request.upload_handlers.insert(0, PerFileLimitHandler(request, max_file_size=max_file_size))


def guard_content_length(request, *, max_body: int) -> None:
    """Refuse a request whose declared length cannot fit the limit, before reading its body."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > max_body + MULTIPART_MARGIN:
        raise RequestTooLarge(
            _("The upload is too large: at most %(limit)s can be sent at once.") % {"limit": filesizeformat(max_body)}
        )


def upload_view(*, max_body: int, max_file_size: int):
    """Decorate a page that takes files: the length guard and per-file limit come before any read.

    The CSRF check reads the body, so it runs after the guard (inside), never before it.
    """

    def decorator(view):
        protected = csrf_protect(view)

        @csrf_exempt
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if request.method == "POST":
                guard_content_length(request, max_body=max_body)
                install_upload_limits(request, max_file_size=max_file_size)
                refuse_nul_bytes(request)  # the middleware left this body unread for the guard
            return protected(request, *args, **kwargs)

        guarded.max_request_body = max_body + MULTIPART_MARGIN  # read by lms.bodies before any middleware
        return guarded

    return decorator


class UploadLimitsMixin:
    """API viewsets whose `upload_actions` take files: the same guard, before authentication reads the body."""

    upload_actions: frozenset[str] = frozenset({"create"})
    upload_max_body: int = 0
    upload_max_file_size: int = 0  # lms.bodies reads upload_max_body and upload_actions before any middleware

    def initial(self, request, *args, **kwargs):
        if request.method == "POST" and getattr(self, "action", None) in self.upload_actions:
            guard_content_length(request, max_body=self.upload_max_body)
            install_upload_limits(request, max_file_size=self.upload_max_file_size)
        super().initial(request, *args, **kwargs)


# --- names and types


def clean_file_name(raw: str) -> str:
    """A safe display name; refuses path traversal, separators and control characters."""
    name = unicodedata.normalize("NFC", raw or "").strip()
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in name):
        raise FileRefused(
            _("The file name contains control characters. Rename the file and try again."), code="bad_file_name"
        )
    if "/" in name or "\\" in name or name in {".", ".."} or ".." in name.split("."):
        raise FileRefused(
            _("The file name must not contain a folder path. Rename the file and try again."), code="bad_file_name"
        )
    if ".." in name:
        raise FileRefused(
            _("The file name must not contain “..”. Rename the file and try again."), code="bad_file_name"
        )
    for ch in '<>:"|?*':
        name = name.replace(ch, "_")
    name = name.lstrip(". ")
    if not name:
        raise FileRefused(_("The file has no name."), code="bad_file_name")
    stem, ext = os.path.splitext(name)
    if len(name) > MAX_NAME_LENGTH:
        name = stem[: MAX_NAME_LENGTH - len(ext)] + ext
    return name


def extension_of(name: str) -> str:
    return os.path.splitext(name)[1].lower().lstrip(".")


def sniff(head: bytes, file) -> Detected | None:
    """The file's type by its first bytes (and, for ZIP containers, its member names)."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp" and head[8:12] in HEIC_BRANDS:
        return HEIC
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        try:
            file.seek(0)
            with zipfile.ZipFile(file) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        if "[Content_Types].xml" in names:
            for prefix, detected in (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX)):
                if any(n.startswith(prefix) for n in names):
                    return detected
    return None


_heif_registered = False


def register_heif() -> None:
    """Let Pillow open HEIC/HEIF (iPhone photos) through pillow-heif; once per process."""
    global _heif_registered
    if not _heif_registered:
        import pillow_heif

        pillow_heif.register_heif_opener()
        _heif_registered = True


def heic_as_jpeg(file, *, name: str = ""):
    """An iPhone HEIC/HEIF as an upright JPEG without EXIF (no GPS), in a temporary file at position 0.

    The pixel cap is checked on the header before anything is decoded. FileRefused when the picture has
    too many pixels or cannot be decoded.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    register_heif()
    dimensions = refuse_too_many_pixels(file, name=name)
    unreadable = FileRefused(
        _("“%(name)s” could not be read as a picture.") % {"name": name or "?"}, code="bad_picture"
    )
    if dimensions is None:
        raise unreadable
    out = tempfile.TemporaryFile()  # noqa: SIM115 -- handed to the caller, open
    try:
        file.seek(0)
        with Image.open(file) as image:
            upright = ImageOps.exif_transpose(image).convert("RGB")
        upright.save(out, "JPEG", quality=90)  # no exif= argument: nothing of the phone's metadata is kept
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        out.close()
        raise unreadable from None
    out.seek(0)
    return out


def jpeg_name(name: str) -> str:
    stem, _ext = os.path.splitext(name)
    return f"{stem}.jpg"


# Pillow keeps most modes in 4 bytes a pixel (RGB too); these take less.
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2}


def decode_cost(image) -> int:
    """The bytes decoding this opened (not yet loaded) picture's first frame takes, by its header.

    Width × height × Pillow's bytes per pixel, counted at the size a JPEG draft will decode to, and:
    WebP (lossless or animated) twice, since libwebp decodes into its own canvas that Pillow then copies;
    a 16-bit PNG twice, for its 16-bit rows unpacked beside the 8-bit image. Only the first frame of an
    animated picture is ever decoded, so frames after it cost nothing.
    """
    width, height = image.size
    cost = width * height * _BYTES_PER_PIXEL.get(image.mode, 4)
    if image.format == "WEBP" or (
        image.format == "PNG" and ";16" in str(getattr(getattr(image, "png", None), "im_rawmode", ""))
    ):
        cost *= 2
    return cost


def picture_too_costly(name: str, cost: int) -> FileRefused:
    return FileRefused(
        _("“%(name)s” would take %(needed)s of memory to open, more than the %(budget)s allowed for a picture.")
        % {
            "name": name or "?",
            "needed": filesizeformat(cost),
            "budget": filesizeformat(settings.LMS_PICTURE_DECODE_BUDGET),
        },
        code="picture_too_costly",
    )


def refuse_too_many_pixels(file, *, name: str = "") -> tuple[int, int] | None:
    """Refuse a picture whose header declares more than MAX_PIXELS, or whose decoding would cost more
    memory than LMS_PICTURE_DECODE_BUDGET (decode_cost); reads the header only.

    Returns (width, height), or None when the header is not readable as a picture.
    """
    from PIL import Image, UnidentifiedImageError

    register_heif()



    too_many = FileRefused(  # Pillow's own guard: its size is too large to repeat meaningfully
        _("“%(name)s” has too many pixels: at most %(megapixels)d million are accepted.")
        % {"name": name or "?", "megapixels": MAX_PIXELS // 1_000_000},
        code="too_many_pixels",
    )
    file.seek(0)
    try:
        with Image.open(file) as image:  # lazy: the size comes from the header, nothing is decoded
            width, height = image.size
            cost = decode_cost(image)
    except Image.DecompressionBombError:
        raise too_many from None  # Pillow's own guard fired first: certainly too many
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None  # not readable as a picture: it is kept without previews, as before
    finally:
        file.seek(0)
    if width * height > MAX_PIXELS:
        raise FileRefused(
            _("“%(name)s” has too many pixels (%(width)d × %(height)d): at most %(megapixels)d million are accepted.")
            % {"name": name or "?", "width": width, "height": height, "megapixels": MAX_PIXELS // 1_000_000},
            code="too_many_pixels",
        )
    if cost > settings.LMS_PICTURE_DECODE_BUDGET:
        raise picture_too_costly(name, cost)
    return width, height


def refuse_dangerous(head: bytes) -> None:
    if (
        head.startswith(b"MZ")
        or head.startswith(b"\x7fELF")
        or head.startswith(b"#!")
        or head[:4]
        in {
            b"\xca\xfe\xba\xbe",
            b"\xcf\xfa\xed\xfe",
            b"\xce\xfa\xed\xfe",
        }
    ):
        raise FileRefused(_("Programs cannot be uploaded."), code="file_type_mismatch")
    # Text that opens with markup; binary formats are then checked by their magic bytes, and are
    # always served with their own type and nosniff, so markup buried inside them never runs.
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n\x00").lower()
    if text.startswith(b"<") or any(text.startswith(sign) for sign in MARKUP_SIGNS):
        raise FileRefused(
            _("Web pages, SVG drawings and scripts cannot be uploaded, whatever their name."), code="file_type_mismatch"
        )


# --- checking and storing


@dataclass
class CheckedUpload:
    upload: UploadedFile
    name: str
    size: int
    sha256: str
    detected: Detected
    dimensions: tuple[int, int] | None = None  # from the header, for pictures whose header reads


def check_upload(upload: UploadedFile, *, allowed_extensions, max_file_size: int) -> CheckedUpload:
    """Check one uploaded file by name, size and content; reads it once, chunk by chunk."""
    if isinstance(upload, RefusedUpload):
        raise upload.error
    name = clean_file_name(upload.name)
    ext = extension_of(name)
    allowed = {e.lower().lstrip(".") for e in allowed_extensions}
    if ext not in allowed:
        raise FileRefused(
            _("Files of type “%(ext)s” are not accepted here. Allowed: %(allowed)s.")
            % {"ext": ext or "?", "allowed": ", ".join(sorted(allowed))},
            code="file_type_not_allowed",
        )
    digest = hashlib.sha256()
    size = 0
    head = b""
    upload.seek(0)
    for chunk in upload.chunks():
        if len(head) < HEAD_BYTES:
            head += chunk[: HEAD_BYTES - len(head)]
        size += len(chunk)
        if size > max_file_size:
            raise file_too_large(name, max_file_size)
        digest.update(chunk)
    if size == 0:
        raise FileRefused(_("“%(name)s” is empty.") % {"name": name}, code="file_empty")
    refuse_dangerous(head)
    detected = sniff(head, upload)
    if detected is None or ext not in detected.extensions:
        raise FileRefused(
            _("The content of “%(name)s” does not match its name: it is not a real %(ext)s file.")
            % {"name": name, "ext": ext.upper()},
            code="file_type_mismatch",
        )
    dimensions = None
    if detected is HEIC:
        # Stored as the JPEG it decodes to (upright, without EXIF): what is kept is what the row describes.
        converted = heic_as_jpeg(upload, name=name)
        name, detected = jpeg_name(name), JPEG
        digest, size = hashlib.sha256(), 0
        for chunk in iter(lambda: converted.read(1024 * 1024), b""):
            digest.update(chunk)
            size += len(chunk)
        upload = UploadedFile(converted, name=name, content_type=JPEG.content_type, size=size)
    if detected.kind == "image":
        dimensions = refuse_too_many_pixels(upload, name=name)
        if cleaned := without_identifying_metadata(upload, detected=detected, name=name):
            upload, size, sha256 = cleaned
            digest = _Known(sha256)
    upload.seek(0)
    return CheckedUpload(
        upload=upload, name=name, size=size, sha256=digest.hexdigest(), detected=detected, dimensions=dimensions
    )


class _Known:
    def __init__(self, hexdigest: str):
        self._hex = hexdigest

    def hexdigest(self) -> str:
        return self._hex


def without_identifying_metadata(file, *, detected: Detected, name: str):
    """(the cleaned file, its size, its SHA-256) when the picture carried GPS, camera or other metadata;
    None when it carried none. What is stored, hashed and served is the cleaned file (lms.picture_metadata)."""
    from lms.picture_metadata import PictureUnreadable, clean_picture

    try:
        cleaned = clean_picture(file, content_type=detected.content_type)
    except PictureUnreadable:
        raise FileRefused(
            _("“%(name)s” could not be read as a picture, so its location data could not be removed.")
            % {"name": name or "?"},
            code="picture_unreadable",
        ) from None
    if cleaned is None:
        return None
    digest, size = hashlib.sha256(), 0
    while chunk := cleaned.read(64 * 1024):
        digest.update(chunk)
        size += len(chunk)
    cleaned.seek(0)
    return (
        UploadedFile(file=cleaned, name=name, content_type=detected.content_type, size=size),
        size,
        digest.hexdigest(),
    )


@dataclass
class StoredNames:
    storage_name: str
    preview_state: str = PreviewState.NONE
    width: int | None = None
    height: int | None = None


def stored_file_fields(checked: CheckedUpload, stored: StoredNames) -> dict:
    """The fields every StoredFile row takes from a checked and stored upload (submission, feedback files)."""
    return {
        "name": checked.name,
        "storage_name": stored.storage_name,
        "preview_state": stored.preview_state,
        "width": stored.width,
        "height": stored.height,
        "size": checked.size,
        "sha256": checked.sha256,
        "content_type": checked.detected.content_type,
        "kind": checked.detected.kind,
    }


def store_checked(checked: CheckedUpload, *, folder: str) -> StoredNames:
    """Save the original under a random name in the private storage; nothing is decoded here.

    A picture whose header reads is left `pending`: the caller queues its previews after commit
    (`lms.previews.queue_after_commit`). One whose header does not read is kept without previews.
    """
    stamp = timezone.now().strftime("%Y/%m")
    key = uuid.uuid4().hex
    ext = extension_of(checked.name)
    storage_name = default_storage.save(f"{folder}/{stamp}/{key}.{ext}", checked.upload)
    stored = StoredNames(storage_name=storage_name)
    if checked.detected.kind == "image":
        if checked.dimensions is None:
            stored.preview_state = PreviewState.FAILED
        else:
            stored.preview_state = PreviewState.PENDING
            stored.width, stored.height = checked.dimensions
    return stored


def delete_stored(*names: str) -> None:
    for name in names:
        if name:
            default_storage.delete(name)
