"""A finished resumable upload becomes an activity's photo through the same pipeline as any upload."""

import base64
import hashlib

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from fieldwork.projects.models import EngagementActivity, ProjectPhoto
from lms.models import TusUpload
from tests.projects.factories import image_bytes

pytestmark = pytest.mark.django_db


def _client(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}", HTTP_TUS_RESUMABLE="1.0.0"
    )
    return client


def _upload(client, data: bytes, name="现场.jpg", finish=True) -> str:
    meta = "filename " + base64.b64encode(name.encode()).decode()
    url = client.post("/api/v1/uploads/", HTTP_UPLOAD_LENGTH=str(len(data)), HTTP_UPLOAD_METADATA=meta)["Location"]
    body = data if finish else data[: len(data) // 2]
    client.generic("PATCH", url, body, content_type="application/offset+octet-stream", HTTP_UPLOAD_OFFSET="0")
    return url.rstrip("/").rsplit("/", 1)[1]


def _activity(projects, uploads):
    return {
        "project": projects.project.pk,
        "kind": "deliberation",
        "title": "议事会",
        "held_on": f"{projects.world.cohort.year}-04-10",
        "place": "村委会",
        "uploads": uploads,
    }


def test_a_finished_upload_is_attached_as_a_photo_and_then_removed(
    projects, private_storage, django_capture_on_commit_callbacks
):
    client = _client(projects.world.trainee)
    data = image_bytes(size=(320, 240))
    upload_id = _upload(client, data)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/projects/activities/", _activity(projects, [upload_id]), format="json")
    assert response.status_code == 201, response.content
    photo = ProjectPhoto.objects.get()
    assert photo.sha256 == hashlib.sha256(data).hexdigest() and photo.original_name == "现场.jpg"
    assert not TusUpload.objects.exists()
    assert not [p for p in (private_storage / "tus").rglob("*") if p.is_file()]


def test_an_upload_that_is_no_photo_is_refused_by_the_pipeline_and_kept(projects):
    client = _client(projects.world.trainee)
    upload_id = _upload(client, b"%PDF-1.7 not a photo", name="a.jpg")
    response = client.post("/api/v1/projects/activities/", _activity(projects, [upload_id]), format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Only JPEG, PNG, WebP or HEIC photos can be uploaded."
    assert not EngagementActivity.objects.exists() and TusUpload.objects.count() == 1


@pytest.mark.parametrize("whose", ["unfinished", "someone_else"])
def test_an_unfinished_or_foreign_upload_is_refused(projects, whose):
    owner = projects.world.trainee if whose == "unfinished" else projects.other_member
    upload_id = _upload(_client(owner), image_bytes(), finish=whose != "unfinished")
    response = _client(projects.world.trainee).post(
        "/api/v1/projects/activities/", _activity(projects, [upload_id]), format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "An upload named here does not exist or is not finished."
    assert not EngagementActivity.objects.exists() and TusUpload.objects.count() == 1
