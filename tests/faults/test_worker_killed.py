"""Fault script (CI runs it with the suite): SIGKILL a Celery worker in the middle of a batch.

Every certificate must still end issued, exactly once, with a valid PDF whose SHA-256 matches.
"""

import hashlib
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest

from certificates import services
from certificates.models import Certificate, CertificateStatus, CompletionRule
from tests.certificates.factories import complete_all_lessons
from tests.certificates.workers import Worker, all_issued, wait_for
from tests.courses.factories import EnrolmentFactory, LessonFactory, ModuleFactory
from tests.lms.factories import DistrictStaffFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

SIZE = 16


def cohort_of_eligible_trainees():
    module = ModuleFactory()
    cohort = module.cohort
    LessonFactory(module=module)
    CompletionRule.objects.create(cohort=cohort, min_lesson_percent=100)
    staff = DistrictStaffFactory(district=cohort.district).user
    for n in range(SIZE):
        complete_all_lessons(EnrolmentFactory(cohort=cohort, trainee=UserFactory(full_name=f"学员{n}号")))
    return cohort, staff


def assert_each_issued_once_with_a_valid_pdf(ids, media_root):
    certificates = list(Certificate.objects.filter(pk__in=ids))
    assert all(c.status == CertificateStatus.ISSUED for c in certificates)
    files = sorted(p for p in Path(media_root, "certificates").rglob("*.pdf") if p.is_file())
    assert sorted(Path(media_root, c.pdf.name) for c in certificates) == files  # one file each, no strays
    for certificate in certificates:
        data = Path(media_root, certificate.pdf.name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == certificate.sha256
        info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout
        assert b"Pages:           1" in info
    assert Certificate.objects.filter(cohort_id=certificates[0].cohort_id).count() == SIZE


def test_whole_worker_killed_mid_batch_then_another_worker_and_the_sweep_finish_it(render_queue, media_root):
    cohort, staff = cohort_of_eligible_trainees()
    first = Worker(render_queue, media_root)
    first.wait_ready()
    batch = services.certificate_issue_batch(cohort=cohort, actor=staff)
    ids = list(batch.certificates.values_list("pk", flat=True))
    wait_for(
        lambda: Certificate.objects.filter(pk__in=ids, status=CertificateStatus.ISSUED).count() >= 2,
        timeout=90,
        workers=[first],
    )
    first.kill()
    first.stop()
    done_at_kill = Certificate.objects.filter(pk__in=ids, status=CertificateStatus.ISSUED).count()
    assert done_at_kill < SIZE, "the batch finished before the kill; make it bigger"

    second = Worker(render_queue, media_root)
    try:
        second.wait_ready()
        # The message the dead worker had reserved comes back only after the visibility timeout;
        # the periodic sweep re-queues what is still pending (renders are idempotent).
        time.sleep(1)
        services.certificates_sweep(older_than=timedelta(0))
        wait_for(lambda: all_issued(ids), timeout=120, workers=[second])
    finally:
        second.stop()
    assert_each_issued_once_with_a_valid_pdf(ids, media_root)


def test_pool_process_killed_mid_render_is_requeued_by_the_worker(render_queue, media_root):
    cohort, staff = cohort_of_eligible_trainees()
    worker = Worker(render_queue, media_root)
    try:
        worker.wait_ready()
        batch = services.certificate_issue_batch(cohort=cohort, actor=staff)
        ids = list(batch.certificates.values_list("pk", flat=True))
        wait_for(
            lambda: Certificate.objects.filter(pk__in=ids, status=CertificateStatus.ISSUED).count() >= 1,
            workers=[worker],
        )
        children = worker.children()
        assert children
        subprocess.run(["kill", "-9", *map(str, children)], check=True)
        # No sweep: acks_late + reject_on_worker_lost put the task back in the queue.
        wait_for(lambda: all_issued(ids), timeout=120, workers=[worker])
    finally:
        worker.stop()
    assert "WorkerLostError" in worker.log_path.read_text() or "exited prematurely" in worker.log_path.read_text()
    assert_each_issued_once_with_a_valid_pdf(ids, media_root)
