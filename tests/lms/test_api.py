import json

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


def schema_json(client, user):
    client.force_login(user)
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_schema_documents_the_error_shape_on_every_operation(client, world):
    schema = schema_json(client, world.staff)
    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code in ("400", "403", "404", "429"):
                content = operation["responses"][code]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (method, path, code)
            if method in ("post", "put", "patch", "delete"):
                assert {"409", "413"} <= set(operation["responses"]), (method, path)


def test_schema_tells_nullable_fields_pagination_and_enums_as_answered(client, world):
    schema = schema_json(client, world.staff)
    components, paths = schema["components"]["schemas"], schema["paths"]
    assert components["Assignment"]["properties"]["closes_at"]["nullable"] is True
    for field in ("submitted_at", "released_at"):
        assert components["Submission"]["properties"][field]["nullable"] is True

    def answer(path, method="get", code="200"):
        return paths[path][method]["responses"][code]["content"]

    assert answer("/api/v1/grading-queue/")["application/json"]["schema"]["type"] == "array"
    assert answer("/api/v1/submissions/{id}/assessments/")["application/json"]["schema"]["type"] == "array"
    assert answer("/api/v1/projects/library/")["application/json"]["schema"]["$ref"].endswith("/LibraryOut")
    eligibility = answer("/api/v1/certificate-eligibility/{id}/")["application/json"]["schema"]
    assert eligibility["$ref"].endswith("/EligibilityOut")
    reason = components["Certificate"]["properties"]["revocation_reason"]
    enums = {value for ref in reason["oneOf"] for value in components[ref["$ref"].rsplit("/", 1)[1]]["enum"]}
    assert enums == {"", "error", "data_correction", "misconduct", "withdrawn", "other"}
    assert set(answer("/api/v1/submission-files/{id}/download/")) == {"*/*"}
    assert set(answer("/api/v1/certificates/{id}/download/")) == {"application/pdf"}
