"""The render path through a real Celery worker, Redis and WeasyPrint, on the test database."""

import base64
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, connections
from django.utils import timezone

from certificates import services
from certificates.models import Certificate, CertificateStatus
from certificates.tasks import render_certificate
from lms.celery import app
from tests.certificates.factories import complete_all_lessons
from tests.certificates.workers import all_issued, wait_for
from tests.courses.factories import EnrolmentFactory
from tests.lms.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_issued_batch_is_rendered_by_the_worker_with_text_and_checksum(certified_world, celery_worker, media_root):
    w = certified_world
    batch = services.certificate_issue_batch(cohort=w.cohort, actor=w.staff)
    ids = list(batch.certificates.values_list("pk", flat=True))
    wait_for(lambda: all_issued(ids), timeout=90)
    certificate = Certificate.objects.get(enrolment=w.done)
    path = Path(media_root) / certificate.pdf.name
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "刘䶮" in text and certificate.serial in text and certificate.code in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Certificate-Serif" in fonts and " yes yes yes " in fonts  # embedded, subset, with unicode map


def test_the_same_task_delivered_twice_gives_one_file_and_one_certificate(certified_world, celery_worker, media_root):
    w = certified_world
    certificate = services.certificate_issue_batch(cohort=w.cohort, actor=w.staff, enrolment_ids=[w.done.pk])
    certificate = certificate.certificates.get()
    for _ in range(2):  # on_commit already sent one; two more deliveries of the same message
        render_certificate.apply_async(args=[certificate.pk], queue=celery_worker_queue(celery_worker))
    wait_for(lambda: all_issued([certificate.pk]))
    # Wait for the three deliveries (the on_commit one and two more) to have run, not for a while.
    wait_for(lambda: celery_worker.tasks("succeeded") >= 3, workers=[celery_worker])
    certificate.refresh_from_db()
    assert certificate.attempts == 1
    # Beside the PDF a worker may already have put its picture for the trainee's page (SERIAL-ID.png).
    files = [f for f in (Path(media_root) / f"certificates/{w.cohort.pk}").iterdir() if f.suffix == ".pdf"]
    assert [f.name for f in files] == [Path(certificate.pdf.name).name]
    assert Certificate.objects.filter(enrolment=w.done).count() == 1


def celery_worker_queue(worker) -> str:
    from django.conf import settings

    return settings.CERTIFICATES_QUEUE


class BrokerDown:
    """Point the Celery app at a closed port, as if Redis were down, then restore it."""

    def __enter__(self):
        self.url = app.conf.broker_url
        app.conf.broker_url = "redis://127.0.0.1:1/0"
        self._reset()

    def __exit__(self, *exc):
        app.conf.broker_url = self.url
        self._reset()

    @staticmethod
    def _reset():
        app._pool = None
        app.amqp._producer_pool = None
        if "connection_for_write" in app.__dict__:
            del app.__dict__["connection_for_write"]


def test_redis_down_when_staff_press_issue_leaves_pending_rows_that_the_sweep_requeues(
    certified_world, render_queue, media_root, caplog
):
    w = certified_world
    with BrokerDown():
        batch = services.certificate_issue_batch(cohort=w.cohort, actor=w.staff)
    assert "the sweep will re-queue it" in caplog.text
    ids = list(batch.certificates.values_list("pk", flat=True))
    assert len(ids) == 2
    assert Certificate.objects.filter(pk__in=ids, status=CertificateStatus.PENDING).count() == 2
    from tests.certificates.workers import Worker

    worker = Worker(render_queue, media_root)
    try:
        worker.wait_ready()
        worker.drain(render_queue)
        assert worker.tasks("received") == 1  # the probe alone: nothing was queued while Redis was down
        assert Certificate.objects.filter(pk__in=ids, status=CertificateStatus.PENDING).count() == 2
        # Nothing was queued: the rows wait until the sweep finds them old enough.
        assert services.certificates_sweep(older_than=timedelta(hours=1)) == 0
        Certificate.objects.filter(pk__in=ids).update(queued_at=timezone.now() - timedelta(hours=2))
        assert services.certificates_sweep(older_than=timedelta(hours=1)) == 2
        wait_for(lambda: all_issued(ids), timeout=90)
    finally:
        worker.stop()


