"""A QR scanned in a dead zone and sent later by the field outbox: accepted by the token's own signed moment."""

from datetime import timedelta

import pytest

from courses import checkin_codes, services
from courses.models import Attendance, AttendanceSource, AttendanceStatus
from courses.services.attendance import LATE_AFTER, CheckInRefused
from tests.courses.conftest import SESSION_START

pytestmark = pytest.mark.django_db

SCANNED = "2022-04-09T01:10:00.000Z"


def scanned_token(session, clock, at):
    clock.set(at)
    return checkin_codes.token_for(session.pk)


def test_a_token_scanned_in_the_window_counts_when_it_arrives_later(client, world, session, clock):
    shown = SESSION_START + timedelta(minutes=10)
    token = scanned_token(session, clock, shown)
    clock.set(shown + timedelta(minutes=100))  # the window closed long ago; the network came back
    client.force_login(world.trainee)
    response = client.post(f"/check-in/{session.pk}/", {"token": token, "scanned_at": SCANNED})
    assert response.status_code == 200
    assert 'data-testid="offline-check-in"' in response.content.decode() and "离线签到" in response.content.decode()
    attendance = Attendance.objects.get()
    assert attendance.source == AttendanceSource.OFFLINE
    slot_start = checkin_codes.token_moment(session.pk, token)
    assert attendance.checked_in_at == slot_start and slot_start <= shown
    late = slot_start > session.starts_at + LATE_AFTER
    assert attendance.status == (AttendanceStatus.LATE if late else AttendanceStatus.PRESENT)


def test_the_same_old_token_without_the_outbox_is_refused_as_today(world, session, clock):
    token = scanned_token(session, clock, SESSION_START)
    clock.set(SESSION_START + timedelta(minutes=10))
    with pytest.raises(CheckInRefused) as caught:
        services.attendance_check_in(session=session, user=world.trainee, token=token)
    assert caught.value.code == "invalid_token"
    assert not Attendance.objects.exists()


def test_after_the_grace_period_an_offline_scan_is_refused(world, session, clock, english):
    shown = SESSION_START + timedelta(minutes=10)
    token = scanned_token(session, clock, shown)
    clock.set(shown + checkin_codes.OFFLINE_GRACE + timedelta(minutes=2))
    with pytest.raises(CheckInRefused) as caught:
        services.attendance_check_in(session=session, user=world.trainee, token=token, offline=True)
    assert caught.value.code == "offline_too_late"
    assert "more than 2 hours ago" in str(caught.value.message)
    assert not Attendance.objects.exists()


def test_a_token_shown_before_the_window_opened_is_refused(world, session, clock):
    token = scanned_token(session, clock, session.check_in_opens_at - timedelta(minutes=5))
    clock.set(session.check_in_opens_at + timedelta(minutes=10))
    with pytest.raises(CheckInRefused) as caught:
        services.attendance_check_in(session=session, user=world.trainee, token=token, offline=True)
    assert caught.value.code == "offline_outside_window"
    assert not Attendance.objects.exists()


def test_another_sessions_token_is_refused_offline_too(world, session, other_session, clock):
    from tests.courses.factories import SessionFactory

    sibling = SessionFactory(lesson=world.basics_lessons[1], starts_at=SESSION_START)
    token = scanned_token(sibling, clock, SESSION_START)
    clock.set(SESSION_START + timedelta(minutes=20))
    with pytest.raises(CheckInRefused) as caught:
        services.attendance_check_in(session=session, user=world.trainee, token=token, offline=True)
    assert caught.value.code == "invalid_token"
    assert not Attendance.objects.exists()


def test_a_replayed_offline_check_in_keeps_one_row(world, session, clock):
    token = scanned_token(session, clock, SESSION_START)
    clock.set(SESSION_START + timedelta(minutes=50))
    first, created = services.attendance_check_in(session=session, user=world.trainee, token=token, offline=True)
    again, created_again = services.attendance_check_in(session=session, user=world.trainee, token=token, offline=True)
    assert created and not created_again and first.pk == again.pk
    assert Attendance.objects.count() == 1


def test_a_typed_code_never_counts_offline(world, session, clock):
    clock.set(SESSION_START)
    code = checkin_codes.code_for(session.pk)
    clock.set(SESSION_START + timedelta(minutes=10))
    with pytest.raises(CheckInRefused) as caught:
        services.attendance_check_in(session=session, user=world.trainee, code=code, offline=True)
    assert caught.value.code == "wrong_code"
    assert not Attendance.objects.exists()


def test_the_api_takes_the_scan_time(world, session, clock):
    from rest_framework.test import APIClient

    token = scanned_token(session, clock, SESSION_START)
    clock.set(SESSION_START + timedelta(minutes=45))
    client = APIClient()
    client.force_authenticate(world.trainee)
    body = {"session": session.pk, "token": token, "scanned_at": SCANNED}
    response = client.post("/api/v1/check-in/", body, format="json")
    assert response.status_code == 201, response.content
    assert Attendance.objects.get().source == AttendanceSource.OFFLINE
    refused = client.post("/api/v1/check-in/", {**body, "scanned_at": None}, format="json")
    assert refused.status_code == 200  # already checked in: the existing row, as today
