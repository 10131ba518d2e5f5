"""Recovery within minutes, visible: sweep defaults, the batch page's state, "retry all failed"."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from certificates import services
from certificates.models import Certificate, CertificateStatus
from lms.models import AuditEntry
from lms.workers import broker_client, heartbeat_clear, heartbeat_write, queue_lengths, workers_seen
from tests.certificates.test_tasks import BrokerDown
from tests.certificates.workers import all_issued, wait_for

pytestmark = pytest.mark.django_db


def english(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})


def pending_batch(world, *, age_seconds: float = 0):
    with BrokerDown():  # nothing reaches the queue: as if the message was lost
        batch = services.certificate_issue_batch(cohort=world.cohort, actor=world.staff)
    if age_seconds:
        earlier = timezone.now() - timedelta(seconds=age_seconds)
        Certificate.objects.filter(batch=batch).update(queued_at=earlier, updated_at=earlier)
        type(batch).objects.filter(pk=batch.pk).update(created_at=earlier)
        batch.refresh_from_db()
    return batch


@pytest.fixture
def heartbeat(render_queue):
    """A worker's heartbeat for this test's queue, written the way a worker writes it."""
    hostname = f"test@{render_queue}"
    heartbeat_write(hostname=hostname, queues=[render_queue])
    yield hostname
    heartbeat_clear(hostname=hostname)


def test_lost_work_is_requeued_within_two_minutes_by_default():
    assert django_settings.CERTIFICATES_SWEEP_AFTER_SECONDS + django_settings.CERTIFICATES_SWEEP_EVERY_SECONDS <= 120
    schedule = django_settings.CELERY_BEAT_SCHEDULE["certificates-sweep-pending"]["schedule"]
    assert schedule == django_settings.CERTIFICATES_SWEEP_EVERY_SECONDS


def test_sweep_with_defaults_requeues_a_certificate_left_pending_for_ninety_seconds(certified_world, render_queue):
    batch = pending_batch(certified_world, age_seconds=90)
    assert queue_lengths([render_queue]) == {render_queue: 0}
    call_command("certificates_sweep")
    assert queue_lengths([render_queue]) == {render_queue: 2}
    assert services.certificates_sweep() == 0  # just re-queued: not stale any more
    assert batch.certificates.filter(status=CertificateStatus.PENDING).count() == 2


def test_sweep_sends_nothing_twice_while_the_queue_still_holds_every_pending_certificate(certified_world, render_queue):
    batch = pending_batch(certified_world, age_seconds=90)
    services.queue_render(list(batch.certificates.values_list("pk", flat=True)))
    assert services.certificates_sweep() == 0
    assert queue_lengths([render_queue]) == {render_queue: 2}


def test_issuing_while_the_broker_is_unreachable_says_no_worker_reachable(client, certified_world, render_queue):
    w = certified_world
    english(client, w.staff)
    with BrokerDown():
        response = client.post(f"/cohorts/{w.cohort.pk}/certificates/issue/", {"scope": "all"})
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
    assert 'data-state="no_worker"' in page and "Queued; no worker reachable yet" in page
    assert Certificate.objects.filter(status=CertificateStatus.PENDING).count() == 2


def test_batch_page_says_waiting_for_a_worker_when_nothing_moved_for_a_minute(
    client, certified_world, render_queue, heartbeat
):
    w = certified_world
    fresh = pending_batch(w)
    english(client, w.staff)
    progress = client.get(f"/certificates/batches/{fresh.pk}/progress/").json()
    assert progress["state"] == "rendering"
    Certificate.objects.filter(batch=fresh).update(updated_at=timezone.now() - timedelta(seconds=61))
    type(fresh).objects.filter(pk=fresh.pk).update(created_at=timezone.now() - timedelta(seconds=61))
    page = client.get(f"/certificates/batches/{fresh.pk}/").content.decode()
    assert 'data-state="stalled"' in page and "Waiting for a worker" in page
    assert client.get(f"/certificates/batches/{fresh.pk}/progress/").json()["state"] == "stalled"


def test_a_stale_heartbeat_counts_as_no_worker(certified_world, render_queue):
    hostname = f"old@{render_queue}"
    broker_client().set(
        f"lms:worker-heartbeat:{hostname}",
        f'{{"hostname": "{hostname}", "queues": ["{render_queue}"], "pid": 1, "seen": 0}}',
        ex=30,
    )
    try:
        assert all(beat["hostname"] != hostname for beat in workers_seen(within=60))
    finally:
        heartbeat_clear(hostname=hostname)


def test_retry_all_failed_requeues_every_failed_certificate_of_the_batch(
    client, certified_world, render_queue, django_capture_on_commit_callbacks
):
    w = certified_world
    batch = pending_batch(w)
    ids = sorted(batch.certificates.values_list("pk", flat=True))
    for pk in ids:
        services.certificate_mark_failed(certificate_id=pk, error="RenderError: boom")
    english(client, w.other_staff)
    assert client.post(f"/certificates/batches/{batch.pk}/retry-failed/").status_code == 404
    assert batch.certificates.filter(status=CertificateStatus.FAILED).count() == 2
    english(client, w.staff)
    page = client.get(f"/certificates/batches/{batch.pk}/").content.decode()
    assert 'data-testid="retry-all-failed"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/certificates/batches/{batch.pk}/retry-failed/", follow=True)
    assert "2 failed certificates are queued again" in response.content.decode()
    assert (
        sorted(batch.certificates.filter(status=CertificateStatus.PENDING, error="").values_list("pk", flat=True))
        == ids
    )
    assert queue_lengths([render_queue]) == {render_queue: 2}
    assert AuditEntry.objects.filter(verb="certificates.retried").count() == 1
    again = client.post(f"/certificates/batches/{batch.pk}/retry-failed/")
    assert again.status_code == 409 and "No certificate of this issuance has failed" in again.content.decode()
    assert AuditEntry.objects.filter(verb="certificates.retried").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_running_worker_beats_and_renders_what_was_queued_while_none_was_there(
    client, certified_world, render_queue, media_root
):
    from tests.certificates.workers import Worker

    w = certified_world
    batch = pending_batch(w, age_seconds=90)
    ids = list(batch.certificates.values_list("pk", flat=True))
    worker = Worker(render_queue, media_root)
    try:
        worker.wait_ready()
        wait_for(lambda: any(render_queue in b["queues"] for b in workers_seen() or []), timeout=20, workers=[worker])
        assert services.certificates_sweep() == 2
        wait_for(lambda: all_issued(ids), timeout=90, workers=[worker])
    finally:
        worker.stop()
    english(client, w.staff)
    assert 'data-state="done"' in client.get(f"/certificates/batches/{batch.pk}/").content.decode()