def test_two_staff_issuing_at_once_give_no_duplicate_and_no_gap(certified_world, media_root):
    w = certified_world
    for n in range(8):
        complete_all_lessons(
            EnrolmentFactory(cohort=w.cohort, community=w.community, trainee=UserFactory(full_name=f"并发{n}"))
        )
    barrier = threading.Barrier(2)
    outcomes = []

    def press_issue():
        try:
            barrier.wait()
            services.certificate_issue_batch(cohort=w.cohort, actor=w.staff)
            outcomes.append("issued")
        except Exception as error:  # the second press finds nobody left
            outcomes.append(getattr(error, "code", repr(error)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press_issue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["issued", "nobody_eligible"]
    numbers = sorted(Certificate.objects.filter(cohort=w.cohort).values_list("serial_number", flat=True))
    assert numbers == list(range(1, 11))
    assert Certificate.objects.values("enrolment").distinct().count() == 10
    assert connection.vendor == "postgresql"


def test_two_staff_picking_different_trainees_at_once_share_one_gapless_sequence(certified_world, media_root):
    w = certified_world
    extra = []
    for n in range(6):
        enrolment = EnrolmentFactory(cohort=w.cohort, community=w.community, trainee=UserFactory(full_name=f"并发{n}"))
        complete_all_lessons(enrolment)
        extra.append(enrolment.pk)
    picks = [[w.done.pk, *extra[:3]], [w.enrolment.pk, *extra[3:]]]
    barrier = threading.Barrier(2)
    errors = []

    def press_issue(picked):
        try:
            barrier.wait()
            services.certificate_issue_batch(cohort=w.cohort, actor=w.staff, enrolment_ids=picked)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press_issue, args=(p,)) for p in picks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(Certificate.objects.filter(cohort=w.cohort).values_list("serial_number", flat=True))
    assert numbers == list(range(1, 9))


def test_issuing_more_than_the_request_sends_queues_one_task_that_a_worker_fans_out(
    client, certified_world, render_queue, settings
):
    """Issue 14: 500 sends (~0.5 ms each) kept the staff member's request waiting; past the limit, one task."""
    import json

    from certificates.tasks import queue_renders
    from lms.workers import broker_client, queue_lengths

    settings.CERTIFICATES_SENT_IN_REQUEST = 1
    w = certified_world
    client.force_login(w.staff)
    assert client.post(f"/cohorts/{w.cohort.pk}/certificates/issue/", {"scope": "all"}).status_code == 302
    ids = sorted(Certificate.objects.filter(cohort=w.cohort).values_list("pk", flat=True))
    assert len(ids) == 2 and queue_lengths([render_queue]) == {render_queue: 1}
    message = json.loads(broker_client().lindex(render_queue, 0))
    assert message["headers"]["task"] == "certificates.queue_renders"
    assert sorted(json.loads(base64.b64decode(message["body"]))[0][0]) == ids
    assert queue_renders.apply(args=[ids]).get() == 2  # what the worker runs: one render task per certificate
    assert queue_lengths([render_queue]) == {render_queue: 3}


def test_a_fanned_out_cohort_is_rendered_by_a_real_worker(client, certified_world, celery_worker, settings):
    settings.CERTIFICATES_SENT_IN_REQUEST = 1
    w = certified_world
    client.force_login(w.staff)
    assert client.post(f"/cohorts/{w.cohort.pk}/certificates/issue/", {"scope": "all"}).status_code == 302
    ids = list(Certificate.objects.filter(cohort=w.cohort).values_list("pk", flat=True))
    wait_for(lambda: all_issued(ids), timeout=90, workers=[celery_worker])
    assert "certificates.queue_renders[" in celery_worker.log_path.read_text()


def test_redis_down_when_a_large_cohort_is_issued_leaves_pending_rows_and_says_why(
    client, certified_world, render_queue, settings, caplog
):
    from lms.workers import queue_lengths

    settings.CERTIFICATES_SENT_IN_REQUEST = 1
    w = certified_world
    client.force_login(w.staff)
    with BrokerDown():
        assert client.post(f"/cohorts/{w.cohort.pk}/certificates/issue/", {"scope": "all"}).status_code == 302
    assert "Could not queue 2 renders; the sweep will re-queue them." in caplog.text
    assert Certificate.objects.filter(cohort=w.cohort, status=CertificateStatus.PENDING).count() == 2
    assert queue_lengths([render_queue]) == {render_queue: 0}
