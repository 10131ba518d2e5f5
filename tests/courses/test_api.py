import pytest

from courses import checkin_codes
from courses.models import Attendance, Enrolment, Session
from tests.courses.factories import SessionFactory

pytestmark = pytest.mark.django_db


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def session_body(world, **overrides):
    return {
        "lesson": world.skills_lesson.pk,
        "date": f"{world.cohort.year}-04-16",
        "start_time": "09:00",
        "end_time": "11:00",
        "place": "南海区社区治理学院",
        "instructors": [world.instructor.pk],
        **overrides,
    }


def test_instructor_schedules_a_session(client, world):
    client.force_login(world.instructor)
    response = post(client, "/api/v1/sessions/", session_body(world))
    assert response.status_code == 201
    body = response.json()
    assert body["starts_at"] == f"{world.cohort.year}-04-16T09:00:00+08:00"
    assert body["check_in_opens_at"] == f"{world.cohort.year}-04-16T08:30:00+08:00"
    assert body["instructors"] == [world.instructor.pk]


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"date": "2022-13-40"}, "date", "invalid"),
        ({"date": "tomorrow"}, "date", "invalid"),
        ({"start_time": "25:61"}, "start_time", "invalid"),
        ({"end_time": "nine"}, "end_time", "invalid"),
        ({"start_time": "11:00", "end_time": "09:00"}, "end_time", "end_before_start"),
        ({"start_time": "09:00", "end_time": "09:00"}, "end_time", "end_before_start"),
        ({"lesson": 999999}, "lesson", "unknown_id"),
        ({"lesson": "abc"}, "lesson", "invalid"),
        ({"instructors": [999999]}, "instructors", "unknown_id"),
        ({"date": "9999-12-31", "start_time": "23:45", "end_time": "23:59"}, "date", "outside_cohort_run"),
        ({"date": "1990-04-16"}, "date", "outside_cohort_run"),
    ],
)
def test_bad_session_input_is_refused_with_a_reason(client, world, overrides, field, code):
    client.force_login(world.staff)
    response = post(client, "/api/v1/sessions/", session_body(world, **overrides))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert field in error["fields"]
    assert not Session.objects.exists()


@pytest.mark.parametrize("url", ["/api/v1/sessions/999999/", "/api/v1/sessions/abc/", "/api/v1/cohorts/0/"])
def test_unknown_or_malformed_id_is_not_found(client, world, url):
    client.force_login(world.staff)
    response = client.get(url)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_check_in_through_the_api_is_idempotent(client, world, clock):
    session = SessionFactory(lesson=world.basics_lessons[0], starts_at=clock.now)
    client.force_login(world.trainee)
    body = {"session": session.pk, "code": checkin_codes.code_for(session.pk)}
    first = post(client, "/api/v1/check-in/", body)
    assert first.status_code == 201 and first.json()["created"] is True
    second = post(client, "/api/v1/check-in/", body)
    assert second.status_code == 200 and second.json()["created"] is False
    assert Attendance.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"code": "000000x"}, 400, "wrong_code"),
        ({}, 400, "invalid"),
        ({"session": "abc", "code": "123456"}, 400, "invalid"),
        ({"session": 999999, "code": "123456"}, 404, "not_found"),
    ],
)
def test_bad_check_in_through_the_api_changes_nothing(client, world, clock, body, status, code):
    session = SessionFactory(lesson=world.basics_lessons[0], starts_at=clock.now)
    client.force_login(world.trainee)
    response = post(client, "/api/v1/check-in/", {"session": session.pk, **body})
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert not Attendance.objects.exists()


def test_check_in_for_another_cohorts_session_through_the_api(client, world, clock):
    session = SessionFactory(lesson=world.other_lesson, starts_at=clock.now)
    client.force_login(world.trainee)
    response = post(client, "/api/v1/check-in/", {"session": session.pk, "code": checkin_codes.code_for(session.pk)})
    missing = post(client, "/api/v1/check-in/", {"session": 99999999, "code": checkin_codes.code_for(session.pk)})
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json() and response.json()["error"]["code"] == "not_found"
    assert not Attendance.objects.exists()


def test_second_enrolment_through_the_api_is_a_conflict(client, world):
    client.force_login(world.staff)
    before = Enrolment.objects.count()
    response = post(
        client,
        "/api/v1/enrolments/",
        {"cohort": world.cohort.pk, "trainee": world.trainee.pk, "community": world.community.pk},
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_enrolled"
    assert Enrolment.objects.count() == before


def test_staff_cannot_enrol_into_another_districts_cohort_through_the_api(client, world):
    client.force_login(world.other_staff)
    before = Enrolment.objects.count()
    response = post(
        client,
        "/api/v1/enrolments/",
        {"cohort": world.cohort.pk, "trainee": world.stranger.pk, "community": world.community.pk},
    )
    assert response.status_code == 404
    assert Enrolment.objects.count() == before


def test_instructor_of_another_cohort_cannot_record_through_the_api(client, world, session):
    client.force_login(world.other_instructor)
    response = post(
        client, "/api/v1/attendance/", {"session": session.pk, "enrolment": world.enrolment.pk, "status": "present"}
    )
    assert response.status_code == 404
    assert not Attendance.objects.exists()


def test_lists_are_paginated_and_filtered(client, world, session):
    client.force_login(world.staff)
    body = client.get(f"/api/v1/lessons/?cohort={world.cohort.pk}&kind=lecture").json()
    assert {"count", "next", "previous", "results"} <= set(body)
    assert body["count"] == 3
    body = client.get(f"/api/v1/sessions/?cohort={world.other_cohort.pk}").json()
    assert body["count"] == 0  # another district's sessions never appear, whatever the filter


def test_progress_shows_a_trainee_only_its_own_row(client, world, session):
    from courses import services

    services.lesson_complete(enrolment=world.enrolment, lesson=world.basics_lessons[0], actor=world.trainee)
    client.force_login(world.trainee)
    rows = client.get("/api/v1/progress/").json()["results"]
    assert [r["trainee"] for r in rows] == [world.trainee.pk]
    centralized = rows[0]["phases"][0]
    assert centralized == {"phase": "centralized", "done": 1, "total": 3, "percent": 33}


def test_schema_lists_the_course_delivery_endpoints(client, world):
    client.force_login(world.staff)
    schema = client.get("/api/v1/schema/").content.decode()
    for path in ("/api/v1/sessions/", "/api/v1/check-in/", "/api/v1/attendance/{id}/correct/", "/api/v1/progress/"):
        assert path in schema
