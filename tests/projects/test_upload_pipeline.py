"""Project photos go through the one upload pipeline: length guard, per-file limit, pixel cap, file count."""

import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from fieldwork.projects.models import BeforeAfterPair, EngagementActivity, ProjectPhoto, SupportVisit
from tests.projects.factories import photo_upload
from tests.projects.test_views import activity_post, english

pytestmark = pytest.mark.django_db

FIVE_GB = str(5 * 1024**3)


def bomb_png(width=8000, height=8000) -> bytes:
    """A one-bit PNG that is a few kilobytes on disk and `width × height` pixels decoded."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height, 9))
        + chunk(b"IEND", b"")
    )


def stored_files(root):
    return [p for p in root.rglob("*") if p.is_file()]


def _page_client(client, projects, role="trainee"):
    return english(client, getattr(projects.world, role))


def _api(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


PAGES = [("activities/new/", "trainee"), ("visits/new/", "instructor"), ("before-after/new/", "trainee")]
API = [
    ("/api/v1/projects/activities/", "trainee"),
    ("/api/v1/projects/visits/", "instructor"),
    ("/api/v1/projects/before-after/", "trainee"),
]


@pytest.mark.parametrize(("path", "role"), PAGES)
def test_photo_pages_refuse_an_oversized_body_before_reading_it(client, projects, path, role):
    _page_client(client, projects, role)
    response = client.post(f"/projects/{projects.project.pk}/{path}", {"title": "x"}, CONTENT_LENGTH=FIVE_GB)
    assert response.status_code == 413  # refused by the body limit, first in the stack, before any view reads it
    assert "The request is too large: at most" in response.content.decode()
    assert not ProjectPhoto.objects.exists()


@pytest.mark.parametrize(("path", "role"), API)
def test_photo_api_refuses_an_oversized_body_before_reading_it(projects, path, role):
    response = _api(getattr(projects.world, role)).post(
        path, {"project": projects.project.pk}, format="multipart", CONTENT_LENGTH=FIVE_GB
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert not ProjectPhoto.objects.exists()


def test_a_decompression_bomb_photo_is_refused_with_a_message(client, projects, private_storage):
    _page_client(client, projects)
    bomb = SimpleUploadedFile("炸弹.png", bomb_png(), content_type="image/png")
    response = client.post(
        f"/projects/{projects.project.pk}/activities/new/", activity_post(projects, photos=[photo_upload(), bomb])
    )
    assert response.status_code == 400
    assert "has too many pixels (8000 × 8000)" in response.content.decode()
    assert not EngagementActivity.objects.exists() and not ProjectPhoto.objects.exists()
    assert stored_files(private_storage) == []


def test_a_decompression_bomb_pair_is_refused_by_the_api(projects, private_storage):
    body = {
        "project": projects.project.pk,
        "place": "晒谷场",
        "before": photo_upload(),
        "after": SimpleUploadedFile("after.png", bomb_png(), content_type="image/png"),
    }
    response = _api(projects.world.trainee).post("/api/v1/projects/before-after/", body, format="multipart")
    assert response.status_code == 400
    assert "too many pixels" in response.json()["error"]["message"]
    assert not BeforeAfterPair.objects.exists() and stored_files(private_storage) == []


def test_a_photo_over_the_per_file_limit_is_dropped_while_streaming(client, projects, private_storage):
    from fieldwork.projects import photos

    _page_client(client, projects)
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + bytes(photos.MAX_PHOTO_BYTES), content_type="image/jpeg")
    response = client.post(f"/projects/{projects.project.pk}/activities/new/", activity_post(projects, photos=[big]))
    assert response.status_code == 400
    assert f"larger than {photos.MAX_PHOTO_BYTES // (1024 * 1024)} MB" in response.content.decode()
    assert not EngagementActivity.objects.exists() and stored_files(private_storage) == []


def test_temporary_files_of_a_refused_upload_are_removed(client, projects, settings, tmp_path, private_storage):
    spool = tmp_path / "spool"
    spool.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(spool)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every file goes to a temporary file on disk
    _page_client(client, projects)
    bomb = SimpleUploadedFile("炸弹.png", bomb_png(), content_type="image/png")
    response = client.post(
        f"/projects/{projects.project.pk}/activities/new/", activity_post(projects, photos=[photo_upload(), bomb])
    )
    assert response.status_code == 400
    assert list(spool.iterdir()) == []
    assert stored_files(private_storage) == []


def test_too_many_files_in_one_request_answer_a_message_not_a_debug_page(client, projects, settings):
    _page_client(client, projects)
    files = [SimpleUploadedFile(f"{i}.jpg", b"x", content_type="image/jpeg") for i in range(150)]
    response = client.post(f"/projects/{projects.project.pk}/activities/new/", activity_post(projects, photos=files))
    assert response.status_code == 400
    assert f"at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} can be sent at once" in response.content.decode()
    assert not EngagementActivity.objects.exists()


def test_too_many_files_in_one_api_request_answer_the_json_error(projects, settings):
    files = [SimpleUploadedFile(f"{i}.jpg", b"x", content_type="image/jpeg") for i in range(150)]
    body = {"project": projects.project.pk, "kind": "deliberation", "title": "x", "photos": files}
    response = _api(projects.world.trainee).post("/api/v1/projects/activities/", body, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_many_files"
    assert not SupportVisit.objects.exists() and not EngagementActivity.objects.exists()
