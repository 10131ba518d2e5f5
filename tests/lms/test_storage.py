"""Every path that stores or reads a file, against a real S3-compatible server (moto's server mode)."""

import hashlib
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from certificates import services as certificate_services
from certificates.models import Certificate, CertificateStatus
from fieldwork import services as fieldwork_services
from fieldwork.models import SubmissionFile
from fieldwork.projects import photos
from lms import previews, storage
from lms.errors import ValidationFailed
from lms.previews import previews_derive_pending
from tests.certificates.conftest import certified_world  # noqa: F401
from tests.fieldwork.conftest import field  # noqa: F401
from tests.fieldwork.factories import PDF_BYTES, jpeg_bytes, photo, report, upload
from tests.projects.factories import image_bytes, photo_upload

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def issued(world, enrolment) -> Certificate:
    batch = certificate_services.certificate_issue_batch(
        cohort=world.cohort, actor=world.staff, enrolment_ids=[enrolment.pk]
    )
    certificate = batch.certificates.get()
    certificate_services.certificate_render(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    return certificate


def test_uploads_and_thumbnails_go_to_the_bucket_and_download_byte_identical(client, field, s3_storage):  # noqa: F811
    submission = field.submitted(files=[photo(), report()])
    image = submission.files.get(kind="image")
    pdf = submission.files.get(kind="pdf")
    assert set(s3_storage.keys(s3_storage.bucket)) == {image.storage_name, pdf.storage_name}  # previews pending
    assert previews_derive_pending() == 1  # what the worker does, reading the original from the bucket
    image.refresh_from_db()
    keys = s3_storage.keys(s3_storage.bucket)
    assert {image.storage_name, image.thumbnail_name, image.display_name, pdf.storage_name} <= set(keys)
    client.force_login(field.world.trainee)
    response = client.get(reverse("fieldwork:file-download", args=[pdf.pk]))
    assert response.status_code == 200 and response.streaming
    assert body(response) == PDF_BYTES
    original = client.get(reverse("fieldwork:file-download", args=[image.pk]))
    assert body(original) == jpeg_bytes()
    thumb = client.get(reverse("fieldwork:file-download", args=[image.pk]) + "?variant=thumb")
    assert thumb["Content-Type"] == "image/jpeg" and body(thumb).startswith(b"\xff\xd8\xff")


def test_a_refused_upload_leaves_nothing_in_the_bucket(field, s3_storage):  # noqa: F811
    submission = fieldwork_services.submission_start(
        assignment=field.assignment, enrolment=field.world.enrolment, actor=field.world.trainee
    )
    with pytest.raises(ValidationFailed) as raised:
        fieldwork_services.submission_file_add(
            submission=submission,
            uploads_=[photo(), upload("tool.pdf", b"MZ" + b"\x00" * 64)],
            actor=field.world.trainee,
        )
    assert raised.value.code == "file_type_mismatch"
    assert s3_storage.keys(s3_storage.bucket) == []
    assert SubmissionFile.objects.count() == 0


def test_project_photo_sizes_are_stored_and_deleted_in_the_bucket(s3_storage):
    stored = photos.store_photo(photo_upload(content=image_bytes(size=(2000, 1500))), folder="projects/t")
    assert s3_storage.keys(s3_storage.bucket) == [stored.path]
    with default_storage.open(stored.path, "rb") as original:
        thumbnail, display = previews.render_copies(original, display_size=(1280, 1280))
    assert thumbnail.startswith(b"\xff\xd8\xff") and display.startswith(b"\xff\xd8\xff")
    photos.delete_stored(stored)
    assert s3_storage.keys(s3_storage.bucket) == []
    with pytest.raises(ValidationFailed) as raised:
        photos.store_photo(photo_upload("x.jpg", content=b"<html>"), folder="projects/t")
    assert raised.value.code == "bad_photo"
    assert s3_storage.keys(s3_storage.bucket) == []


def test_certificate_renders_into_the_bucket_and_downloads_byte_identical(client, certified_world, s3_storage):  # noqa: F811
    w = certified_world
    certificate = issued(w, w.done)
    assert certificate.status == CertificateStatus.ISSUED
    assert s3_storage.keys(s3_storage.bucket) == [certificate.pdf.name]
    stored = s3_storage.client().get_object(Bucket=s3_storage.bucket, Key=certificate.pdf.name)["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == certificate.sha256
    client.force_login(w.staff)
    response = client.get(f"/certificates/{certificate.pk}/download/")
    assert response.status_code == 200
    assert body(response) == stored


def test_cohort_zip_streams_from_the_bucket(client, certified_world, s3_storage):  # noqa: F811
    w = certified_world
    certificates = [issued(w, w.done), issued(w, w.enrolment)]
    client.force_login(w.staff)
    response = client.get(f"/cohorts/{w.cohort.pk}/certificates.zip")
    assert response.status_code == 200 and response.streaming
    with zipfile.ZipFile(io.BytesIO(body(response))) as archive:
        assert archive.testzip() is None
        for certificate in certificates:
            member = f"{certificate.serial}-{certificate.trainee_name}.pdf"
            assert hashlib.sha256(archive.read(member)).hexdigest() == certificate.sha256


def test_cohort_zip_with_a_missing_file_answers_an_error_page_not_a_truncated_archive(
    client,
    certified_world,  # noqa: F811
    s3_storage,
):
    w = certified_world
    kept, lost = issued(w, w.done), issued(w, w.enrolment)
    s3_storage.client().delete_object(Bucket=s3_storage.bucket, Key=lost.pdf.name)
    client.force_login(w.staff)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get(f"/cohorts/{w.cohort.pk}/certificates.zip")
    assert response.status_code == 503
    assert not response.streaming and response["Content-Type"].startswith("text/html")
    assert lost.serial in response.content.decode() and kept.serial not in response.content.decode()
    assert "no archive was made" in response.content.decode()


def test_a_missing_certificate_file_answers_503_not_500(client, certified_world, s3_storage):  # noqa: F811
    w = certified_world
    certificate = issued(w, w.done)
    s3_storage.client().delete_object(Bucket=s3_storage.bucket, Key=certificate.pdf.name)
    client.force_login(w.staff)
    assert client.get(f"/certificates/{certificate.pk}/download/").status_code == 503


def test_certificate_is_not_issued_when_its_file_cannot_be_read_back(certified_world, s3_storage, settings):  # noqa: F811
    """Write-only credentials: the PDF is stored but cannot be read, so the row stays pending (the task retries)."""
    w = certified_world
    access_key, secret_key = s3_storage.user_with(["s3:PutObject", "s3:ListBucket", "s3:DeleteObject"])
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"], "access_key": access_key, "secret_key": secret_key},
        },
    }
    batch = certificate_services.certificate_issue_batch(cohort=w.cohort, actor=w.staff, enrolment_ids=[w.done.pk])
    certificate = batch.certificates.get()
    with pytest.raises(certificate_services.StorageFailed):
        certificate_services.certificate_render(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.PENDING and not certificate.pdf and not certificate.sha256


def test_booklet_renders_with_bucket_storage(client, s3_storage, world):
    from fieldwork.projects.booklet import booklet_build

    client.force_login(world.staff)
    booklet_build(params={}, language="zh-hans")  # what the worker does when the library changes
    response = client.get("/projects/library/booklet.pdf")
    assert response.status_code == 200 and body(response).startswith(b"%PDF")


def test_open_stream_reads_in_chunks_without_the_backend_file(s3_storage):
    name = default_storage.save("big/blob.bin", io.BytesIO(os.urandom(3 * 1024 * 1024 + 17)))
    with storage.open_stream(name) as source:
        assert not hasattr(source, "_file")  # botocore's streaming body, not django-storages' spooled copy
        first = source.read(storage.CHUNK)
        assert len(first) == storage.CHUNK
    assert storage.sha256_of_stored(name) == hashlib.sha256(default_storage.open(name).read()).hexdigest()


def _start(s3_server, bucket, command, **overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DJANGO_"))}
    env |= s3_server.env(bucket, **overrides)
    return subprocess.run([sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("bucket", "overrides", "message", "web_too"),
    [
        # Operators read the check in the interface language (zh-hans by default).
        ("no-such-bucket-here", {}, "存储桶 no-such-bucket-here 不存在（AWS_STORAGE_BUCKET_NAME）", True),
        (
            None,
            {"AWS_SECRET_ACCESS_KEY": "wrong-secret"},
            "拒绝了访问凭据（AWS_ACCESS_KEY_ID、AWS_SECRET_ACCESS_KEY）",
            True,
        ),
        (None, {"AWS_ACCESS_KEY_ID": "AKIAUNKNOWN00000000"}, "拒绝了访问凭据", False),
    ],
)
def test_a_broken_bucket_stops_the_app_at_start_with_the_reason(s3_server, bucket, overrides, message, web_too):
    bucket = bucket or s3_server.new_bucket()
    checked = _start(s3_server, bucket, ["manage.py", "check"], **overrides)
    assert checked.returncode != 0
    assert message in checked.stderr and "lms.E001" in checked.stderr
    if web_too:  # gunicorn imports lms.wsgi: the same refusal, before any request
        web = _start(s3_server, bucket, ["-c", "import lms.wsgi"], **overrides)
        assert web.returncode != 0 and "ImproperlyConfigured" in web.stderr and message in web.stderr


def test_a_good_bucket_passes_the_start_check(s3_server):
    checked = _start(s3_server, s3_server.new_bucket(), ["manage.py", "check"])
    assert checked.returncode == 0, checked.stderr
