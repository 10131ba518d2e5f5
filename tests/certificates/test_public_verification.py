"""Verification for machines (GET /api/v1/verify/<code>/), "superseded by", and the trainee's own page."""

import pytest
from rest_framework.test import APIClient

from certificates import services, signing
from certificates.models import Certificate, RevocationReason
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def api_get(code: str, **headers):
    return APIClient().get(f"/api/v1/verify/{code}/", **headers)


def test_the_json_api_answers_status_dates_cohort_course_issuer_and_key_without_login(signed_certificate):
    c = signed_certificate
    response = api_get(c.code.lower())
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    key = signing.public_key_of(c.signing_key)
    assert response.json() == {
        "code": c.code,
        "status": "valid",
        "superseded_by": "",
        "reason": "",
        "serial": c.serial,
        "trainee_name": "刘䶮",
        "issued_on": c.issued_on.isoformat(),
        "cohort": c.cohort_name,
        "course": c.course_title,
        "issuer": c.issuing_body,
        "key_id": key.kid,
        "key_fingerprint": key.fingerprint,
        "sha256": c.sha256,
    }


def test_a_reissued_certificates_old_code_says_superseded_by_the_new_serial(signed_certificate, client, settings):
    w_staff = signed_certificate.cohort.district.staff.first().user
    services.certificate_revoke(certificate=signed_certificate, reason=RevocationReason.DATA_CORRECTION, actor=w_staff)
    assert api_get(signed_certificate.code).json()["status"] == "revoked"
    new = services.certificate_reissue(certificate=signed_certificate, actor=w_staff)
    services.certificate_render(certificate_id=new.pk)
    new.refresh_from_db()
    answer = api_get(signed_certificate.code).json()
    assert (answer["status"], answer["superseded_by"]) == ("superseded", new.serial)
    assert api_get(new.code).json()["status"] == "valid"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(f"/verify/{signed_certificate.code}/").content.decode()
    assert f"Superseded by {new.serial}" in page and 'data-verdict="superseded"' in page


@pytest.mark.parametrize("code", ["not-a-code", "AAAA-AAAA-AAAA-AAAA", "%00", "x" * 300])
def test_unknown_or_malformed_codes_answer_404_json_and_change_nothing(certified_world, code):
    before = Certificate.objects.count()
    response = api_get(code)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert Certificate.objects.count() == before


def test_the_api_shares_the_pages_rate_limit(signed_certificate, client, settings):
    settings.CERTIFICATES_VERIFY_RATE = (2, 60)
    assert client.get(f"/verify/{signed_certificate.code}/").status_code == 200
    assert api_get(signed_certificate.code).status_code == 200
    limited = api_get(signed_certificate.code)
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
    assert limited["Retry-After"] == "60"


def test_the_issued_notification_opens_the_trainees_own_page_with_the_certificate_in_it(signed_certificate, client):
    trainee = signed_certificate.enrolment.trainee
    notice = Notification.objects.get(recipient=trainee, kind="certificate_issued")
    path = notice.payload["path"]
    assert path == f"/certificates/mine/{signed_certificate.pk}/"
    client.force_login(trainee)
    page = client.get(path)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="certificate-image"' in text and 'data-testid="download-own"' in text
    assert 'data-testid="wechat-hint"' not in text
    image = client.get(f"/certificates/mine/{signed_certificate.pk}/image.png")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG") and image["Content-Type"] == "image/png"
    wechat = client.get(path, HTTP_USER_AGENT="Mozilla/5.0 (iPhone) MicroMessenger/8.0.50 NetType/WIFI")
    assert 'data-testid="wechat-hint"' in wechat.content.decode()
    client.force_login(signed_certificate.cohort.district.staff.first().user)
    assert client.get(path).status_code == 200  # staff of the district see it too
    from tests.lms.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(path).status_code == 404
    assert client.get(f"/certificates/mine/{signed_certificate.pk}/image.png").status_code == 404
