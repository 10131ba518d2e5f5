"""One "attended", one attendance share, one "check-in open": every page shows the same number and state.

Excused leaves a session out of the share; a withdrawn trainee leaves every count.
"""

import re
from datetime import timedelta

import pytest

from courses import checkin_codes, services
from courses.models import Attendance, AttendanceSource, AttendanceStatus, EnrolmentStatus, Session
from tests.courses.conftest import SESSION_START
from tests.courses.factories import EnrolmentFactory

pytestmark = pytest.mark.django_db


def _mark(world, session, enrolment, status):
    Attendance.objects.create(
        session=session, enrolment=enrolment, status=status, source=AttendanceSource.INSTRUCTOR, recorded_by=world.staff
    )


@pytest.fixture
def marked(world, session):
    """30 trainees at one held session: 26 present, 1 late, 2 excused, 1 absent; one withdrawn who was present."""
    statuses = ["present"] * 25 + ["late", "excused", "excused", "absent"]
    _mark(world, session, world.enrolment, "present")
    for status in statuses:
        _mark(world, session, EnrolmentFactory(cohort=world.cohort, community=world.community), status)
    withdrawn = EnrolmentFactory(cohort=world.cohort, community=world.community)
    _mark(world, session, withdrawn, "present")
    withdrawn.status = EnrolmentStatus.WITHDRAWN
    withdrawn.save(update_fields=["status"])
    return session


def _share(page: str, session_id: int) -> str:
    return re.search(rf'data-session="{session_id}" data-share="(\d*)"', page).group(1)


def test_staff_home_dashboard_and_cohort_page_show_the_same_share(client, world, marked, clock):
    clock.set(SESSION_START + timedelta(days=1))
    client.force_login(world.staff)
    pages = {
        "cohort page": client.get(f"/cohorts/{world.cohort.pk}/"),
        "staff home": client.get("/todo/staff/"),
        "dashboard": client.get(f"/cohorts/{world.cohort.pk}/dashboard/"),
    }
    shares = {name: _share(response.content.decode(), marked.pk) for name, response in pages.items()}
    # 27 attended of 30 active, 2 excused left out: 27 / 28 = 96 %; the withdrawn trainee counts nowhere.
    assert shares == {"cohort page": "96", "staff home": "96", "dashboard": "96"}
    assert "27/28" in pages["staff home"].content.decode()


def test_attended_query_and_predicate_agree(world, session):
    for status in AttendanceStatus.values:
        _mark(world, session, EnrolmentFactory(cohort=world.cohort, community=world.community), status)
    attended = set(Attendance.objects.attended().values_list("pk", flat=True))
    assert attended == {a.pk for a in Attendance.objects.all() if a.is_attended}
    assert {a.status for a in Attendance.objects.attended()} == {"present", "late"}


@pytest.mark.parametrize("minutes", [-31, -30, 0, 30, 31])
def test_check_in_open_query_and_predicate_agree(world, session, minutes):
    when = SESSION_START + timedelta(minutes=minutes)
    by_query = Session.objects.check_in_open_at(when).filter(pk=session.pk).exists()
    assert by_query == session.is_check_in_open_at(when) == (-30 <= minutes <= 30)


def test_trainee_home_says_checked_in_after_checking_in(client, world, session, clock):
    client.force_login(world.trainee)
    page = client.get("/todo/trainee/").content.decode()
    assert 'data-testid="check-in-link"' in page and "立即签到" in page
    services.attendance_check_in(session=session, user=world.trainee, code=checkin_codes.code_for(session.pk))
    page = client.get("/todo/trainee/").content.decode()
    assert 'data-testid="checked-in"' in page and "已签到" in page
    assert 'data-testid="check-in-link"' not in page and "立即签到" not in page


@pytest.mark.parametrize(("minutes", "live"), [(-40, False), (-5, True), (45, False)])
def test_check_in_screen_shows_a_code_only_while_the_window_is_open(client, world, session, clock, minutes, live):
    clock.set(SESSION_START + timedelta(minutes=minutes))
    client.force_login(world.instructor)
    code = checkin_codes.code_for(session.pk)
    page = client.get(f"/sessions/{session.pk}/screen/").content.decode()
    state = client.get(f"/sessions/{session.pk}/screen.json").json()
    assert (code in page) is live
    assert ("code" in state) is live and state["open"] is live
