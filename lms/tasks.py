"""Celery tasks of the floor: previews of stored pictures, whichever app holds them (the task names keep
their old `fieldwork.` prefix, so messages queued before a deploy still run), and password-reset mail.
Thin wrappers around one service each, taking ids, safe to run twice."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.utils import translation

from lms import idempotency, previews, tus
from lms.celery import app  # noqa: F401 -- binds the shared tasks below to the project's app
from lms.memory import memory_limit

logger = logging.getLogger(__name__)

# Storage and database hiccups; a picture that cannot be decoded is not among them (marked failed at once).
TRANSIENT = (OperationalError, InterfaceError, DatabaseError, OSError)
MAX_RETRIES = 3


@shared_task(
    bind=True,
    acks_late=True,  # derivation is idempotent, so a redelivery after a crash is harmless
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    name="fieldwork.derive_previews",
    # Wall-clock limits: a decode that runs this long is stopped and the picture marked failed.
    soft_time_limit=settings.PREVIEWS_TASK_SECONDS,
    time_limit=settings.PREVIEWS_TASK_SECONDS + 15,
)
def derive_previews(self, label: str, pk: int) -> str:
    """Make the thumbnail and display copies of one stored picture; retry storage errors, then mark it failed.

    Runs under a memory ceiling (PREVIEWS_TASK_MEMORY_BYTES above what the pool process holds) and a time
    limit: a picture over either fails alone, the process and the queue it shares go on.
    """
    if label not in previews.KINDS:
        logger.error("Unknown preview kind %r", label)
        return "skipped"
    try:
        with memory_limit(extra=settings.PREVIEWS_TASK_MEMORY_BYTES):
            return previews.preview_derive(label=label, pk=pk)
    except (MemoryError, SoftTimeLimitExceeded) as error:
        logger.warning("Previews of %s %s stopped (%s): marked failed", label, pk, type(error).__name__)
        return previews.preview_mark_failed(label=label, pk=pk)
    except TRANSIENT as error:
        if self.request.retries >= self.max_retries:
            logger.warning("Previews of %s %s failed after retries: %s", label, pk, error)
            return previews.preview_mark_failed(label=label, pk=pk)
        raise self.retry(exc=error, countdown=2 * 4**self.request.retries) from error


@shared_task(name="fieldwork.sweep_previews")
def sweep_previews() -> int:
    """Re-queue pictures whose previews were left pending too long (run by Celery beat)."""
    return previews.previews_sweep()


@shared_task(name="lms.idempotency_sweep")
def idempotency_sweep() -> int:
    """Remove idempotency keys past their keeping time (beat, hourly)."""
    return idempotency.idempotency_sweep()


@shared_task(name="lms.tus_sweep")
def tus_sweep() -> int:
    """Remove expired resumable uploads and their chunks (beat)."""
    return tus.tus_sweep()


@shared_task(name="lms.password_reset_send", ignore_result=True)
def password_reset_send(*, email: str, domain: str, use_https: bool, language: str) -> None:
    """Mail a reset link to the active accounts with this e-mail, if any (none: nothing happens)."""
    from lms.forms import ResetForm

    form = ResetForm({"email": email})
    if not form.is_valid():
        return
    with translation.override(language):
        form.save(domain_override=domain, use_https=use_https)


@shared_task(name="lms.audit_verify")
def audit_verify_task() -> bool:
    """Beat runs this daily; the operators' page shows the result. Safe to run twice."""
    from lms.services.audit_integrity import audit_verify

    return audit_verify().ok
