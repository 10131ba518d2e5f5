import pytest
from rest_framework.test import APIClient

from certificates import services
from certificates.models import Certificate, CertificateStatus, IssuanceBatch

pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    client = APIClient()
    if user:
        client.force_authenticate(user)
    return client


def test_eligibility_lists_every_trainee_with_reasons(certified_world):
    w = certified_world
    response = api(w.staff).get(f"/api/v1/certificate-eligibility/{w.cohort.pk}/")
    assert response.status_code == 200
    rows = {row["enrolment_id"]: row for row in response.json()["trainees"]}
    assert rows[w.done.pk]["eligible"] is True
    assert rows[w.lagging.pk]["eligible"] is False and rows[w.lagging.pk]["reasons"]
    assert api(w.other_staff).get(f"/api/v1/certificate-eligibility/{w.cohort.pk}/").status_code == 404


def test_issue_through_the_api_and_read_progress(certified_world):
    w = certified_world
    response = api(w.staff).post("/api/v1/certificate-batches/", {"cohort": w.cohort.pk}, format="json")
    assert response.status_code == 201
    assert response.json()["progress"]["waiting"] == 2
    batch_id = response.json()["id"]
    assert api(w.staff).get(f"/api/v1/certificate-batches/{batch_id}/").json()["progress"]["total"] == 2
    assert api(w.other_staff).get(f"/api/v1/certificate-batches/{batch_id}/").status_code == 404
    assert api(w.other_staff).get("/api/v1/certificate-batches/").json()["count"] == 0


def test_issue_not_eligible_through_the_api_answers_400_and_writes_nothing(certified_world):
    w = certified_world
    response = api(w.staff).post(
        "/api/v1/certificate-batches/", {"cohort": w.cohort.pk, "enrolments": [w.lagging.pk]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_eligible"
    assert not IssuanceBatch.objects.exists()


def test_issue_in_another_district_answers_404(certified_world):
    w = certified_world
    response = api(w.other_staff).post("/api/v1/certificate-batches/", {"cohort": w.cohort.pk}, format="json")
    assert response.status_code == 404
    assert not Certificate.objects.exists()


def test_revoke_reissue_and_download_through_the_api(certified_world):
    w = certified_world
    batch = services.certificate_issue_batch(cohort=w.cohort, actor=w.staff, enrolment_ids=[w.done.pk])
    certificate = batch.certificates.get()
    services.certificate_render(certificate_id=certificate.pk)
    client = api(w.staff)
    assert client.post(f"/api/v1/certificates/{certificate.pk}/reissue/").json()["error"]["code"] == "not_revoked"
    no_reason = client.post(f"/api/v1/certificates/{certificate.pk}/revoke/", {}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["error"]["code"] == "reason_required"
    assert Certificate.objects.get(pk=certificate.pk).status == CertificateStatus.ISSUED
    revoked = client.post(f"/api/v1/certificates/{certificate.pk}/revoke/", {"reason": "error"}, format="json")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    twice = client.post(f"/api/v1/certificates/{certificate.pk}/revoke/", {"reason": "error"}, format="json")
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_revoked"
    new = client.post(f"/api/v1/certificates/{certificate.pk}/reissue/")
    assert new.status_code == 201 and new.json()["reissue_of"] == certificate.pk
    # The revoked one is no longer its holder's to download (Certificate.is_downloadable); staff keep it.
    assert api(w.done.trainee).get(f"/api/v1/certificates/{certificate.pk}/download/").status_code == 404
    download = client.get(f"/api/v1/certificates/{certificate.pk}/download/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert api(w.trainee).get(f"/api/v1/certificates/{certificate.pk}/download/").status_code == 404
    assert api(w.trainee).get("/api/v1/certificates/").json()["count"] == 0
    assert api(w.done.trainee).get("/api/v1/certificates/").json()["count"] == 2


def test_public_verification_and_rate_limit(certified_world, settings):
    w = certified_world
    settings.CERTIFICATES_VERIFY_RATE = (3, 60)
    batch = services.certificate_issue_batch(cohort=w.cohort, actor=w.staff, enrolment_ids=[w.done.pk])
    certificate = batch.certificates.get()
    services.certificate_render(certificate_id=certificate.pk)
    ok = api().get(f"/api/v1/certificate-verifications/{certificate.code.lower()}/")
    assert ok.status_code == 200 and ok.json()["trainee_name"] == "刘䶮" and ok.json()["status"] == "issued"
    wrong = api().get("/api/v1/certificate-verifications/not-a-code/")
    assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "not_found"
    assert api().get("/api/v1/certificate-verifications/AAAA-AAAA-AAAA-AAAA/").status_code == 404
    assert api().get("/api/v1/certificate-verifications/AAAA-AAAA-AAAA-AAAB/").status_code == 429
