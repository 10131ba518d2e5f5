from datetime import timedelta

import pytest
from django.utils import timezone

from fieldwork.models import Submission, SubmissionState
from lms.predicates import submission_visible_q
from tests.fieldwork.factories import PDF_BYTES, photo, report, upload
from tests.fieldwork.snapshots import snapshot


def api(client, user):
    client.force_login(user)
    return client


def error_code(response):
    return response.json()["error"]["code"]


def test_trainee_flow_through_the_api(client, field, private_storage):
    world = field.world
    api(client, world.trainee)
    assignment = client.get(f"/api/v1/assignments/{field.assignment.pk}/").json()
    assert [c["title"] for c in assignment["criteria"]] == ["资产识别", "居民参与"]
    started = client.post(f"/api/v1/assignments/{field.assignment.pk}/submission/").json()
    submission_id = started["submission"]["id"]
    response = client.post(f"/api/v1/submissions/{submission_id}/files/", {"files": [photo(), report()]})
    assert response.status_code == 201
    files = response.json()
    assert {f["kind"] for f in files} == {"image", "pdf"} and all(len(f["sha256"]) == 64 for f in files)
    response = client.post(f"/api/v1/submissions/{submission_id}/submit/", {"note": "第一版"})
    assert response.status_code == 200 and response.json()["submission"]["state"] == "submitted"
    download = client.get(f"/api/v1/submission-files/{files[1]['id']}/download/")
    assert download["Content-Disposition"].startswith("attachment") and download["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("files", "status", "code"),
    [
        ([upload("report.pdf", b"MZ" + b"\x00" * 100)], 400, "file_type_mismatch"),
        ([upload("photo.jpg", b"<svg><script>alert(1)</script></svg>")], 400, "file_type_mismatch"),
        ([upload("x.exe", b"MZ")], 400, "file_type_not_allowed"),
        ([upload("empty.pdf", b"")], 400, "file_empty"),
        ([photo(f"{i}.jpg") for i in range(4)], 400, "too_many_files"),
        ([upload("big.pdf", PDF_BYTES + b"0" * (1024 * 1024 + 1))], 413, "file_too_large"),
        ([upload("huge.pdf", PDF_BYTES + b"0" * (4 * 1024 * 1024))], 413, "request_too_large"),
    ],
)
def test_bad_uploads_through_the_api(client, field, private_storage, files, status, code):
    api(client, field.world.trainee)
    submission_id = client.post(f"/api/v1/assignments/{field.assignment.pk}/submission/").json()["submission"]["id"]
    before = snapshot(private_storage)
    response = client.post(f"/api/v1/submissions/{submission_id}/files/", {"files": files})
    assert response.status_code == status
    assert error_code(response) == code and response.json()["error"]["message"]
    assert snapshot(private_storage) == before


