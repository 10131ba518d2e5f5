from datetime import datetime, timedelta
from unittest import mock

import pytest

from tests.courses.factories import SHANGHAI, SessionFactory

SESSION_START = datetime(2022, 4, 9, 9, 0, tzinfo=SHANGHAI)


class Clock:
    """The one thing tests mock: what `timezone.now()` answers."""

    def __init__(self, now: datetime):
        self.now = now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock():
    clock = Clock(SESSION_START - timedelta(minutes=5))
    with mock.patch("django.utils.timezone.now", side_effect=lambda: clock.now):
        yield clock


@pytest.fixture
def session(world):
    """A lecture of the world's cohort on 2022-04-09 09:00–11:00, led by the cohort's instructor."""
    session = SessionFactory(lesson=world.basics_lessons[0], starts_at=SESSION_START)
    session.instructors.add(world.instructor)
    return session


@pytest.fixture
def other_session(world):
    """A session of the other cohort at the same time."""
    return SessionFactory(lesson=world.other_lesson, starts_at=SESSION_START)


@pytest.fixture(autouse=True)
def fresh_cache_keys(settings):
    """Counters in the shared Redis (failed check-ins) start at zero in every test: a key prefix of its own."""
    import copy
    import uuid

    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"{caches['default'].get('KEY_PREFIX', '')}-{uuid.uuid4().hex[:8]}"
    settings.CACHES = caches


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2 at full strength costs ~0.4 s a user here; the matrix builds thousands. Hashing is not under test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
