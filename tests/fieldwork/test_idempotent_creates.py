"""The other creates a phone makes carry the form's idempotency key too: a draft's files, a lesson marked done."""

import uuid

import pytest

from courses.models import LessonCompletion
from fieldwork.models import SubmissionFile
from lms.models import IdempotencyKey
from tests.fieldwork.factories import photo

pytestmark = pytest.mark.django_db


def test_a_draft_file_sent_twice_under_one_key_is_stored_once(client, field, private_storage):
    client.force_login(field.world.trainee)
    page = client.get(f"/assignments/{field.assignment.pk}/").content.decode()
    assert f'action="/assignments/{field.assignment.pk}/files/?idempotency_key=' in page
    url = f"/assignments/{field.assignment.pk}/files/?idempotency_key={uuid.uuid4()}"
    first, again = client.post(url, {"files": [photo()]}), client.post(url, {"files": [photo()]})
    assert first.status_code == again.status_code == 302 and again["Idempotency-Replayed"] == "true"
    assert SubmissionFile.objects.count() == 1
    assert len([p for p in private_storage.rglob("*") if p.is_file()]) == 1


def test_a_lesson_marked_done_twice_under_one_key_answers_alike(client, world):
    lesson = world.basics_lessons[0]
    client.force_login(world.trainee)
    page = client.get(f"/lessons/{lesson.pk}/").content.decode()
    assert f'action="/lessons/{lesson.pk}/done/?idempotency_key=' in page
    url = f"/lessons/{lesson.pk}/done/?idempotency_key={uuid.uuid4()}"
    first, again = client.post(url), client.post(url)
    assert first.status_code == again.status_code and again["Location"] == first["Location"]
    assert LessonCompletion.objects.count() == 1 and IdempotencyKey.objects.count() == 1
