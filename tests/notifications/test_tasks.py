"""The send path through a real Celery worker and Redis, on the test database."""

import os
import uuid
from pathlib import Path

import pytest

from fieldwork import services as fieldwork_services
from notifications.models import Delivery, DeliveryStatus
from tests.certificates.workers import Worker, purge_queue, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def notify_queue(settings):
    queue = f"notifications-test-{os.environ.get('CACHE_KEY_PREFIX', 'lms')}-{uuid.uuid4().hex[:8]}"
    settings.NOTIFICATIONS_QUEUE = queue
    yield queue
    purge_queue(queue)


def test_worker_sends_the_email_after_commit(field, notify_queue, media_root):
    outbox = os.path.join(media_root, "mail")
    worker = Worker(
        notify_queue,
        media_root,
        extra_env={
            "NOTIFICATIONS_QUEUE": notify_queue,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": outbox,
        },
    )
    try:
        worker.wait_ready()
        world = field.world
        world.trainee.email = "hegang01@example.org"
        world.trainee.save(update_fields=["email"])
        submission = field.submitted()
        fieldwork_services.submission_return(submission=submission, feedback="请补充。", actor=world.instructor)
        wait_for(
            lambda: Delivery.objects.filter(channel="email", status=DeliveryStatus.SENT).exists(),
            timeout=60,
            workers=[worker],
        )
        [sent] = os.listdir(outbox)
        text = Path(outbox, sent).read_text(encoding="utf-8")
        assert "hegang01@example.org" in text
    finally:
        worker.stop()
