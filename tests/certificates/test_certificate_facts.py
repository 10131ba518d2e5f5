"""Two facts about a certificate, each with one home (a QuerySet method and the model's property twin):
publicly verifiable (issued or revoked, never waiting or failed) and downloadable by its holder (issued,
with its file: never once revoked). Pages, API and verification read only these."""

import pytest
from django.utils import timezone

from certificates import services
from certificates.models import Certificate, CertificateStatus, RevocationReason
from tests.certificates.test_views import issued

pytestmark = pytest.mark.django_db


def urls(certificate):
    return [
        f"/certificates/{certificate.pk}/download/",
        f"/api/v1/certificates/{certificate.pk}/download/",
        f"/certificates/{certificate.pk}/credential.json",
    ]


def test_a_revoked_certificate_is_no_longer_its_holders_to_download(client, certified_world):
    w = certified_world
    certificate = issued(w, w.done)
    client.force_login(w.done.trainee)
    assert [client.get(url).status_code for url in urls(certificate)] == [200, 200, 200]
    assert 'data-testid="download-own"' in client.get("/certificates/").content.decode()

    services.certificate_revoke(certificate=certificate, reason=RevocationReason.ERROR, actor=w.staff)
    assert [client.get(url).status_code for url in urls(certificate)] == [404, 404, 404]
    assert 'data-testid="download-own"' not in client.get("/certificates/").content.decode()
    assert client.get(f"/api/v1/certificates/{certificate.pk}/").status_code == 200  # still its to see

    client.force_login(w.staff)  # its district's staff keep the revoked file for the record
    assert client.get(urls(certificate)[0]).status_code == 200
    client.force_login(w.other_staff)
    assert client.get(urls(certificate)[0]).status_code == 404


def test_a_certificate_that_failed_or_waits_is_not_publicly_verifiable(client, certified_world):
    w = certified_world
    certificate = issued(w, w.done)
    for status, public in [
        (CertificateStatus.ISSUED, True),
        (CertificateStatus.FAILED, False),
        (CertificateStatus.PENDING, False),
    ]:
        Certificate.objects.filter(pk=certificate.pk).update(status=status)
        assert (client.get(f"/verify/{certificate.code}/").status_code == 200) is public, status


def test_each_fact_agrees_with_its_queryset_twin(certified_world):
    w = certified_world
    certificate = issued(w, w.done)
    for status in CertificateStatus:
        Certificate.objects.filter(pk=certificate.pk).update(
            status=status, revoked_at=timezone.now() if status == CertificateStatus.REVOKED else None
        )
        for pdf in (certificate.pdf.name, ""):
            Certificate.objects.filter(pk=certificate.pk).update(pdf=pdf)
            row = Certificate.objects.get(pk=certificate.pk)
            assert row.is_downloadable == Certificate.objects.downloadable().filter(pk=row.pk).exists(), (status, pdf)
            public = Certificate.objects.publicly_verifiable().filter(pk=row.pk).exists()
            assert row.is_publicly_verifiable == public, status
    assert {s for s in CertificateStatus if Certificate(status=s).is_publicly_verifiable} == {
        CertificateStatus.ISSUED,
        CertificateStatus.REVOKED,
    }
