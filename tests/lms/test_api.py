import pytest

pytestmark = pytest.mark.django_db


def test_anonymous_api_call_gets_the_one_error_shape(client):
    response = client.get("/api/v1/me/")
    assert response.status_code in (401, 403)
    body = response.json()
    assert set(body["error"]) >= {"code", "message"}


def test_token_auth_and_roles(client, world):
    response = client.post("/api/v1/auth/token/", {"username": world.staff.username, "password": "test-pass-123"})
    token = response.json()["token"]
    me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").json()
    assert me["staff_district_ids"] == [world.district.pk]


def test_schema_and_offline_docs(client, world):
    client.force_login(world.staff)
    assert client.get("/api/v1/schema/").status_code == 200
    docs = client.get("/api/v1/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower() and "//unpkg" not in docs
