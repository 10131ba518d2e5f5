"""Creates made under a client's idempotency key happen once (lms.idempotency), on pages and the API."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from fieldwork.projects.models import BeforeAfterPair, EngagementActivity, ProjectPhoto, SupportVisit
from lms.idempotency import idempotency_sweep
from lms.models import AuditEntry, IdempotencyKey
from tests.projects.factories import image_bytes, photo_upload
from tests.projects.test_views import activity_post, english

pytestmark = pytest.mark.django_db


def _new_activity_url(projects, key) -> str:
    return f"/projects/{projects.project.pk}/activities/new/?idempotency_key={key}"


def test_page_replay_answers_the_first_redirect_and_creates_nothing(client, projects):
    english(client, projects.world.trainee)
    key = uuid.uuid4()
    first = client.post(_new_activity_url(projects, key), activity_post(projects, photos=[photo_upload()]))
    assert first.status_code == 302
    again = client.post(_new_activity_url(projects, key), activity_post(projects, photos=[photo_upload()]))
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert again["Idempotency-Replayed"] == "true"
    assert EngagementActivity.objects.count() == 1 and ProjectPhoto.objects.count() == 1
    assert AuditEntry.objects.filter(verb="activity.recorded").count() == 1


def test_the_form_carries_a_fresh_key_each_time_it_is_shown(client, projects):
    english(client, projects.world.trainee)
    url = f"/projects/{projects.project.pk}/activities/new/"
    keys = [client.get(url).content.decode().split("idempotency_key=", 1)[1].split('"', 1)[0] for _round in range(2)]
    assert keys[0] != keys[1] and all(uuid.UUID(key) for key in keys)


def test_same_key_with_other_content_is_a_409_that_says_so(client, projects):
    english(client, projects.world.trainee)
    key = uuid.uuid4()
    assert client.post(_new_activity_url(projects, key), activity_post(projects)).status_code == 302
    other = client.post(_new_activity_url(projects, key), activity_post(projects, residents="41"))
    assert other.status_code == 409
    assert "already used with different content" in other.content.decode()
    assert EngagementActivity.objects.get().residents == 40


def test_same_key_with_another_photo_is_a_409(client, projects):
    english(client, projects.world.trainee)
    key = uuid.uuid4()
    client.post(_new_activity_url(projects, key), activity_post(projects, photos=[photo_upload()]))
    other_photo = photo_upload(content=image_bytes(colour=(1, 2, 3)))
    response = client.post(_new_activity_url(projects, key), activity_post(projects, photos=[other_photo]))
    assert response.status_code == 409
    assert ProjectPhoto.objects.count() == 1


def test_a_refused_create_keeps_no_key_so_the_corrected_one_goes_through(client, projects):
    english(client, projects.world.trainee)
    key = uuid.uuid4()
    refused = client.post(_new_activity_url(projects, key), activity_post(projects, residents="-3"))
    assert refused.status_code == 400 and "A count cannot be negative." in refused.content.decode()
    assert not IdempotencyKey.objects.exists() and not EngagementActivity.objects.exists()
    assert client.post(_new_activity_url(projects, key), activity_post(projects)).status_code == 302
    assert EngagementActivity.objects.count() == 1


def test_a_key_that_is_not_a_uuid_is_refused(client, projects):
    english(client, projects.world.trainee)
    response = client.post(_new_activity_url(projects, "not-a-uuid"), activity_post(projects))
    assert response.status_code == 400 and "must be a UUID" in response.content.decode()
    assert not EngagementActivity.objects.exists()


def test_keys_are_per_person(client, projects):
    key = uuid.uuid4()
    english(client, projects.world.trainee)
    client.post(_new_activity_url(projects, key), activity_post(projects))
    other = APIClient()
    other.force_login(projects.other_member)
    response = other.post(
        f"/projects/{projects.other_project.pk}/activities/new/?idempotency_key={key}", activity_post(projects)
    )
    assert response.status_code == 302 and "Idempotency-Replayed" not in response
    assert EngagementActivity.objects.count() == 2


def _api(user, *, token=False) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    else:
        client.force_login(user)
    return client


@pytest.mark.parametrize("token", [False, True], ids=["session", "token"])
def test_api_json_replay_returns_the_same_status_and_body(projects, token):
    client = _api(projects.world.trainee, token=token)
    key = str(uuid.uuid4())
    body = {
        "project": projects.project.pk,
        "kind": "deliberation",
        "title": "议事会",
        "held_on": f"{projects.world.cohort.year}-04-10",
        "place": "村委会",
        "counts": {"residents": 12},
    }
    first = client.post("/api/v1/projects/activities/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = client.post("/api/v1/projects/activities/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again["Idempotency-Replayed"] == "true"
    assert EngagementActivity.objects.count() == 1
    changed = client.post(
        "/api/v1/projects/activities/", {**body, "title": "另一次"}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert changed.status_code == 409
    assert changed.json()["error"] == {
        "code": "idempotency_key_reused",
        "message": "This idempotency key was already used with different content.",
    }
    assert EngagementActivity.objects.count() == 1


def test_api_multipart_replay_with_a_new_boundary_is_a_replay(projects):
    client = _api(projects.world.trainee)
    key = str(uuid.uuid4())

    def send():
        return client.post(
            "/api/v1/projects/before-after/",
            {
                "project": projects.project.pk,
                "place": "地面",
                "before": photo_upload("b.jpg"),
                "after": photo_upload("a.jpg"),
            },
            format="multipart",
            HTTP_IDEMPOTENCY_KEY=key,
        )

    first, again = send(), send()
    assert first.status_code == again.status_code == 201 and again.content == first.content
    assert BeforeAfterPair.objects.count() == 1 and ProjectPhoto.objects.count() == 2
    received = dict(part.split("=") for part in again["Idempotency-Received"].split(","))
    assert set(received) == {"before", "after"} and all(len(v) == 64 for v in received.values())


def test_the_outbox_gets_the_redirect_as_json_with_the_files_received(client, projects):
    import hashlib

    english(client, projects.world.trainee)
    key = uuid.uuid4()
    content = image_bytes()
    for replayed in (False, True):
        response = client.post(
            _new_activity_url(projects, key),
            activity_post(projects, photos=[photo_upload(content=content)]),
            HTTP_X_OUTBOX="1",
        )
        assert response.status_code == 200
        answer = response.json()
        assert answer["status"] == 302 and answer["location"] == f"/projects/{projects.project.pk}/"
        assert answer["replayed"] is replayed
        assert [one["sha256"] for one in answer["received"]] == [hashlib.sha256(content).hexdigest()]
    assert EngagementActivity.objects.count() == 1


def test_visit_page_replay_logs_one_visit(client, projects):
    english(client, projects.world.instructor)
    key = uuid.uuid4()
    data = {"visited_on": f"{projects.world.cohort.year}-05-02", "discussion": "地面铺装", "attendees": ""}
    url = f"/projects/{projects.project.pk}/visits/new/?idempotency_key={key}"
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert SupportVisit.objects.count() == 1


def test_sweep_keeps_keys_for_thirty_days(projects):
    keep = IdempotencyKey.objects.create(user=projects.world.trainee, key=uuid.uuid4(), method="POST", path="/")
    old = IdempotencyKey.objects.create(user=projects.world.trainee, key=uuid.uuid4(), method="POST", path="/")
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30, minutes=1))
    IdempotencyKey.objects.filter(pk=keep.pk).update(created_at=timezone.now() - timedelta(days=29, hours=23))
    assert idempotency_sweep() == 1
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [keep.pk]


def test_beat_runs_the_sweep(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["lms-idempotency-sweep"]
    assert entry["task"] == "lms.idempotency_sweep" and entry["schedule"] <= 24 * 3600
    assert settings.IDEMPOTENCY_KEEP_DAYS >= 30


@pytest.mark.django_db(transaction=True)
def test_two_copies_at_once_make_one_row(projects):
    from threading import Barrier, Thread

    from django.db import connection
    from django.test import Client

    key = uuid.uuid4()
    barrier, answers = Barrier(2), []

    def send():
        client = Client()
        client.force_login(projects.world.trainee)
        barrier.wait()
        try:
            answers.append(client.post(_new_activity_url(projects, key), activity_post(projects)).status_code)
        finally:
            connection.close()

    threads = [Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [302, 302]
    assert EngagementActivity.objects.count() == 1
