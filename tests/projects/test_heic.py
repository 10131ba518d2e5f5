"""iPhone photos (HEIC/HEIF) are read like JPEG wherever a photo is accepted: pixel cap, previews, no EXIF."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from fieldwork import services as fieldwork_services
from fieldwork.models import SubmissionFile
from fieldwork.projects.models import EngagementActivity, ProjectPhoto
from lms import uploads
from lms.models import PreviewState
from lms.previews import previews_derive_pending
from tests.fieldwork.conftest import Field
from tests.projects.test_upload_pipeline import stored_files
from tests.projects.test_views import activity_post, english

pytestmark = pytest.mark.django_db

GPS = 0x8825
ORIENTATION = 0x0112


def heic_bytes(size=(300, 200), orientation=6) -> bytes:
    """A HEIC as an iPhone makes it: a GPS position and a rotation in its EXIF."""
    uploads.register_heif()
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[GPS] = {1: "N", 2: (22.0, 59.0, 30.0), 3: "E", 4: (113.0, 5.0, 0.0)}
    out = io.BytesIO()
    # Left half red, right half blue: which way is up shows in the stored copy.
    image = Image.new("RGB", size, (220, 20, 20))
    image.paste((20, 20, 220), (size[0] // 2, 0, size[0], size[1]))
    image.save(out, "HEIF", exif=exif.tobytes())
    return out.getvalue()


def heic_upload(name="IMG_0042.HEIC", content=None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content or heic_bytes(), content_type="image/heic")


def assert_upright_jpeg_without_exif(path: str, size: tuple[int, int]) -> None:
    with default_storage.open(path, "rb") as stored, Image.open(stored) as image:
        assert image.format == "JPEG" and image.size == size
        exif = image.getexif()
        assert not exif.get_ifd(GPS) and ORIENTATION not in exif and "exif" not in image.info


def test_an_activity_photo_from_an_iphone_is_kept_upright_as_jpeg_without_gps(client, projects):
    english(client, projects.world.trainee)
    response = client.post(
        f"/projects/{projects.project.pk}/activities/new/", activity_post(projects, photos=[heic_upload()])
    )
    assert response.status_code == 302
    photo = ProjectPhoto.objects.get()
    assert (photo.content_type, photo.original_name) == ("image/jpeg", "IMG_0042.jpg")
    assert photo.path.endswith(".jpg")
    assert_upright_jpeg_without_exif(photo.path, (200, 300))  # turned by its orientation
    previews_derive_pending()
    photo.refresh_from_db()
    assert photo.preview_state == PreviewState.READY
    assert_upright_jpeg_without_exif(photo.thumbnail_path, Image.open(default_storage.open(photo.thumbnail_path)).size)


def test_a_heic_over_the_pixel_cap_is_refused_before_decoding(client, projects, monkeypatch, private_storage):
    monkeypatch.setattr(uploads, "MAX_PIXELS", 50_000)
    english(client, projects.world.trainee)
    response = client.post(
        f"/projects/{projects.project.pk}/activities/new/", activity_post(projects, photos=[heic_upload()])
    )
    assert response.status_code == 400
    assert "has too many pixels (200 × 300)" in response.content.decode()
    assert not EngagementActivity.objects.exists() and stored_files(private_storage) == []


def test_a_heic_that_does_not_decode_is_refused(client, projects, private_storage):
    english(client, projects.world.trainee)
    broken = heic_upload(content=b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64)
    response = client.post(f"/projects/{projects.project.pk}/activities/new/", activity_post(projects, photos=[broken]))
    assert response.status_code == 400
    assert "could not be read as a picture" in response.content.decode()
    assert not EngagementActivity.objects.exists() and stored_files(private_storage) == []


def test_a_before_after_pair_takes_heic(projects):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(projects.world.trainee)
    response = client.post(
        "/api/v1/projects/before-after/",
        {"project": projects.project.pk, "place": "地面", "before": heic_upload("b.heic"), "after": heic_upload()},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert set(ProjectPhoto.objects.values_list("content_type", flat=True)) == {"image/jpeg"}


def test_an_assignment_file_from_an_iphone_gets_previews_and_loses_its_gps(world, english):
    field = Field(world)
    field.assignment.allowed_extensions = ["jpg", "heic"]
    field.assignment.save()
    submission = fieldwork_services.submission_start(
        assignment=field.assignment, enrolment=world.enrolment, actor=world.trainee
    )
    checked = uploads.check_upload(heic_upload(), allowed_extensions=["heic"], max_file_size=10 * 1024 * 1024)
    assert (checked.name, checked.detected.content_type, checked.dimensions) == (
        "IMG_0042.jpg",
        "image/jpeg",
        (200, 300),
    )
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(world.trainee)
    response = client.post(
        f"/api/v1/submissions/{submission.pk}/files/", {"files": [heic_upload()]}, format="multipart"
    )
    assert response.status_code in (200, 201), response.content
    stored = SubmissionFile.objects.get()
    assert stored.content_type == "image/jpeg" and stored.preview_state == PreviewState.PENDING
    assert_upright_jpeg_without_exif(stored.storage_name, (200, 300))
    previews_derive_pending()
    stored.refresh_from_db()
    assert stored.preview_state == PreviewState.READY
