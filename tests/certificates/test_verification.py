"""The verification page checks an uploaded PDF or credential: signature, record, valid or revoked."""

import io
import json
import subprocess
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from certificates import services, signing
from certificates.models import Certificate, CertificateStatus, RevocationReason
from tests.certificates.conftest import certificate_bytes

pytestmark = pytest.mark.django_db

URL = "/verify/check/"


@pytest.fixture(autouse=True)
def english_pages(client, settings, english):
    """Pages and the messages of checks made in this process in English (zh-hans is the default)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def upload(client, data: bytes, name="certificate.pdf"):
    return client.post(URL, {"file": SimpleUploadedFile(name, data)})


def snapshot():
    return list(Certificate.objects.order_by("pk").values_list("pk", "status", "sha256", "revoked_at"))


def test_genuine_pdf_is_valid_signed_by_the_district_and_matches_the_record(signed_certificate, client):
    response = upload(client, certificate_bytes(signed_certificate))
    page = response.content.decode()
    assert response.status_code == 200, page
    assert 'data-genuine="yes"' in page and "Genuine and valid" in page
    assert "Valid, signed by 佛山市南海区民政局" in page
    assert signing.load_public_key(signed_certificate.cohort.district.code).fingerprint in page
    assert 'data-testid="record">Matches' in page and "刘䶮" in page


def test_genuine_credential_is_valid_and_matches_the_record(signed_certificate, client):
    credential = signing.check_pdf(certificate_bytes(signed_certificate), keys=[]).credential
    response = upload(client, credential, name="credential.json")
    page = response.content.decode()
    assert response.status_code == 200, page
    assert "Genuine and valid" in page and 'data-testid="record">Matches' in page


def test_revoked_certificate_says_revoked_and_since_when_for_pdf_credential_and_status(signed_certificate, client):
    w_staff = signed_certificate.cohort.district.staff.first().user
    services.certificate_revoke(certificate=signed_certificate, reason=RevocationReason.MISCONDUCT, actor=w_staff)
    signed_certificate.refresh_from_db()
    day = signed_certificate.revoked_at.astimezone(rendering_zone()).strftime("%Y-%m-%d")
    data = certificate_bytes(signed_certificate)
    for payload, name in ((data, "c.pdf"), (signing.check_pdf(data, keys=[]).credential, "c.json")):
        page = upload(client, payload, name=name).content.decode()
        assert "but this certificate has been revoked" in page and f"Revoked on {day}" in page
    status = client.get(f"/verify/{signed_certificate.code}/status/").json()
    assert status["revokedCredentials"][0]["id"].endswith(f"/verify/{signed_certificate.code}/")
    assert status["revokedCredentials"][0]["revokedAt"] == signed_certificate.revoked_at.isoformat()


def rendering_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


def test_status_of_a_valid_credential_lists_nothing_and_an_unknown_code_is_not_found(signed_certificate, client):
    status = client.get(f"/verify/{signed_certificate.code}/status/")
    assert status.status_code == 200 and status.json()["revokedCredentials"] == []
    assert client.get("/verify/AAAA-BBBB-CCCC-DDDD/status/").status_code == 404


def assert_refused(response, *phrases):
    page = response.content.decode()
    assert response.status_code == 422, page
    assert 'data-genuine="no"' in page and "cannot be trusted" in page
    for phrase in phrases:
        assert phrase in page, page


def test_one_byte_changed_is_reported_as_altered(signed_certificate, client):
    data = bytearray(certificate_bytes(signed_certificate))
    data[len(data) // 2] ^= 0x20
    before = snapshot()
    assert_refused(upload(client, bytes(data)), "altered after it was signed")
    assert snapshot() == before


def test_a_page_added_by_an_incremental_update_is_reported(signed_certificate, client):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(certificate_bytes(signed_certificate)))
    content = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 24 Tf 100 100 Td (forged) Tj ET"))
    page = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Page"),
            generic.NameObject("/MediaBox"): generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 595, 842)]),
            generic.NameObject("/Resources"): generic.DictionaryObject(),
            generic.NameObject("/Contents"): content,
        }
    )
    writer.insert_page(page)
    output = io.BytesIO()
    writer.write(output)
    assert_refused(upload(client, output.getvalue()), "added to the PDF after it was signed")


def test_the_name_replaced_in_the_file_is_reported(signed_certificate, client, tmp_path):
    """The text map of 䶮 rewritten to 三 (刘䶮 then reads 刘三), in place, keeping every offset."""
    data = certificate_bytes(signed_certificate)
    forged, replaced = data, False
    start = 0
    while (start := forged.find(b"stream\n", start)) >= 0:
        begin = start + len(b"stream\n")
        end = forged.find(b"endstream", begin)
        try:
            plain = zlib.decompress(forged[begin:end])
        except zlib.error:
            start = end + len(b"endstream")
            continue
        if b"<4dae>" in plain:
            packed = zlib.compress(plain.replace(b"<4dae>", b"<4e09>"), 9)
            room = end - begin
            assert len(packed) <= room
            forged = forged[:begin] + packed + b"\n" * (room - len(packed)) + forged[end:]
            replaced = True
        start = end + len(b"endstream")
    assert replaced
    (tmp_path / "forged.pdf").write_bytes(forged)
    text = subprocess.run(["pdftotext", str(tmp_path / "forged.pdf"), "-"], capture_output=True, text=True).stdout
    assert "刘三" in text and "刘䶮" not in text  # the forgery reads as another name
    assert_refused(upload(client, forged), "altered after it was signed")


def test_a_copy_re_rendered_with_another_name_and_signed_by_another_key_is_refused(
    signed_certificate, client, tmp_path
):
    from tests.certificates.factories import unpublished_key

    attacker = unpublished_key()
    forged = Certificate(
        cohort=signed_certificate.cohort,
        trainee_name="张三",
        course_title=signed_certificate.course_title,
        cohort_name=signed_certificate.cohort_name,
        issuing_body=signed_certificate.issuing_body,
        issued_on=signed_certificate.issued_on,
        serial=signed_certificate.serial,
        code=signed_certificate.code,
    )
    pdf = signing.certificate_pdf(certificate=forged, key=attacker)
    assert_refused(
        upload(client, pdf),
        "not signed by a district key this site publishes",
        "No certificate",
        "Not valid (signer named: 佛山市南海区民政局)",
    )


@pytest.mark.parametrize(
    ("data", "name", "status", "message"),
    [
        (b"GIF89a" + b"\0" * 100, "x.pdf", 400, "neither a PDF nor a JSON credential"),
        (b"%PDF-1.7\nnot really", "x.pdf", 400, "cannot be read"),
        (b'{"hello": 1}', "x.json", 422, "does not carry a signed credential"),
        (b"\0" * (5 * 1024 * 1024 + 1), "big.pdf", 413, "larger than 5 MB"),
    ],
)
def test_bad_uploads_are_refused_with_the_reason_and_change_nothing(
    signed_certificate, client, data, name, status, message
):
    before = snapshot()
    response = upload(client, data, name=name)
    assert response.status_code == status
    assert message in response.content.decode()
    assert snapshot() == before


def test_no_file_is_refused(client):
    response = client.post(URL, {})
    assert response.status_code == 400 and "Choose a PDF certificate" in response.content.decode()


def test_upload_form_is_on_the_public_verify_page(client):
    page = client.get("/verify/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'action="/verify/check/"' in page


def test_reissue_signs_a_new_certificate_and_credential_with_a_new_code(signed_certificate):
    staff = signed_certificate.cohort.district.staff.first().user
    services.certificate_revoke(certificate=signed_certificate, reason=RevocationReason.DATA_CORRECTION, actor=staff)
    new = services.certificate_reissue(certificate=signed_certificate, actor=staff)
    services.certificate_render(certificate_id=new.pk)
    new.refresh_from_db()
    assert new.status == CertificateStatus.ISSUED and new.code != signed_certificate.code
    result = signing.check_pdf(certificate_bytes(new))
    assert result.valid
    from certificates import credentials

    check = credentials.verify_credential(result.credential)
    assert check.code == new.code
    old = credentials.verify_credential(signing.check_pdf(certificate_bytes(signed_certificate)).credential)
    assert old.code == signed_certificate.code  # the old one still verifies as a signature, and its status says revoked
    assert json.loads(json.dumps(check.claims))["credentialStatus"]["id"].endswith(f"/verify/{new.code}/status/")
