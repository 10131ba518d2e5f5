"""Resumable uploads by tus 1.0.0 at /api/v1/uploads/ (lms.tus): core, creation, checksum, expiration, termination."""

import base64
import hashlib
import os
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from lms.models import TusUpload
from lms.tus import open_upload, tus_sweep
from tests.lms.factories import UserFactory

pytestmark = pytest.mark.django_db

TUS = {"HTTP_TUS_RESUMABLE": "1.0.0", "HTTP_ACCEPT_LANGUAGE": "en"}


def stored(root):
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.fixture
def person():
    user = UserFactory()
    return user, {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=user).key}", **TUS}


def create(client, headers, length, **extra):
    meta = "filename " + base64.b64encode("现场.jpg".encode()).decode()
    return client.post(
        "/api/v1/uploads/", HTTP_UPLOAD_LENGTH=str(length), HTTP_UPLOAD_METADATA=meta, **headers, **extra
    )


def patch(client, url, headers, offset, data, checksum=None):
    extra = {"HTTP_UPLOAD_OFFSET": str(offset)}
    if checksum:
        extra["HTTP_UPLOAD_CHECKSUM"] = checksum
    return client.generic("PATCH", url, data, content_type="application/offset+octet-stream", **headers, **extra)


def sha256_of(data: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_options_names_the_version_and_extensions(client):
    response = client.options("/api/v1/uploads/")
    assert response.status_code == 204 and response["Tus-Version"] == "1.0.0"
    assert set(response["Tus-Extension"].split(",")) == {"creation", "checksum", "expiration", "termination"}


def test_an_upload_in_two_chunks_with_checksums_arrives_whole(client, person, private_storage):
    _user, headers = person
    data = os.urandom(300_000)
    created = create(client, headers, len(data))
    assert created.status_code == 201 and created["Upload-Offset"] == "0" and created["Upload-Expires"]
    url = created["Location"]
    first = patch(client, url, headers, 0, data[:200_000], sha256_of(data[:200_000]))
    assert first.status_code == 204 and first["Upload-Offset"] == "200000"
    head = client.head(url, **headers)
    assert (head["Upload-Offset"], head["Upload-Length"]) == ("200000", "300000")
    assert patch(client, url, headers, 200_000, data[200_000:]).status_code == 204
    upload = TusUpload.objects.get()
    assert upload.metadata == {"filename": "现场.jpg"}
    with open_upload(upload) as whole:
        assert hashlib.sha256(whole.read()).digest() == hashlib.sha256(data).digest()


def test_a_wrong_checksum_is_refused_and_nothing_is_kept(client, person, private_storage):
    _user, headers = person
    url = create(client, headers, 10)["Location"]
    response = patch(client, url, headers, 0, b"0123456789", sha256_of(b"something else"))
    assert response.status_code == 460 and response.content == b"Checksum mismatch."
    assert TusUpload.objects.get().offset == 0 and stored(private_storage) == []


def test_a_chunk_at_the_wrong_offset_is_a_409(client, person):
    _user, headers = person
    url = create(client, headers, 10)["Location"]
    assert patch(client, url, headers, 0, b"01234").status_code == 204
    response = patch(client, url, headers, 0, b"01234")
    assert response.status_code == 409 and TusUpload.objects.get().offset == 5
    assert patch(client, url, headers, 5, b"0123456789").status_code == 413  # past the length


def test_size_and_person_are_checked_before_the_first_byte(client, person, settings):
    _user, headers = person
    settings.TUS_MAX_SIZE = 1000
    response = create(client, headers, 1001)
    assert response.status_code == 413 and b"too large" in response.content
    assert create(Client(), TUS, 10).status_code == 401
    settings.TUS_MAX_OPEN = 1
    assert create(client, headers, 10).status_code == 201
    assert create(client, headers, 10).status_code == 429
    assert TusUpload.objects.count() == 1


def test_a_session_needs_the_csrf_token(person):
    user, _headers = person
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert create(client, TUS, 10).status_code == 403
    assert not TusUpload.objects.exists()


def test_only_its_creator_sees_an_upload(client, person):
    _user, headers = person
    url = create(client, headers, 10)["Location"]
    _other, other_headers = UserFactory(), {}
    other_headers = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=_other).key}", **TUS}
    assert client.head(url, **other_headers).status_code == 404
    assert patch(client, url, other_headers, 0, b"0123456789").status_code == 404
    assert client.delete(url, **other_headers).status_code == 404
    assert TusUpload.objects.get().offset == 0


def test_termination_removes_the_chunks(client, person, private_storage):
    _user, headers = person
    url = create(client, headers, 10)["Location"]
    patch(client, url, headers, 0, b"01234")
    assert len(stored(private_storage)) == 1
    assert client.delete(url, **headers).status_code == 204
    assert not TusUpload.objects.exists() and stored(private_storage) == []
    assert client.head(url, **headers).status_code == 404


def test_an_expired_upload_is_gone_and_removed_by_the_sweep(client, person, private_storage, settings):
    _user, headers = person
    url = create(client, headers, 10)["Location"]
    patch(client, url, headers, 0, b"01234")
    TusUpload.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.head(url, **headers).status_code == 404
    assert tus_sweep() == 1
    assert not TusUpload.objects.exists() and stored(private_storage) == []
    assert settings.CELERY_BEAT_SCHEDULE["lms-tus-sweep"]["task"] == "lms.tus_sweep"


@pytest.mark.django_db(transaction=True)
def test_tuspy_is_interrupted_and_resumes_where_it_stopped(live_server, person, private_storage):
    from tusclient import client as tus_client

    _user, headers = person
    data = os.urandom(150_000)
    client = tus_client.TusClient(
        f"{live_server.url}/api/v1/uploads/", headers={"Authorization": headers["HTTP_AUTHORIZATION"]}
    )
    import io

    first = client.uploader(file_stream=io.BytesIO(data), chunk_size=64 * 1024, upload_checksum=True)
    first.upload_chunk()  # the network is cut after one chunk
    assert TusUpload.objects.get().offset == 64 * 1024
    resumed = client.uploader(file_stream=io.BytesIO(data), url=first.url, chunk_size=64 * 1024, upload_checksum=True)
    assert resumed.offset == 64 * 1024  # asked the server (HEAD), not started again
    resumed.upload()
    upload = TusUpload.objects.get()
    assert upload.offset == upload.length == len(data) and len(upload.chunks) == 3
    with open_upload(upload) as whole:
        assert whole.read() == data
