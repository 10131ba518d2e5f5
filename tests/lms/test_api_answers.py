"""No 500, and the API answers as documented (issue 26, item 6 and the low findings)."""

import json

import pytest

from lms.errors import first_message
from lms.json_input import JsonTooDeep, json_loads
from tests.lms.test_api import schema_json

pytestmark = pytest.mark.django_db
DEEP = "[" * 5000 + "]" * 5000


def test_format_suffix_routes_are_gone_and_answer_json(client):
    response = client.get("/api/v1/certificate-verifications/abc.json")
    assert response.status_code < 500
    assert response["Content-Type"] == "application/json"


def test_nested_json_to_the_anonymous_token_endpoint_is_a_400_with_a_message(client):
    response = client.post("/api/v1/auth/token/", data=DEEP, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] in ("The JSON is nested deeper than 32 levels.", "JSON 嵌套超过 32 层。")


def test_nested_json_to_a_signed_in_endpoint_is_a_400(client, world):
    client.force_login(world.trainee)
    body = '{"code":' * 200 + '"1"' + "}" * 200
    response = client.post("/api/v1/check-in/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "32" in response.json()["error"]["message"]


def test_the_parser_limit_holds_for_objects_arrays_and_ignores_brackets_in_strings():
    assert json_loads(json.dumps({"a": "[" * 44})) == {"a": "[" * 44}
    assert json_loads("[" * 32 + "]" * 32) is not None
    with pytest.raises(JsonTooDeep):
        json_loads("[" * 33 + "]" * 33)
    with pytest.raises(JsonTooDeep):
        json_loads('{"a":' * 40 + "1" + "}" * 40)


def test_a_nested_credential_upload_is_refused_with_a_message(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bomb = ('{"id": "x", "a": ' + DEEP + "}").encode()
    response = client.post("/verify/check/", {"file": SimpleUploadedFile("credential.json", bomb)})
    assert 400 <= response.status_code < 500
    text = response.content.decode()
    assert "32" in text


def test_a_date_beyond_the_calendar_on_the_audit_page_is_a_400_with_a_message(client, world):
    client.force_login(world.staff)
    response = client.get("/audit/?until=9999-12-31")
    assert response.status_code == 400
    assert "1900" in response.content.decode() and "2199" in response.content.decode()
    assert client.get("/audit/export.csv?since=0001-01-01").status_code == 400
    assert client.get("/audit/?until=2199-12-31").status_code == 200


def test_errors_are_messages_never_a_python_repr():
    assert first_message({"steps": [{"due_on": ["Enter a valid date."]}]}) == "Enter a valid date."
    assert first_message({"a": {"b": {"c": ["deep"]}}}) == "deep"
    assert first_message(["plain"]) == "plain"


def test_nested_validation_errors_answer_a_message_through_the_api(client, world):
    client.force_login(world.staff)
    response = client.post(
        "/api/v1/auth/token/", data=json.dumps({"username": {"x": 1}, "password": ["a"]}),
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert isinstance(message, str) and "{" not in message and "ErrorDetail" not in message


@pytest.mark.parametrize(
    "path",
    ["/api/v1/submissions/%C2%84/", "/api/v1/submissions/0.5/", "/api/v1/sessions/0.5/attendance/",
     "/api/v1/no-such-thing/", "/api/v1/submissions/1", "/api/v1/projects/%C2%84/"],
)  # fmt: skip
def test_every_path_under_the_api_answers_json(client, world, path):
    client.force_login(world.staff)
    response = client.get(path)
    assert 300 <= response.status_code < 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["message"]


def test_the_attendance_sheet_schema_allows_a_row_without_attendance(client, world):
    schema = schema_json(client, world.staff)
    assert schema["components"]["schemas"]["SheetRow"]["properties"]["attendance"]["nullable"] is True
