from datetime import timedelta

import pytest

from courses import checkin_codes
from courses.models import Attendance, AttendanceCorrection, Enrolment, EnrolmentStatus, Session
from lms.models import AuditEntry
from tests.courses.conftest import SESSION_START
from tests.lms.factories import UserFactory

pytestmark = pytest.mark.django_db


def english(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})


def test_scanning_the_qr_logged_out_leads_through_login_and_back(client, world, session, clock):
    token = checkin_codes.token_for(session.pk)
    response = client.get(f"/check-in/{session.pk}/?t={token}")
    assert response.status_code == 302
    login_url = response["Location"]
    assert login_url.startswith("/accounts/login/?next=")
    response = client.post(login_url, {"username": world.trainee.username, "password": "test-pass-123"})
    assert response.status_code == 302
    back = response["Location"]
    assert back == f"/check-in/{session.pk}/?t={token}"
    page = client.get(back)
    assert 'data-testid="confirm-check-in"' in page.content.decode()
    response = client.post(f"/check-in/{session.pk}/", {"token": token})
    assert response.status_code == 200
    assert 'data-created="1"' in response.content.decode()
    assert Attendance.objects.filter(session=session, enrolment=world.enrolment).count() == 1


def test_second_check_in_says_already_checked_in(client, world, session, clock):
    english(client, world.trainee)
    code = checkin_codes.code_for(session.pk)
    client.post(f"/check-in/{session.pk}/", {"code": code})
    page = client.post(f"/check-in/{session.pk}/", {"code": code}).content.decode()
    assert "You are already checked in" in page and 'data-created="0"' in page
    assert Attendance.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "minutes", "code", "status", "error_code", "text"),
    [
        ("trainee", 0, "wrong", 400, "wrong_code", "This code is wrong or has expired"),
        ("trainee", 45, "right", 409, "check_in_closed", "Check-in closed at"),
        ("trainee", -40, "right", 409, "check_in_not_open", "Check-in opens at"),
    ],
)
def test_refused_check_in_shows_the_reason_and_changes_nothing(
    client, world, session, clock, who, minutes, code, status, error_code, text
):
    english(client, getattr(world, who))
    clock.set(SESSION_START + timedelta(minutes=minutes))
    right = checkin_codes.code_for(session.pk)
    typed = right if code == "right" else f"{(int(right) + 1) % 1_000_000:06d}"
    response = client.post(f"/check-in/{session.pk}/", {"code": typed})
    assert response.status_code == status
    page = response.content.decode()
    assert f'data-code="{error_code}"' in page and text in page
    assert 'data-testid="code-input"' in page  # the form is shown again, to retype the code
    assert not Attendance.objects.exists()


@pytest.mark.parametrize("who", ["other_trainee", "stranger"])
def test_check_in_at_a_session_one_may_not_see_answers_like_a_missing_one(client, world, session, clock, who):
    english(client, getattr(world, who))
    clock.set(SESSION_START)
    code = checkin_codes.code_for(session.pk)
    foreign = client.post(f"/check-in/{session.pk}/", {"code": code})
    missing = client.post("/check-in/99999999/", {"code": code})
    assert foreign.status_code == missing.status_code == 404
    assert "This session does not exist." in foreign.content.decode()
    def answer(response):
        page = response.content.decode()
        return page[page.index('<section class="card error-card"') : page.index("</section>")]

    assert answer(foreign) == answer(missing)
    assert not Attendance.objects.exists()


def test_check_in_list_shows_open_sessions_only(client, world, session, clock):
    client.force_login(world.trainee)
    assert f'data-testid="open-session-{session.pk}"' in client.get("/check-in/").content.decode()
    clock.set(SESSION_START + timedelta(hours=2))
    assert f'data-testid="open-session-{session.pk}"' not in client.get("/check-in/").content.decode()


