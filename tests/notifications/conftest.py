import pytest

from lms.celery import app
from tests.certificates.conftest import certified_world  # noqa: F401 -- shared fixture
from tests.fieldwork.conftest import Field
from tests.projects.conftest import Projects


@pytest.fixture
def field(world):
    return Field(world)


@pytest.fixture
def projects(world):
    return Projects(world)


@pytest.fixture
def eager_tasks(settings):
    """Tasks queued after commit run at once in this process (retries inline), for unit tests of the send path."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 0
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def in_english(english):
    """Notification texts are asserted in English."""
