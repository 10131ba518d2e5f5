"""Assignment files: the pixel cap and the file count on the same pipeline as project photos."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from fieldwork import services
from fieldwork.models import SubmissionFile
from lms import uploads
from tests.projects.test_upload_pipeline import bomb_png, stored_files

pytestmark = pytest.mark.django_db


def test_a_decompression_bomb_is_refused_by_its_header():
    bomb = SimpleUploadedFile("map.png", bomb_png(), content_type="image/png")
    with pytest.raises(uploads.FileRefused) as caught:
        uploads.check_upload(bomb, allowed_extensions=["png"], max_file_size=10 * 1024 * 1024)
    assert caught.value.code == "too_many_pixels"


def test_assignment_page_refuses_a_bomb_with_a_message(client, field, private_storage, english):
    field.assignment.allowed_extensions = ["png", "jpg", "pdf"]
    field.assignment.save()
    client.force_login(field.world.trainee)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    bomb = SimpleUploadedFile("资产地图.png", bomb_png(), content_type="image/png")
    response = client.post(f"/assignments/{field.assignment.pk}/files/", {"files": [bomb]})
    assert response.status_code == 400
    assert "has too many pixels (8000 × 8000)" in response.content.decode()
    assert not SubmissionFile.objects.exists() and stored_files(private_storage) == []


def test_submission_api_refuses_a_bomb_and_too_many_files(field, private_storage):
    field.assignment.allowed_extensions = ["png", "jpg", "pdf"]
    field.assignment.save()
    submission = services.submission_start(
        assignment=field.assignment, enrolment=field.world.enrolment, actor=field.world.trainee
    )
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(field.world.trainee)
    url = f"/api/v1/submissions/{submission.pk}/files/"
    bomb = SimpleUploadedFile("map.png", bomb_png(), content_type="image/png")
    response = client.post(url, {"files": [bomb]}, format="multipart")
    assert response.status_code == 400 and response.json()["error"]["code"] == "too_many_pixels"
    files = [SimpleUploadedFile(f"{i}.jpg", b"x", content_type="image/jpeg") for i in range(150)]
    response = client.post(url, {"files": files}, format="multipart")
    assert response.status_code == 400 and response.json()["error"]["code"] == "too_many_files"
    assert not SubmissionFile.objects.exists() and stored_files(private_storage) == []


def test_assignment_page_answers_too_many_files_with_a_message(client, field):
    client.force_login(field.world.trainee)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    files = [SimpleUploadedFile(f"{i}.jpg", b"x", content_type="image/jpeg") for i in range(150)]
    response = client.post(f"/assignments/{field.assignment.pk}/files/", {"files": files})
    assert response.status_code == 400
    assert "Too many files in one request" in response.content.decode()
    assert not SubmissionFile.objects.exists()
