"""Fault script: two worker "hosts" with nothing shared but the database, Redis and an S3 bucket.

Each worker gets its own empty local folder, so a certificate can only be served if it reached the
bucket. One worker is SIGKILLed mid-batch; the other and the sweep finish. Every certificate ends
issued exactly once, its file in the bucket reads back with its checksum, and the web's ZIP holds all.
"""

import hashlib
import io
import time
import zipfile
from datetime import timedelta

import pytest

from certificates import services
from certificates.models import Certificate, CertificateStatus
from tests.certificates.workers import Worker, all_issued, wait_for
from tests.faults.test_worker_killed import SIZE, cohort_of_eligible_trainees

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_worker_hosts_sharing_only_a_bucket_issue_every_certificate_once(
    client, render_queue, s3_storage, tmp_path
):
    cohort, staff = cohort_of_eligible_trainees()
    hosts = []
    for name in ("host-a", "host-b"):
        (tmp_path / name).mkdir()
        hosts.append(Worker(render_queue, str(tmp_path / name), extra_env=s3_storage.env(s3_storage.bucket)))
    try:
        for worker in hosts:
            worker.wait_ready()
        started = time.monotonic()
        batch = services.certificate_issue_batch(cohort=cohort, actor=staff)
        ids = list(batch.certificates.values_list("pk", flat=True))
        wait_for(
            lambda: Certificate.objects.filter(pk__in=ids, status=CertificateStatus.ISSUED).count() >= 2,
            timeout=120,
            workers=hosts,
        )
        hosts[0].kill()
        killed_at = time.monotonic()
        time.sleep(1)
        services.certificates_sweep(older_than=timedelta(0))  # what beat does within 90 s
        wait_for(lambda: all_issued(ids), timeout=180, workers=hosts[1:])
        finished = time.monotonic()
    finally:
        for worker in hosts:
            worker.stop()
    took, after_kill = finished - started, finished - killed_at
    print(f"\n{SIZE} certificates, two S3 hosts, one killed: {took:.1f} s in all, {after_kill:.1f} s after the kill")
    certificates = list(Certificate.objects.filter(pk__in=ids).order_by("serial_number"))
    assert len({c.enrolment_id for c in certificates}) == SIZE
    pdfs = [key for key in s3_storage.keys(s3_storage.bucket) if key.endswith(".pdf")]  # pictures may sit beside
    assert pdfs == sorted(c.pdf.name for c in certificates)  # one object each
    assert not [p for p in tmp_path.rglob("*.pdf")]  # nothing landed on a host's own disk
    for certificate in certificates:
        body = s3_storage.client().get_object(Bucket=s3_storage.bucket, Key=certificate.pdf.name)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == certificate.sha256
    client.force_login(staff)
    response = client.get(f"/cohorts/{cohort.pk}/certificates.zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert sorted(archive.namelist()) == sorted(f"{c.serial}-{c.trainee_name}.pdf" for c in certificates)
        assert archive.testzip() is None
