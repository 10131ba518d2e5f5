"""NUL characters are refused with a 400 and a message wherever they come in; nothing is stored."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from fieldwork import services
from fieldwork.models import Objection
from tests.fieldwork.snapshots import snapshot
from tests.fieldwork.test_views import english

pytestmark = pytest.mark.django_db

MESSAGE = "The request contains a NUL character"


def test_page_form_field_with_nul_is_refused(client, field):
    submission = field.released()
    english(client, field.world.trainee)
    response = client.post(reverse("fieldwork:objection-raise", args=[submission.pk]), {"reason": "请复核\x00"})
    assert response.status_code == 400
    assert MESSAGE in response.content.decode()
    assert not Objection.objects.exists()


def test_multipart_grading_field_with_nul_is_refused_after_the_upload_guard(client, field):
    submission = field.released()
    services.objection_raise(submission=submission, reason="请复核", actor=field.world.trainee)
    english(client, field.world.instructor)
    before = snapshot()
    response = client.post(
        reverse("fieldwork:submission-grade", args=[submission.pk]), {"action": "uphold", "response": "维持\x00"}
    )
    assert response.status_code == 400
    assert MESSAGE in response.content.decode()
    assert snapshot() == before


def test_query_string_with_nul_is_refused(client, field):
    english(client, field.world.staff)
    response = client.get("/projects/library/?q=%00")
    assert response.status_code == 400
    assert MESSAGE in response.content.decode()


@pytest.mark.parametrize("body", ['{"reason": "请复核\\u0000"}', '{"reason": "请复核\\U0000"}'])
def test_api_json_with_nul_answers_the_error_shape(field, body):
    submission = field.released()
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(field.world.trainee)
    response = client.post(
        f"/api/v1/submissions/{submission.pk}/objection/", body.encode(), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "nul_character"
    assert MESSAGE in response.json()["error"]["message"]
    assert not Objection.objects.exists()


def test_api_multipart_field_with_nul_is_refused_by_the_serializer(field):
    submission = field.released()
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(field.world.trainee)
    response = client.post(
        f"/api/v1/submissions/{submission.pk}/objection/", {"reason": "请复核\x00"}, format="multipart"
    )
    assert response.status_code == 400
    assert not Objection.objects.exists()
