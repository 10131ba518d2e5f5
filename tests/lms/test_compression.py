"""HTML and JSON compressed by the app, never an answer whose body is a secret (issue 14, item 6)."""

import gzip

import pytest

from tests.courses.factories import EnrolmentFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_cohort(world):
    EnrolmentFactory.create_batch(40, cohort=world.cohort, community=world.community)
    return world


def test_a_big_page_answers_gzip_when_asked(client, big_cohort):
    world = big_cohort
    client.force_login(world.instructor)
    plain = client.get(f"/cohorts/{world.cohort.pk}/")
    packed = client.get(f"/cohorts/{world.cohort.pk}/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain and len(plain.content) > 5000
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    body = gzip.decompress(packed.content).decode()
    assert world.cohort.name in body and len(packed.content) < len(plain.content) / 2
    assert packed["Cache-Control"] == "private, no-store"  # the other headers survive compression


def test_json_answers_are_compressed_too(client, big_cohort):
    world = big_cohort
    client.force_login(world.staff)
    response = client.get("/api/v1/enrolments/", {"cohort": world.cohort.pk}, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200 and response["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.content).decode().startswith("{\"count\":41,")


def test_the_api_token_is_never_compressed(client, world):
    response = client.post(
        "/api/v1/auth/token/",
        {"username": world.staff.username, "password": "test-pass-123"},
        HTTP_ACCEPT_ENCODING="gzip",
    )
    assert response.status_code == 200 and "Content-Encoding" not in response and response.json()["token"]


def test_the_check_in_code_screen_is_never_compressed(client, world):
    session = SessionFactory(cohort=world.cohort)
    client.force_login(world.instructor)
    for url in (f"/sessions/{session.pk}/screen/", f"/sessions/{session.pk}/screen.json"):
        response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert response.status_code == 200 and "Content-Encoding" not in response, url
