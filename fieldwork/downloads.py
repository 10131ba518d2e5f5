"""Serving private files: streamed from storage, inline only for photos, never as HTML or SVG."""

from urllib.parse import quote

from django.http import FileResponse

from lms.storage import open_stream

SAFE_INLINE_TYPES = {"image/jpeg", "image/png", "image/webp"}


def serve_stored(stored, *, variant: str = "") -> FileResponse:
    """Stream a stored file or one of its previews; anything but a JPEG/PNG/WebP photo is an attachment."""
    if variant == "thumb" and stored.thumbnail_name:
        name, content_type, inline = stored.thumbnail_name, "image/jpeg", True
    elif variant == "display" and stored.display_name:
        name, content_type, inline = stored.display_name, "image/jpeg", True
    else:
        name, content_type = stored.storage_name, stored.content_type
        inline = variant == "inline" and content_type in SAFE_INLINE_TYPES
    response = FileResponse(open_stream(name), content_type=content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(stored.name)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=300"
    return response
