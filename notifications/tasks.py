"""Celery tasks: thin wrappers around services, taking ids, safe to run twice."""

from celery import shared_task

from lms.celery import app  # noqa: F401 -- binds the shared tasks below to the project's app
from notifications import services


@shared_task(
    bind=True,
    acks_late=True,  # sending is guarded by the row's status, so a redelivery after a crash sends at most once more
    reject_on_worker_lost=True,
    max_retries=None,  # the delivery row counts attempts and marks itself failed
    name="notifications.send_delivery",
)
def send_delivery(self, delivery_id: int) -> None:
    """Send one delivery; on failure retry with backoff until the row is marked failed."""
    outcome = services.delivery_send(delivery_id=delivery_id)
    if outcome is not None and outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)


@shared_task(name="notifications.sweep_pending")
def sweep_pending() -> int:
    """Re-queue deliveries left pending too long (run by Celery beat)."""
    return services.deliveries_sweep()


@shared_task(name="notifications.remind_sessions_tomorrow")
def remind_sessions_tomorrow() -> int:
    """Tell trainees about tomorrow's sessions (run by Celery beat; idempotent)."""
    return services.remind_sessions_tomorrow()


@shared_task(name="notifications.remind_assignments_due")
def remind_assignments_due() -> int:
    """Tell trainees about work due within 48 hours (run by Celery beat; idempotent): fieldwork/reminders.py."""
    from lms.registry import provided

    return provided("remind_assignments_due")()
