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


def test_readyz_is_200_when_database_redis_and_storage_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok" and body["failing"] == [] and body["degraded"] == []
    assert {name: check["ok"] for name, check in body["checks"].items()} == dict.fromkeys(
        ("database", "redis", "storage"), True
    )  # worker heartbeats are the operators' concern, not the balancer's
    no_secrets(response.content.decode())


def test_readyz_stays_200_naming_redis_when_the_cache_is_down(client, settings, caplog):
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    settings.CACHES = caches
    response = client.get("/readyz")
    assert response.status_code == 200  # pages still serve: counters go per process
    body = response.json()
    assert body["status"] == "degraded" and body["degraded"] == ["redis"] and body["failing"] == []
    assert body["checks"]["redis"]["ok"] is False and body["checks"]["database"]["ok"] is True
    assert "hunter2" not in response.content.decode()
    no_secrets(response.content.decode())
    assert any("readyz: degraded: redis (" in record.getMessage() for record in caplog.records)


def test_readyz_is_503_naming_the_database_when_it_does_not_answer(client, monkeypatch, caplog):
    from django.db import OperationalError

    from lms import health

    def database_gone():
        raise OperationalError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", database_gone)  # the outage, as the driver reports it
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail" and body["failing"] == ["database"]
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError", "ms": pytest.approx(0, abs=5000)}
    assert any("readyz: fail: database (OperationalError)" in record.getMessage() for record in caplog.records)
    assert client.get("/healthz").status_code == 200  # the process itself answers: no restart


def test_readyz_stays_200_when_the_bucket_is_gone(client, s3_storage):
    assert client.get("/readyz").status_code == 200
    s3_storage.client().delete_bucket(Bucket=s3_storage.bucket)
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json()["degraded"] == ["storage"]
    assert response.json()["checks"]["storage"]["ok"] is False
    assert s3_storage.bucket not in response.content.decode()


def test_the_operator_status_names_missing_workers_for_superusers_only(client, settings, caplog):
    assert client.get("/operations/status/").status_code == 404
    client.force_login(UserFactory())
    assert client.get("/operations/status/").status_code == 404
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = client.get("/operations/status/")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["workers"] and body["checks"]["workers"]["error"] == "broker"
    assert any("failing: workers (broker)" in record.getMessage() for record in caplog.records)


def test_the_operator_status_is_200_with_a_worker_beating(client, worker_beating):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.get("/operations/status/")
    assert response.status_code == 200 and response.json()["status"] == "ok"


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
