"""Sign-in, sign-out, refusals and every export or download of personal data leave an audit entry."""

import pytest
from django.urls import reverse

from lms.models import AuditEntry
from tests.fieldwork.conftest import Field
from tests.lms.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"


def entries(verb):
    return list(AuditEntry.objects.filter(verb=verb).order_by("sequence"))


def test_sign_in_and_sign_out_are_audited_with_the_address(client):
    user = UserFactory()
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD}, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302
    [signed_in] = entries("auth.signed_in")
    assert signed_in.actor == user and signed_in.target_id == str(user.pk) and signed_in.data["address"] == "10.1.2.3"
    client.post("/accounts/logout/")
    [signed_out] = entries("auth.signed_out")
    assert signed_out.actor == user


def test_a_failed_sign_in_names_the_account_and_never_the_password(client):
    user = UserFactory(mobile="13800138000")
    client.post(LOGIN, {"username": "13800138000", "password": "guess-Pass-1"}, REMOTE_ADDR="10.9.9.9")
    client.post(LOGIN, {"username": "nobody-here", "password": "guess-Pass-2"}, REMOTE_ADDR="10.9.9.9")
    known, unknown = entries("auth.sign_in_failed")
    assert known.actor is None and known.target_id == str(user.pk) and known.data["username"] == "13800138000"
    assert unknown.target_id == "" and unknown.data == {"username": "nobody-here", "address": "10.9.9.9"}
    assert "guess-Pass" not in str(known.data) + str(unknown.data)
    assert not entries("auth.signed_in")


def test_the_api_token_is_audited_and_a_wrong_password_too(client):
    user = UserFactory()
    assert client.post(TOKEN, {"username": user.username, "password": "wrong"}).status_code == 400
    assert client.post(TOKEN, {"username": user.username, "password": PASSWORD}).status_code == 200
    assert [e.target_id for e in entries("auth.sign_in_failed")] == [str(user.pk)]
    assert [e.actor for e in entries("auth.token_issued")] == [user]


def test_a_refused_row_is_audited_with_the_same_404_as_a_missing_one(client, world):
    field = Field(world)
    submission = field.submitted()
    file = submission.files.first()
    client.force_login(field.classmate)
    refused = client.get(reverse("fieldwork:file-download", args=[file.pk]))
    missing = client.get(reverse("fieldwork:file-download", args=[file.pk + 1000]))
    assert refused.status_code == missing.status_code == 404
    [entry] = entries("access.refused")  # the missing one is not a refusal
    assert entry.actor == field.classmate
    assert (entry.target_type.model, entry.target_id) == ("submission", str(file.submission_id))
    assert entry.district_id == world.district.pk  # the district's staff see who tried
    assert entry.data["path"] == reverse("fieldwork:file-download", args=[file.pk])
    assert not entries("download.file")


def test_a_refusal_through_the_api_is_audited(client, world):
    field = Field(world)
    file = field.submitted().files.first()
    client.force_login(world.other_staff)
    assert client.get(f"/api/v1/submission-files/{file.pk}/download/").status_code == 404
    assert [e.actor for e in entries("access.refused")] == [world.other_staff]


def test_a_forbidden_page_is_audited(client, world):
    client.force_login(world.trainee)
    assert client.get("/audit/").status_code == 403
    [entry] = entries("access.refused")
    assert entry.actor == world.trainee and entry.data["code"] == "not_allowed" and entry.data["path"] == "/audit/"


def test_downloading_an_original_is_audited_but_not_its_thumbnail(client, world):
    field = Field(world)
    file = field.submitted().files.first()
    client.force_login(world.instructor)
    url = reverse("fieldwork:file-download", args=[file.pk])
    assert client.get(url + "?variant=thumb").status_code in (200, 302)
    assert not entries("download.file")
    response = client.get(url)
    assert response.status_code == 200
    b"".join(response.streaming_content)
    [entry] = entries("download.file")
    assert entry.actor == world.instructor and entry.target_id == str(file.pk)


@pytest.mark.parametrize(
    ("route", "verb"),
    [
        ("fieldwork:gradebook-export", "export.gradebook"),
        ("attendance-export", "export.attendance"),
        ("certificates-eligibility-export", "export.eligibility"),
    ],
)
def test_every_cohort_export_is_audited(client, world, route, verb):
    client.force_login(world.staff)
    response = client.get(reverse(route, args=[world.cohort.pk, "csv"]))
    assert response.status_code == 200
    [entry] = entries(verb)
    assert entry.actor == world.staff and entry.target_id == str(world.cohort.pk) and entry.data["format"] == "csv"
    assert entry.cohort_id == world.cohort.pk


def test_a_refused_export_is_audited_as_a_refusal_not_an_export(client, world):
    client.force_login(world.other_staff)
    assert client.get(reverse("fieldwork:gradebook-export", args=[world.cohort.pk, "csv"])).status_code == 404
    assert not entries("export.gradebook")
    assert [e.actor for e in entries("access.refused")] == [world.other_staff]


def test_exporting_the_audit_is_itself_audited(client, world):
    client.force_login(world.staff)
    assert client.get("/audit/export.csv?action=export.audit").status_code == 200
    [entry] = entries("export.audit")
    assert entry.actor == world.staff and entry.data["format"] == "csv" and entry.data["action"] == "export.audit"
    page = client.get("/audit/?action=export.audit", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "导出了审计日志" in page  # the page speaks Chinese first


def test_the_certificates_zip_is_audited(client, world):
    client.force_login(world.staff)
    assert client.get(reverse("certificates-archive", args=[world.cohort.pk])).status_code == 200
    [entry] = entries("export.certificates_zip")
    assert entry.actor == world.staff and entry.data["files"] == 0