def test_instructor_grades_and_releases_through_the_api(client, field):
    world = field.world
    submission = field.submitted()
    (c1, _low1, high1), (c2, _low2, high2) = field.rubric
    scores = [
        {"criterion": c1.pk, "level": high1.pk, "points": "9"},
        {"criterion": c2.pk, "level": high2.pk, "points": "7"},
    ]
    api(client, world.other_instructor)
    response = client.post(
        f"/api/v1/submissions/{submission.pk}/grade/", {"scores": scores}, content_type="application/json"
    )
    assert response.status_code == 404
    api(client, world.instructor)
    before = snapshot()
    bad = [{**scores[0], "points": "12"}, scores[1]]
    response = client.post(
        f"/api/v1/submissions/{submission.pk}/grade/", {"scores": bad}, content_type="application/json"
    )
    assert response.status_code == 400 and error_code(response) == "score_out_of_range"
    assert snapshot() == before
    response = client.post(
        f"/api/v1/submissions/{submission.pk}/grade/",
        {"scores": scores, "feedback": "好"},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["total"] == "16.0"

    api(client, world.trainee)
    detail = client.get(f"/api/v1/submissions/{submission.pk}/").json()
    assert detail["submission"]["score"] is None and detail["assessments"] == []
    assert client.get(f"/api/v1/submissions/{submission.pk}/assessments/").json() == []

    api(client, world.instructor)
    assert client.post(f"/api/v1/assignments/{field.assignment.pk}/release/").json() == {"released": 1}
    api(client, world.trainee)
    detail = client.get(f"/api/v1/submissions/{submission.pk}/").json()
    assert detail["submission"]["score"] == "16.0" and detail["assessments"][0]["feedback"] == "好"


def test_objections_through_the_api(client, field):
    world = field.world
    submission = field.released()
    api(client, world.trainee)
    released_at = submission.released_at
    Submission.objects.filter(pk=submission.pk).update(released_at=released_at - timedelta(days=8))
    before = snapshot()
    response = client.post(f"/api/v1/submissions/{submission.pk}/objection/", {"reason": "太低"})
    assert response.status_code == 409 and error_code(response) == "objection_window_closed"
    assert response.json()["error"]["message"]
    assert snapshot() == before
    Submission.objects.filter(pk=submission.pk).update(released_at=released_at)
    response = client.post(f"/api/v1/submissions/{submission.pk}/objection/", {"reason": "太低"})
    assert response.status_code == 201
    objection_id = response.json()["id"]
    before = snapshot()
    response = client.post(f"/api/v1/submissions/{submission.pk}/objection/", {"reason": "再来"})
    assert response.status_code == 409 and error_code(response) == "objection_exists"
    assert snapshot() == before
    assert (
        client.post(f"/api/v1/objections/{objection_id}/resolve/", {"outcome": "upheld", "response": "x"}).status_code
        == 403
    )
    api(client, world.instructor)
    response = client.post(f"/api/v1/objections/{objection_id}/resolve/", {"outcome": "upheld", "response": "维持"})
    assert response.status_code == 200
    assert Submission.objects.get(pk=submission.pk).state == SubmissionState.FINAL


def test_closed_assignment_through_the_api(client, field):
    world = field.world
    field.assignment.opens_at = timezone.now() - timedelta(days=10)
    field.assignment.due_at = field.assignment.closes_at = timezone.now() - timedelta(days=1)
    field.assignment.save()
    api(client, world.trainee)
    submission_id = client.post(f"/api/v1/assignments/{field.assignment.pk}/submission/").json()["submission"]["id"]
    client.post(f"/api/v1/submissions/{submission_id}/files/", {"files": [report()]})
    before = snapshot()
    response = client.post(f"/api/v1/submissions/{submission_id}/submit/")
    assert response.status_code == 409 and error_code(response) == "assignment_closed"
    assert snapshot() == before
    api(client, world.instructor)
    response = client.post(
        f"/api/v1/assignments/{field.assignment.pk}/extensions/",
        {"enrolment": world.enrolment.pk, "due_at": (timezone.now() + timedelta(days=2)).isoformat()},
    )
    assert response.status_code == 201
    api(client, world.trainee)
    assert client.post(f"/api/v1/submissions/{submission_id}/submit/").status_code == 200


def test_guessing_ids_through_the_api(client, field):
    submission = field.released()
    file = submission.files.first()
    api(client, field.classmate)
    for url in (
        f"/api/v1/submissions/{submission.pk}/",
        f"/api/v1/submissions/{submission.pk}/assessments/",
        f"/api/v1/submission-files/{file.pk}/download/",
        "/api/v1/submissions/999999/",
    ):
        response = client.get(url)
        assert response.status_code == 404 and error_code(response) == "not_found"
    assert client.get("/api/v1/submissions/").json()["results"] == []
    assert client.get(f"/api/v1/gradebooks/{field.world.cohort.pk}/").status_code == 404


@pytest.mark.parametrize(
    "role", ["trainee", "other_trainee", "instructor", "other_instructor", "staff", "other_staff", "stranger"]
)
def test_can_view_submission_agrees_with_submission_visible_q(field, role):
    field.submitted()
    field.submitted(assignment=field.team_assignment, enrolment=field.teammate_enrolment)
    field.submitted(enrolment=field.classmate_enrolment)
    field.submitted(assignment=field.other_assignment, enrolment=field.world.other_enrolment)
    user = field.world.roles()[role]
    by_rule = {s.pk for s in Submission.objects.all() if user.has_perm("fieldwork.view_submission_content", s)}
    by_q = set(Submission.objects.filter(submission_visible_q(user)).values_list("pk", flat=True))
    assert by_rule == by_q


def test_gradebook_and_queue_through_the_api(client, field):
    field.graded()
    api(client, field.world.staff)
    book = client.get(f"/api/v1/gradebooks/{field.world.cohort.pk}/", {"team": field.team.pk}).json()
    assert len(book["rows"]) == 2 and book["rows"][0]["cells"]
    api(client, field.world.instructor)
    assert client.get("/api/v1/grading-queue/").json() == []
    assert client.get("/api/v1/schema/").status_code == 200


@pytest.mark.parametrize("count", [2, 10])
def test_api_lists_answer_in_a_fixed_number_of_queries(client, field, count, django_assert_max_num_queries):
    from tests.courses.factories import EnrolmentFactory

    world = field.world
    for _ in range(count):
        enrolment = EnrolmentFactory(cohort=world.cohort, community=world.community, team=field.team)
        field.submitted(enrolment=enrolment, files=[report()])
    api(client, world.instructor)
    with django_assert_max_num_queries(9):
        assert len(client.get("/api/v1/submissions/").json()["results"]) == count
    with django_assert_max_num_queries(9):
        assert len(client.get("/api/v1/grading-queue/").json()) == count
    with django_assert_max_num_queries(12):
        assert len(client.get(f"/api/v1/gradebooks/{world.cohort.pk}/").json()["rows"]) == count + 3
    with django_assert_max_num_queries(9):
        assert client.get("/api/v1/assignments/").json()["count"] == 2
