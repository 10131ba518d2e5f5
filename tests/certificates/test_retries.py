"""A render that keeps failing is retried with backoff, then marked failed with its error; staff retry it."""

import pytest

from certificates import services
from certificates.models import Certificate, CertificateStatus
from tests.certificates.workers import Worker, all_issued, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_transient_failure_is_retried_then_failed_with_error_then_retried_by_staff(
    certified_world, render_queue, media_root, tmp_path
):
    w = certified_world
    broken_root = tmp_path / "not-a-folder"
    broken_root.write_text("storage is a file here, so every save fails with an OSError")
    broken = Worker(
        render_queue,
        media_root,
        extra_env={"DJANGO_PRIVATE_ROOT": str(broken_root), "CERTIFICATES_RETRY_BASE_SECONDS": "0.05"},
    )
    try:
        broken.wait_ready()
        batch = services.certificate_issue_batch(cohort=w.cohort, actor=w.staff, enrolment_ids=[w.done.pk])
        certificate = batch.certificates.get()
        wait_for(
            lambda: Certificate.objects.filter(pk=certificate.pk, status=CertificateStatus.FAILED).exists(), timeout=120
        )
    finally:
        broken.stop()
    certificate.refresh_from_db()
    assert "Error" in certificate.error and certificate.attempts == 5
    assert broken.log_path.read_text().count("Retry in") == 4

    good = Worker(render_queue, media_root)
    try:
        good.wait_ready()
        services.certificate_retry(certificate=certificate, actor=w.staff)
        wait_for(lambda: all_issued([certificate.pk]), timeout=60)
    finally:
        good.stop()
    certificate.refresh_from_db()
    assert certificate.error == "" and certificate.sha256
