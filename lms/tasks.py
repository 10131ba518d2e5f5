"""Celery tasks of the floor: thin wrappers, safe to run twice."""

from celery import shared_task

from lms import idempotency
from lms.celery import app  # noqa: F401 -- binds the shared tasks below to the project's app


@shared_task(name="lms.idempotency_sweep")
def idempotency_sweep() -> int:
    """Remove idempotency keys past their keeping time (beat, hourly)."""
    return idempotency.idempotency_sweep()
