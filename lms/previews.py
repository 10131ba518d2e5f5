"""Thumbnail and display copies of stored pictures, made by a worker after the upload has committed.

The request keeps only the cheap checks (type by content, pixel cap from the header, header verified),
stores the original and records the row as `pending`; `queue_after_commit` sends one task per row once
the transaction commits. `preview_derive` (the task's one service) decodes the original, writes the two
copies under names derived from the original's, and marks the row `ready` — or `failed` when the
picture cannot be decoded. It is idempotent: a row that is no longer pending is left alone. A message
lost with a worker or Redis is made good by `previews_sweep` (Celery beat), on the certificates' pattern.

One home for the four kinds of rows that carry previews: submission files, feedback files, lesson
attachments and project photos.
"""

import io
import logging
import tempfile
from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from lms.models import PreviewState
from lms.uploads import decode_cost, picture_too_costly

logger = logging.getLogger(__name__)

THUMBNAIL_SIZE = (320, 320)
SWEEP_BATCH = 1000


@dataclass(frozen=True)
class PreviewKind:
    label: str  # app_label.ModelName, carried by the task
    original: str  # field holding the original's storage name
    thumbnail: str
    display: str
    display_size: tuple[int, int]

    @property
    def model(self):
        return apps.get_model(self.label)


KINDS = {
    kind.label: kind
    for kind in (
        PreviewKind("fieldwork.SubmissionFile", "storage_name", "thumbnail_name", "display_name", (1600, 1600)),
        PreviewKind("fieldwork.FeedbackFile", "storage_name", "thumbnail_name", "display_name", (1600, 1600)),
        PreviewKind("courses.LessonAttachment", "storage_name", "thumbnail_name", "display_name", (1600, 1600)),
        PreviewKind("projects.ProjectPhoto", "path", "thumbnail_path", "display_path", (1280, 1280)),
    )
}


class PictureUnreadable(Exception):
    """The original is stored but cannot be decoded: its previews are marked failed, never retried."""


def kind_of(row) -> PreviewKind:
    return KINDS[row._meta.label]


def queue_after_commit(rows) -> None:
    """Once the current transaction commits, ask a worker for the previews of every pending row."""
    items = [(kind_of(row).label, row.pk) for row in rows if row.preview_state == PreviewState.PENDING]
    if items:
        transaction.on_commit(lambda: queue_previews(items))


def queue_previews(items: list[tuple[str, int]]) -> int:
    """Send one derive task per (label, pk); a broker outage is logged, not raised (the sweep re-queues)."""
    from lms.tasks import derive_previews

    sent = 0
    for label, pk in items:
        try:
            derive_previews.apply_async(
                args=[label, pk],
                queue=settings.PREVIEWS_QUEUE,
                retry=True,
                retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2},
            )
            sent += 1
        except Exception:
            logger.exception("Could not queue the previews of %s %s; the sweep will.", label, pk)
    return sent


def derived_names(original: str) -> tuple[str, str]:
    """Fixed names beside the original, so a second run overwrites rather than adds files."""
    stem = original.rsplit(".", 1)[0]
    return f"{stem}.thumb.jpg", f"{stem}.display.jpg"


def jpeg_copy(image, size: tuple[int, int]) -> bytes:
    """A JPEG of `image` fitted inside `size`: the small copies that lists load on a phone."""
    copy = image.copy()
    copy.thumbnail(size)
    if copy.mode not in ("RGB", "L"):
        copy = copy.convert("RGB")
    buffer = io.BytesIO()
    copy.save(buffer, "JPEG", quality=82, optimize=True)
    return buffer.getvalue()