def test_check_in_screen_shows_qr_code_and_missing_trainees(client, world, session, clock):
    client.force_login(world.instructor)
    page = client.get(f"/sessions/{session.pk}/screen/").content.decode()
    assert "<svg" in page and checkin_codes.code_for(session.pk) in page
    assert world.trainee.full_name in page
    state = client.get(f"/sessions/{session.pk}/screen.json").json()
    assert state["code"] == checkin_codes.code_for(session.pk)
    assert [p["name"] for p in state["not_checked_in"]] == [world.trainee.full_name]
    clock.advance(seconds=60)
    assert client.get(f"/sessions/{session.pk}/screen.json").json()["code"] == checkin_codes.code_for(session.pk)


def test_trainee_name_is_escaped_on_the_sheet(client, world, session):
    world.trainee.full_name = "<script>alert(1)</script>"
    world.trainee.save()
    client.force_login(world.instructor)
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_one_tap_on_the_sheet_records_and_answers_json(client, world, session):
    client.force_login(world.instructor)
    response = client.post(
        f"/sessions/{session.pk}/attendance/",
        {"enrolment": world.enrolment.pk, "status": "late"},
        HTTP_ACCEPT="application/json",
    )
    assert response.json() == {"enrolment": world.enrolment.pk, "status": "late"}
    response = client.post(f"/sessions/{session.pk}/attendance/", {"enrolment": world.enrolment.pk, "status": "absent"})
    assert response.status_code == 302
    assert Attendance.objects.get().status == "absent"
    assert AttendanceCorrection.objects.get().old_status == "late"


def test_instructor_of_another_cohort_cannot_record_on_the_sheet(client, world, session):
    client.force_login(world.other_instructor)
    response = client.post(
        f"/sessions/{session.pk}/attendance/", {"enrolment": world.enrolment.pk, "status": "present"}
    )
    assert response.status_code == 404
    assert not Attendance.objects.exists()


def test_malformed_status_on_the_sheet_is_refused(client, world, session):
    english(client, world.instructor)
    response = client.post(f"/sessions/{session.pk}/attendance/", {"enrolment": "abc", "status": "asleep"})
    assert response.status_code == 400
    assert 'data-code="invalid"' in response.content.decode()
    assert not Attendance.objects.exists()


def test_correction_page_requires_a_reason(client, world, session):
    english(client, world.instructor)
    client.post(f"/sessions/{session.pk}/attendance/", {"enrolment": world.enrolment.pk, "status": "absent"})
    attendance = Attendance.objects.get()
    response = client.post(f"/attendance/{attendance.pk}/correct/", {"status": "excused", "reason": ""})
    assert response.status_code == 400 and "Reason" in response.content.decode()
    assert not AttendanceCorrection.objects.exists()
    response = client.post(f"/attendance/{attendance.pk}/correct/", {"status": "excused", "reason": "病假"})
    assert response.status_code == 302
    assert AttendanceCorrection.objects.get().reason == "病假"


def test_staff_enrols_and_withdraws_one_trainee(client, world):
    newcomer = UserFactory(username="hegang07")
    client.force_login(world.staff)
    response = client.post(
        f"/cohorts/{world.cohort.pk}/enrol/", {"trainee": "hegang07", "community": world.community.pk}
    )
    assert response.status_code == 302
    enrolment = Enrolment.objects.get(trainee=newcomer)
    assert AuditEntry.objects.filter(verb="enrolment.created", target_id=str(enrolment.pk)).exists()
    response = client.post(f"/enrolments/{enrolment.pk}/withdraw/", {"reason": "工作调动"})
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.WITHDRAWN and enrolment.withdrawn_reason == "工作调动"
    assert AuditEntry.objects.filter(verb="enrolment.withdrawn", target_id=str(enrolment.pk)).exists()


def test_staff_of_another_district_cannot_enrol_into_this_cohort(client, world):
    UserFactory(username="hegang07")
    client.force_login(world.other_staff)
    response = client.post(
        f"/cohorts/{world.cohort.pk}/enrol/", {"trainee": "hegang07", "community": world.community.pk}
    )
    assert response.status_code == 404
    assert not Enrolment.objects.filter(trainee__username="hegang07").exists()


