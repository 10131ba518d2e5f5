"""/healthz, /readyz and the operator page."""

import copy

import pytest
from django.conf import settings as django_settings

from certificates import services as certificate_services
from lms.workers import heartbeat_clear, heartbeat_write
from tests.certificates.conftest import certified_world, render_queue  # noqa: F401
from tests.lms.factories import UserFactory
from tests.s3 import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker_beating():
    hostname = "health-test@host"
    heartbeat_write(hostname=hostname, queues=[django_settings.CERTIFICATES_QUEUE])
    yield hostname
    heartbeat_clear(hostname=hostname)


def no_secrets(body: str):
    for secret in ("redis://", "postgres", "127.0.0.1", "password", django_settings.SECRET_KEY):
        assert secret not in body


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_is_200_when_database_redis_storage_and_a_worker_answer(client, worker_beating):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == dict.fromkeys(
        ("database", "redis", "storage", "workers"), True
    )
    no_secrets(response.content.decode())


def test_readyz_is_503_naming_redis_when_the_cache_is_down(client, settings, worker_beating):
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    settings.CACHES = caches
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["redis"]["ok"] is False and checks["database"]["ok"] is True
    assert "hunter2" not in response.content.decode()
    no_secrets(response.content.decode())


def test_readyz_is_503_when_no_worker_can_be_seen(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["workers"] == {"ok": False, "error": "broker", "ms": pytest.approx(0, abs=5000)}


def test_readyz_is_503_when_the_bucket_is_gone(client, s3_storage, worker_beating):
    assert client.get("/readyz").status_code == 200
    s3_storage.client().delete_bucket(Bucket=s3_storage.bucket)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["storage"]["ok"] is False
    assert s3_storage.bucket not in response.content.decode()


def test_operator_page_is_for_superusers_only(client, certified_world, worker_beating, render_queue):  # noqa: F811
    w = certified_world
    batch = certificate_services.certificate_issue_batch(cohort=w.cohort, actor=w.staff)
    first, second = batch.certificates.order_by("pk")
    certificate_services.certificate_mark_failed(certificate_id=first.pk, error="OverflowError: cannot convert")
    certificate_services.certificate_mark_failed(certificate_id=second.pk, error="OverflowError: again")
    for user in (w.staff, w.trainee):
        client.force_login(user)
        assert client.get("/operations/").status_code == 404
    client.logout()
    assert client.get("/operations/").status_code == 404
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    page = client.get("/operations/").content.decode()
    assert 'data-testid="worker"' in page and worker_beating in page
    assert 'data-testid="failure-cause"><td>OverflowError</td><td>2</td>' in page
    assert render_queue in page
