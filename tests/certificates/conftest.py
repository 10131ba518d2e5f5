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
