"""Issue 12.6: 迟到 for late, corrections on the sheet, the ended screen, a check-in window per session."""

import datetime as dt
import re
from datetime import timedelta

import pytest
from django.utils import translation

from courses import services
from courses.models import AttendanceStatus, Session
from courses.services.attendance import CheckInRefused
from lms.errors import ValidationFailed
from tests.courses.conftest import SESSION_START

pytestmark = pytest.mark.django_db


def test_late_attendance_reads_chi_dao_not_yu_qi():
    with translation.override("zh-hans"):
        assert str(AttendanceStatus.LATE.label) == "迟到"
    with translation.override("en"):
        assert str(AttendanceStatus.LATE.label) == "Late"


def test_the_sheet_lists_each_rows_corrections(client, world, session, clock):
    attendance = services.attendance_record(
        session=session, enrolment=world.enrolment, status=AttendanceStatus.ABSENT, actor=world.instructor
    )
    services.attendance_correct(
        attendance=attendance, status=AttendanceStatus.LATE, reason="堵车，九点二十到场", actor=world.instructor
    )
    client.force_login(world.instructor)
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert 'data-testid="corrections"' in page
    assert f"{world.instructor.full_name}: 缺勤 → 迟到 · 堵车，九点二十到场" in page
    assert "逾期" not in page


def test_after_the_window_the_screen_shows_only_that_check_in_has_ended(client, world, session, clock):
    client.force_login(world.instructor)
    page = client.get(f"/sessions/{session.pk}/screen/").content.decode()
    assert 'data-testid="check-in-ended" hidden' in page
    clock.set(session.check_in_closes_at + timedelta(seconds=1))
    page = client.get(f"/sessions/{session.pk}/screen/").content.decode()
    assert "签到已结束" in page and 'data-testid="check-in-ended" hidden' not in page
    assert 'data-role="live" hidden' in page
    assert re.search(r'data-role="qr"[^>]*></div>', page) and 'data-testid="check-in-code"></p>' in page
    state = client.get(f"/sessions/{session.pk}/screen.json").json()
    assert state["closed"] is True and "code" not in state and "qr_svg" not in state


def in_run(cohort, month=4, day=16):
    """A date inside the cohort's run (factory cohorts have varying years)."""
    date = dt.date(cohort.starts_on.year, month, day)
    assert cohort.starts_on <= date <= cohort.ends_on
    return date


def schedule(world, *, date=None, start=dt.time(9, 0), **window):
    return services.session_create(
        lesson=world.skills_lesson,
        date=date or in_run(world.cohort),
        start_time=start,
        end_time=dt.time(11, 0),
        place="河岗社区党群服务中心",
        actor=world.staff,
        **window,
    )


def test_a_session_keeps_its_own_check_in_window(world):
    session = schedule(world, check_in_minutes_before=10, check_in_minutes_after=15)
    assert session.check_in_closes_at - session.starts_at == timedelta(minutes=15)
    assert session.starts_at - session.check_in_opens_at == timedelta(minutes=10)
    assert (session.check_in_minutes_before, session.check_in_minutes_after) == (10, 15)


def test_default_window_is_thirty_minutes_either_side(world):
    session = schedule(world)
    assert session.check_in_closes_at - session.check_in_opens_at == timedelta(minutes=60)


def test_a_short_window_refuses_a_check_in_after_it(world, clock):
    session = schedule(world, start=SESSION_START.time(), check_in_minutes_after=5)
    clock.set(session.starts_at + timedelta(minutes=6))
    with pytest.raises(CheckInRefused) as refused:
        services.attendance_check_in(session=session, user=world.trainee, code="000000")
    assert refused.value.code == "check_in_closed"


@pytest.mark.parametrize(
    ("before", "after", "text"),
    [
        ("-5", "30", "Check-in opens (minutes before the start): Ensure this value is greater than or equal to 0."),
        ("30", "721", "Check-in closes (minutes after the start): Ensure this value is less than or equal to 720."),
        ("三十", "30", "Check-in opens (minutes before the start): Enter a whole number."),
        ("0", "0", "The check-in window cannot be empty."),
    ],
)
def test_bad_window_on_the_page_shows_a_message_and_changes_nothing(client, world, before, after, text):
    client.force_login(world.staff)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = {
        "lesson": world.skills_lesson.pk,
        "date": in_run(world.cohort).isoformat(),
        "start_time": "09:00",
        "end_time": "11:30",
    }
    response = client.post(
        f"/cohorts/{world.cohort.pk}/sessions/",
        {**body, "place": "教室", "check_in_minutes_before": before, "check_in_minutes_after": after},
    )
    assert response.status_code == 400
    assert text in response.content.decode()
    assert not Session.objects.exists()


def test_the_page_form_sets_the_window(client, world):
    client.force_login(world.staff)
    page = client.get(f"/cohorts/{world.cohort.pk}/").content.decode()
    assert 'name="check_in_minutes_before"' in page and 'value="30"' in page
    body = {
        "lesson": world.skills_lesson.pk,
        "date": in_run(world.cohort).isoformat(),
        "start_time": "09:00",
        "end_time": "11:30",
    }
    client.post(
        f"/cohorts/{world.cohort.pk}/sessions/",
        {**body, "place": "教室", "check_in_minutes_before": "45", "check_in_minutes_after": "20"},
    )
    session = Session.objects.get()
    assert (session.check_in_minutes_before, session.check_in_minutes_after) == (45, 20)


def test_service_refuses_a_window_out_of_range(world):
    with translation.override("en"), pytest.raises(ValidationFailed) as error:
        schedule(world, check_in_minutes_before=-1)
    assert error.value.code == "invalid_window"
    assert error.value.message == "Enter a number of minutes from 0 to 720."
    assert not Session.objects.exists()
