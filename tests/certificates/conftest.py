import os
import uuid

import pytest

from certificates.models import CompletionRule
from tests.certificates.factories import complete_all_lessons
from tests.certificates.workers import Worker, purge_queue
from tests.courses.factories import EnrolmentFactory
from tests.lms.factories import UserFactory


@pytest.fixture
def certified_world(world, media_root):
    """The shared world plus a completion rule (every lesson) and two more trainees, one done, one not."""
    CompletionRule.objects.create(cohort=world.cohort, min_lesson_percent=100)
    complete_all_lessons(world.enrolment)
    world.done = EnrolmentFactory(cohort=world.cohort, community=world.community, trainee=UserFactory(full_name="刘䶮"))
    complete_all_lessons(world.done)
    world.lagging = EnrolmentFactory(
        cohort=world.cohort, community=world.community, trainee=UserFactory(full_name="陈落后")
    )
    return world


@pytest.fixture
def render_queue(settings):
    """A queue name of this test's own, so parallel runs and other branches never share tasks."""
    queue = f"certificates-test-{os.environ.get('CACHE_KEY_PREFIX', 'lms')}-{uuid.uuid4().hex[:8]}"
    settings.CERTIFICATES_QUEUE = queue
    yield queue
    purge_queue(queue)


@pytest.fixture
def celery_worker(transactional_db, render_queue, media_root):
    worker = Worker(render_queue, media_root)
    worker.wait_ready()
    yield worker
    worker.stop()


@pytest.fixture
def signed_certificate(certified_world):
    """刘䶮's certificate, issued and rendered in this process: signed, with its credential embedded."""
    from certificates import services
    from certificates.models import Certificate

    w = certified_world
    w.done.trainee.mobile = "13800138000"
    w.done.trainee.save(update_fields=["mobile"])
    services.certificate_issue_batch(cohort=w.cohort, actor=w.staff, enrolment_ids=[w.done.pk])
    certificate = Certificate.objects.get(enrolment=w.done)
    services.certificate_render(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    return certificate


def certificate_bytes(certificate) -> bytes:
    from django.core.files.storage import default_storage

    with default_storage.open(certificate.pdf.name, "rb") as handle:
        return handle.read()
