"""A district without a usable key is told at once; a host that cannot read the keys takes no renders; a PDF
that does not verify against the published key is never marked issued."""

import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from certificates import services, signing
from certificates.models import Certificate, CertificateStatus, IssuanceBatch, SigningKey
from lms.models import AuditEntry
from tests.certificates.factories import unpublished_key
from tests.certificates.workers import Worker, wait_for

OTHER_HOST_KEK = "b3RoZXItaG9zdC1rZXktZW5jcnlwdGlvbi1rZXktMzI="


def nothing_written():
    return (IssuanceBatch.objects.count(), Certificate.objects.count(), AuditEntry.objects.count())


@pytest.fixture
def keyless(certified_world):
    """The world's districts have no key at all (not even the deployment's)."""
    SigningKey.objects.all().delete()
    return certified_world


@pytest.mark.django_db
def test_issuing_without_a_key_is_refused_at_once_on_the_page_the_api_and_the_command(keyless, client, settings):
    w = keyless
    code = w.district.code.lower()
    before = nothing_written()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(w.staff)
    cohort_page = client.get(f"/cohorts/{w.cohort.pk}/certificates/").content.decode()
    assert 'data-testid="key-missing"' in cohort_page and f"District {code} has no signing key yet" in cohort_page
    page = client.post(f"/cohorts/{w.cohort.pk}/certificates/issue/", {"scope": "all"})
    assert page.status_code == 409
    assert f"certificates_keygen --district {code}" in page.content.decode()
    api = APIClient()
    api.force_authenticate(w.staff)
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    answer = api.post("/api/v1/certificate-batches/", {"cohort": w.cohort.pk}, format="json")
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "no_signing_key"
    assert "The operator makes it once" in answer.json()["error"]["message"]
    with pytest.raises(CommandError, match=r"no_signing_key: .*has no signing key yet"):
        call_command("issue_certificates", "--cohort", str(w.cohort.pk), "--as", w.staff.username, stdout=io.StringIO())
    assert nothing_written() == before


@pytest.mark.django_db
def test_the_district_page_shows_the_key_state_and_fingerprint_or_what_is_missing(keyless, client):
    w = keyless
    client.force_login(w.staff)
    url = f"/districts/{w.district.pk}/certificate/"
    assert 'data-testid="key-missing"' in client.get(url).content.decode()
    key = signing.generate_district_key(district_code=w.district.code, issuer_name="佛山市南海区民政局")
    page = client.get(url).content.decode()
    assert 'data-state="active"' in page and key.public.fingerprint in page and key.public.kid in page
    assert 'data-testid="key-missing"' not in page


@pytest.mark.django_db
def test_a_pdf_that_does_not_verify_against_the_published_key_is_never_issued(certified_world, monkeypatch):
    w = certified_world
    services.certificate_issue_batch(cohort=w.cohort, actor=w.staff, enrolment_ids=[w.done.pk])
    certificate = Certificate.objects.get(enrolment=w.done)
    stranger = unpublished_key()  # e.g. a host that made a key of its own
    real_sign = signing.sign_pdf
    monkeypatch.setattr(signing, "sign_pdf", lambda pdf, key, **kw: real_sign(pdf, stranger, **kw))
    with pytest.raises(services.SignatureNotVerified, match="does not verify against the published key"):
        services.certificate_render(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    assert (certificate.status, certificate.pdf.name, certificate.sha256) == (CertificateStatus.PENDING, "", "")


def queue_length(queue: str) -> int:
    import redis
    from django.conf import settings

    return redis.Redis.from_url(settings.CELERY_BROKER_URL).llen(queue)


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_cannot_read_the_keys_does_not_start_and_leaves_the_queue_alone(
    certified_world, render_queue, media_root
):
    w = certified_world
    services.certificate_issue_batch(cohort=w.cohort, actor=w.staff, enrolment_ids=[w.done.pk])
    wait_for(lambda: queue_length(render_queue) == 1, timeout=10)
    worker = Worker(render_queue, media_root, extra_env={"LMS_KEY_ENCRYPTION_KEY": OTHER_HOST_KEK})
    try:
        worker.process.wait(timeout=90)
    finally:
        worker.stop()
    log = worker.log_path.read_text()
    assert worker.process.returncode != 0
    assert "does not open the signing key" in log and "it does not start" in log
    assert queue_length(render_queue) == 1  # the message waits for a host that can sign
    assert Certificate.objects.get(enrolment=w.done).status == CertificateStatus.PENDING
    good = Worker(render_queue, media_root)
    try:
        good.wait_ready()
        wait_for(
            lambda: Certificate.objects.filter(enrolment=w.done, status=CertificateStatus.ISSUED).exists(),
            timeout=90,
            workers=[good],
        )
    finally:
        good.stop()
