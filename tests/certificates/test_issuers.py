"""Each district issues in its own name, with its own seal and wording, whatever course it shares."""

import io
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image

from certificates import seals, services, signing
from certificates.models import Certificate, CertificateStatus, IssuerProfile
from lms.models import AuditEntry
from tests.certificates.conftest import certificate_bytes
from tests.certificates.factories import complete_all_lessons
from tests.courses.factories import CohortFactory, EnrolmentFactory
from tests.lms.factories import UserFactory

pytestmark = pytest.mark.django_db


def png(width=200, height=200, mode="RGBA", fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), (200, 16, 30) if mode == "RGB" else 0).save(out, format=fmt)
    return out.getvalue()


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "c.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout


def images_in(data: bytes, tmp_path) -> int:
    path = tmp_path / "i.pdf"
    path.write_bytes(data)
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    return len([line for line in listing.splitlines()[2:] if line.split()[2:3] == ["image"]])  # not its smask


@pytest.fixture
def two_districts(certified_world):
    """Nanhai and Shunde run one course; each has its own issuing body; Shunde also a seal and a trainee done."""
    w = certified_world
    w.shunde = w.other_cohort.district
    w.shunde_cohort = CohortFactory(course=w.cohort.course, district=w.shunde, name="顺德区2022年培育班")
    from certificates.models import CompletionRule

    CompletionRule.objects.create(cohort=w.shunde_cohort, min_lesson_percent=0)
    w.shunde_done = EnrolmentFactory(cohort=w.shunde_cohort, trainee=UserFactory(full_name="何顺德"))
    complete_all_lessons(w.shunde_done)
    IssuerProfile.objects.create(district=w.district, name="佛山市南海区民政局", short_name="南海区民政局")
    IssuerProfile.objects.create(
        district=w.shunde,
        name="佛山市顺德区民政局",
        short_name="顺德区民政局",
        seal=seals.demo_seal("佛山市顺德区民政局"),
        seal_type="image/png",
    )
    return w


def test_a_shunde_certificate_names_shundes_bureau_with_its_seal_and_nanhai_names_its_own(two_districts, tmp_path):
    w = two_districts
    signing.generate_district_key(district_code=w.shunde.code, issuer_name="佛山市顺德区民政局")  # Shunde's own key
    services.certificate_issue_batch(cohort=w.shunde_cohort, actor=w.other_staff)
    services.certificate_issue_batch(cohort=w.cohort, actor=w.staff, enrolment_ids=[w.done.pk])
    shunde = Certificate.objects.get(enrolment=w.shunde_done)
    nanhai = Certificate.objects.get(enrolment=w.done)
    assert shunde.issuing_body == "佛山市顺德区民政局" and nanhai.issuing_body == "佛山市南海区民政局"
    for certificate in (shunde, nanhai):
        services.certificate_render(certificate_id=certificate.pk)
        certificate.refresh_from_db()
        assert certificate.status == CertificateStatus.ISSUED
    shunde_pdf, nanhai_pdf = certificate_bytes(shunde), certificate_bytes(nanhai)
    shunde_text = pdf_text(shunde_pdf, tmp_path)
    assert "佛山市顺德区民政局" in shunde_text and "南海" not in shunde_text  # signed by Shunde's bureau too
    assert "佛山市南海区民政局" in pdf_text(nanhai_pdf, tmp_path)
    assert images_in(shunde_pdf, tmp_path) == 1  # the seal
    assert images_in(nanhai_pdf, tmp_path) == 0  # no seal given: none drawn


def test_the_seal_is_never_on_a_pdf_whose_signature_failed(two_districts, monkeypatch):
    w = two_districts
    services.certificate_issue_batch(cohort=w.shunde_cohort, actor=w.other_staff)
    certificate = Certificate.objects.get(enrolment=w.shunde_done)

    def broken(*args, **kwargs):
        raise OSError("the signer's device is gone")

    monkeypatch.setattr(signing, "sign_pdf", broken)
    with pytest.raises(OSError):
        services.certificate_render(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.PENDING and not certificate.pdf and not certificate.sha256


def test_keygen_without_issuer_names_the_districts_own_bureau(two_districts):
    call_command("certificates_keygen", district=two_districts.shunde.code, stdout=io.StringIO())
    assert signing.load_district_key(two_districts.shunde.code).issuer_name == "佛山市顺德区民政局"


def english(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (png(fmt="GIF", mode="RGB"), "seal.gif", "The seal must be a PNG or JPEG image."),
        (b"%PDF-1.7 not an image", "seal.png", "The seal must be a PNG or JPEG image."),
        (png(12000, 12000, mode="1"), "huge.png", "The seal image is 12000×12000 pixels; at most 4 million"),
    ],
)
def test_a_seal_that_is_not_a_sane_png_or_jpeg_is_refused_and_nothing_changes(
    client, two_districts, data, name, message
):
    w = two_districts
    before = IssuerProfile.objects.get(district=w.district)
    audits = AuditEntry.objects.count()
    response = english(client, w.staff).post(
        f"/districts/{w.district.pk}/certificate/",
        {
            "name": "改过的名字",
            "short_name": "",
            "html": "<p>{{ trainee_name }}</p>",
            "css": "",
            "seal": SimpleUploadedFile(name, data),
        },
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    after = IssuerProfile.objects.get(district=w.district)
    assert (after.name, after.html, bytes(after.seal), after.updated_at) == (
        before.name,
        before.html,
        bytes(before.seal),
        before.updated_at,
    )
    assert AuditEntry.objects.count() == audits


def test_staff_upload_a_seal_and_see_it_and_the_other_district_cannot(client, two_districts):
    w = two_districts
    seal = png(300, 300, mode="RGB")
    url = f"/districts/{w.district.pk}/certificate/"
    response = english(client, w.staff).post(
        url,
        {
            "name": "佛山市南海区民政局",
            "short_name": "南海区民政局",
            "html": "",
            "css": "",
            "seal": SimpleUploadedFile("s.png", seal),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    profile = IssuerProfile.objects.get(district=w.district)
    assert bytes(profile.seal) == seal and profile.seal_type == "image/png" and profile.html == ""
    assert client.get(url + "seal/").content == seal
    client.force_login(w.other_staff)
    assert client.get(url + "seal/").status_code == 404
