"""Only issued or revoked certificates are publicly verifiable; pending and failed ones answer "not found"."""

import pytest
from rest_framework.test import APIClient

from certificates import services
from certificates.models import Certificate, CertificateStatus, RevocationReason

pytestmark = pytest.mark.django_db


def certificate_in(world, state) -> Certificate:
    batch = services.certificate_issue_batch(cohort=world.cohort, actor=world.staff, enrolment_ids=[world.done.pk])
    certificate = batch.certificates.get()  # pending until rendered
    if state in (CertificateStatus.ISSUED, CertificateStatus.REVOKED):
        services.certificate_render(certificate_id=certificate.pk)
    if state == CertificateStatus.REVOKED:
        services.certificate_revoke(certificate=certificate, reason=RevocationReason.ERROR, actor=world.staff)
    if state == CertificateStatus.FAILED:
        Certificate.objects.filter(pk=certificate.pk).update(status=state, error="font missing")
    certificate.refresh_from_db()
    assert certificate.status == state
    return certificate


@pytest.mark.parametrize(
    ("state", "visible"),
    [
        (CertificateStatus.ISSUED, True),
        (CertificateStatus.REVOKED, True),
        (CertificateStatus.PENDING, False),
        (CertificateStatus.FAILED, False),
    ],
)
def test_only_issued_or_revoked_certificates_are_publicly_verifiable(
    client, certified_world, settings, media_root, state, visible
):
    settings.CERTIFICATES_VERIFY_RATE = (100, 60)
    certificate = certificate_in(certified_world, state)
    api = APIClient().get(f"/api/v1/certificate-verifications/{certificate.code}/")
    page = client.get(f"/verify/{certificate.code}/")
    assert (api.status_code, page.status_code) == ((200, 200) if visible else (404, 404))
    if visible:
        assert api.json()["status"] == state
    else:
        assert api.json()["error"]["code"] == "not_found"
        assert certificate.enrolment.trainee.full_name not in page.content.decode()