def test_second_enrolment_is_refused_with_a_message(client, world):
    english(client, world.staff)
    before = Enrolment.objects.count()
    response = client.post(
        f"/cohorts/{world.cohort.pk}/enrol/", {"trainee": world.trainee.username, "community": world.community.pk}
    )
    assert response.status_code == 409
    assert "already enrolled" in response.content.decode()
    assert Enrolment.objects.count() == before


def test_unknown_user_and_missing_reason_are_refused(client, world):
    english(client, world.staff)
    before = Enrolment.objects.count()
    response = client.post(f"/cohorts/{world.cohort.pk}/enrol/", {"trainee": "nobody", "community": world.community.pk})
    page = response.content.decode()
    assert response.status_code == 400 and "No user has the username or mobile number “nobody”" in page
    assert 'value="nobody"' in page  # the form is kept as typed
    response = client.post(f"/enrolments/{world.enrolment.pk}/withdraw/", {"reason": ""})
    assert response.status_code == 400
    world.enrolment.refresh_from_db()
    assert world.enrolment.status == EnrolmentStatus.ACTIVE and Enrolment.objects.count() == before


def test_district_overview_shows_only_own_district(client, world, session):
    client.force_login(world.staff)
    page = client.get("/district/cohorts/").content.decode()
    assert f'data-cohort="{world.cohort.pk}"' in page and f'data-cohort="{world.other_cohort.pk}"' not in page


def test_instructor_schedules_a_session_from_the_cohort_page(client, world):
    client.force_login(world.instructor)
    page = client.get(f"/cohorts/{world.cohort.pk}/").content.decode()
    assert 'data-testid="schedule-form"' in page
    body = {"lesson": world.skills_lesson.pk, "date": f"{world.cohort.year}-04-16", "start_time": "09:00"}
    body["end_time"] = "11:30"
    response = client.post(f"/cohorts/{world.cohort.pk}/sessions/", {**body, "place": "西樵镇河岗社区党群服务中心"})
    session = Session.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/sessions/{session.pk}/"
    assert list(session.instructors.all()) == [world.instructor]


@pytest.mark.parametrize(
    ("overrides", "status", "text"),
    [
        ({"date": "2022-02-30"}, 400, "Date: Enter a valid date."),
        ({"start_time": "9点"}, 400, "Starts at: Enter a valid time."),
        ({"start_time": "11:00", "end_time": "09:00"}, 400, "The session must end after it starts."),
        ({"lesson": "999999"}, 400, "Choose a lesson of this cohort."),
        ({"date": "9999-12-31", "start_time": "23:45", "end_time": "23:59"}, 400, "within the cohort&#x27;s run"),
        ({"date": "1999-01-01"}, 400, "within the cohort&#x27;s run"),
    ],
)
def test_bad_session_input_on_the_page_shows_a_message_and_changes_nothing(client, world, overrides, status, text):
    english(client, world.staff)
    body = {"lesson": world.skills_lesson.pk, "date": f"{world.cohort.year}-04-16", "start_time": "09:00"}
    body["end_time"] = "11:30"
    response = client.post(f"/cohorts/{world.cohort.pk}/sessions/", {**body, "place": "教室", **overrides})
    assert response.status_code == status
    assert text in response.content.decode()
    assert not Session.objects.exists()


def test_lesson_of_another_cohort_cannot_be_scheduled_here(client, world):
    client.force_login(world.staff)
    body = {"lesson": world.other_lesson.pk, "date": f"{world.cohort.year}-04-16", "start_time": "09:00"}
    body["end_time"] = "11:30"
    response = client.post(f"/cohorts/{world.cohort.pk}/sessions/", {**body, "place": "教室"})
    assert response.status_code == 400
    assert not Session.objects.exists()


def test_the_sheet_polls_who_is_missing_without_the_code(client, world, session, clock):
    client.force_login(world.instructor)
    state = client.get(f"/sessions/{session.pk}/screen.json?only=missing").json()
    assert "code" not in state and "qr_svg" not in state
    assert state["open"] is True and len(state["not_checked_in"]) == 1
