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


@shared_task(name="notifications.create_deliveries", acks_late=True, reject_on_worker_lost=True)
def create_deliveries(notification_ids: list[int]) -> int:
    """Make and queue the deliveries of a large fan-out's notifications (idempotent)."""
    return services.deliveries_create(notification_ids=notification_ids)


@shared_task(name="notifications.queue_many")
def queue_many(delivery_ids: list[int]) -> None:
    """Queue the send task of each of many deliveries (fanned out here rather than in the request)."""
    services.queue_deliveries(delivery_ids, fan_out=False)


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


@shared_task(name="notifications.digest_hand_ins")
def digest_hand_ins() -> int:
    """Tell instructors of the last hour's hand-ins, one notice per cohort (hourly by beat): fieldwork/reminders.py."""
    from lms.registry import provided

    return provided("digest_hand_ins")()
