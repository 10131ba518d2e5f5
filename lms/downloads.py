"""Serving private files: streamed from storage, inline only for photos, never as HTML or SVG.

A thumbnail or display copy asked for while a worker is still making it (`preview_state` pending)
answers with a temporary redirect to a static placeholder picture (never cached, `Retry-After`):
an <img> shows the placeholder rather than a broken image, and a client polling the URL gets the
real copy as soon as it exists. Pages themselves only point at copies that are ready and poll the
status view (`preview_status`) for the rest.
"""

from urllib.parse import quote

from django.http import FileResponse, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static

from lms.audit_events import audit_personal_data_read
from lms.models import PreviewState
from lms.storage import open_stream

PREVIEW_VARIANTS = {"thumb", "display"}

SAFE_INLINE_TYPES = {"image/jpeg", "image/png", "image/webp"}


def serve_stored(stored, *, variant: str = "", audit_request=None) -> FileResponse:
    """Stream a stored file or one of its previews; anything but a JPEG/PNG/WebP photo is an attachment.

    With `audit_request`, handing out the original is an audited read of personal data (previews are not)."""
    if variant in PREVIEW_VARIANTS and stored.preview_state == PreviewState.PENDING:
        return preview_pending()
    if audit_request is not None and variant not in PREVIEW_VARIANTS:
        audit_personal_data_read(request=audit_request, verb="download.file", target=stored)
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


def preview_pending() -> HttpResponseRedirect:
    """The placeholder for a copy a worker has not made yet: a redirect that is never cached."""
    response = HttpResponseRedirect(static("img/preview-pending.svg"))
    response["Cache-Control"] = "no-store"
    response["Retry-After"] = "2"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def preview_status(row, *, thumbnail_url: str, display_url: str) -> JsonResponse:
    """Where a picture's previews stand, for the page script that fills them in; URLs only once they exist."""
    ready = row.preview_state == PreviewState.READY
    response = JsonResponse(
        {
            "state": row.preview_state,
            "thumbnail_url": thumbnail_url if ready else None,
            "display_url": display_url if ready else None,
        }
    )
    response["Cache-Control"] = "no-store"
    return response