def render_copies(source, *, display_size: tuple[int, int]) -> tuple[bytes, bytes]:
    """(thumbnail, display) JPEGs of a picture, upright by its EXIF orientation; PictureUnreadable if undecodable."""
    from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

    from lms.uploads import register_heif

    register_heif()  # an iPhone photo stored before HEIC was converted at ingest

    # WeasyPrint (imported by every worker for certificates) turns on LOAD_TRUNCATED_IMAGES for the whole
    # process, which would pad a photo cut off half-way with grey and call it ready. Strict while we decode;
    # safe in the prefork pool, where a process runs one task at a time.
    lenient, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with Image.open(source) as image:
            # A square box, so the EXIF rotation applied afterwards never needs more pixels than were kept.
            box = (max(display_size), max(display_size))
            image.draft("RGB", box)  # JPEG: decode at a reduced scale, not the full photo
            cost = decode_cost(image)
            if cost > settings.LMS_PICTURE_DECODE_BUDGET:
                raise PictureUnreadable(str(picture_too_costly("", cost).message))
            # First frame only; reduced in place, so one full-size copy exists at most, while decoding.
            image.thumbnail(box)
            image = ImageOps.exif_transpose(image)
            return jpeg_copy(image, THUMBNAIL_SIZE), jpeg_copy(image, display_size)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise PictureUnreadable(str(error)) from error
    except MemoryError as error:  # over the task's memory limit (previews_memory_limit)
        raise PictureUnreadable("memory limit") from error
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def preview_derive(*, label: str, pk: int) -> str:
    """Make and record the previews of one pending row. Idempotent; runs in a worker after commit.

    Returns what happened: "ready", "failed" or "skipped" (no such row, or no longer pending).
    Storage errors propagate (the task retries them); a picture that cannot be decoded is marked failed.
    """
    kind = KINDS[label]
    model = kind.model
    original = model.objects.filter(pk=pk, preview_state=PreviewState.PENDING).values_list(kind.original, flat=True)
    original = original.first()
    if original is None:
        return "skipped"
    with tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024) as spool:
        with default_storage.open(original, "rb") as stored:
            for chunk in iter(lambda: stored.read(1024 * 1024), b""):
                spool.write(chunk)
        spool.seek(0)
        try:
            thumbnail, display = render_copies(spool, display_size=kind.display_size)
        except PictureUnreadable as error:
            logger.warning("No previews for %s %s: %s", label, pk, error)
            return preview_mark_failed(label=label, pk=pk)
    thumbnail_name, display_name = derived_names(original)
    for name, data in ((thumbnail_name, thumbnail), (display_name, display)):
        default_storage.delete(name)  # a run cut short may have left one; the name must stay fixed
        saved = default_storage.save(name, ContentFile(data))
        assert saved == name, (saved, name)
    with transaction.atomic():
        row = model.objects.select_for_update().filter(pk=pk).first()
        if row is None:  # deleted while we worked: its deletion knew of no previews to remove
            transaction.on_commit(lambda: _delete(thumbnail_name, display_name))
            return "skipped"
        if row.preview_state != PreviewState.PENDING:
            return "skipped"  # another run finished first, with the same names
        setattr(row, kind.thumbnail, thumbnail_name)
        setattr(row, kind.display, display_name)
        row.preview_state = PreviewState.READY
        row.save(update_fields=[kind.thumbnail, kind.display, "preview_state", "updated_at"])
    return "ready"


def preview_mark_failed(*, label: str, pk: int) -> str:
    """Record that no previews can be made for this row; pages then show the file without them."""
    updated = (
        KINDS[label]
        .model.objects.filter(pk=pk, preview_state=PreviewState.PENDING)
        .update(preview_state=PreviewState.FAILED, updated_at=timezone.now())
    )
    return "failed" if updated else "skipped"


def _delete(*names: str) -> None:
    for name in names:
        default_storage.delete(name)


def previews_sweep(*, older_than: timedelta | None = None) -> int:
    """Re-queue rows left pending longer than `older_than` (a lost message, a dead worker). Safe any time."""
    from lms.workers import sweep_stale

    if older_than is None:
        older_than = timedelta(seconds=settings.PREVIEWS_SWEEP_AFTER_SECONDS)
    swept = 0
    for kind in KINDS.values():
        swept += sweep_stale(
            kind.model.objects.filter(preview_state=PreviewState.PENDING),
            stamp_field="updated_at",
            older_than=older_than,
            queue=settings.PREVIEWS_QUEUE,
            send=lambda pks, label=kind.label: queue_previews([(label, pk) for pk in pks]),
        )
    return swept


def previews_derive_pending(*, limit: int | None = None) -> int:
    """Derive every pending row in this process (demo data, a worker-less machine); how many were made."""
    made = 0
    for kind in KINDS.values():
        pks = kind.model.objects.filter(preview_state=PreviewState.PENDING).order_by("pk").values_list("pk", flat=True)
        for pk in list(pks[:limit] if limit else pks):
            made += preview_derive(label=kind.label, pk=pk) == "ready"
    return made
