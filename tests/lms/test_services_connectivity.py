"""The test suite talks to the real PostgreSQL and Redis, as CI promises."""

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from lms.celery import app


@pytest.mark.django_db
def test_database_is_postgresql():
    assert connection.vendor == "postgresql"


def test_cache_round_trips_through_redis():
    cache.set("connectivity", "河岗", 10)
    assert cache.get("connectivity") == "河岗"
    raw = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    assert raw.keys(f"*{cache.make_key('connectivity')}")


def test_celery_broker_answers():
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1)
        assert conn.connected
