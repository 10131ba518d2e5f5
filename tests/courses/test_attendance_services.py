import datetime as dt
from datetime import timedelta

import pytest

from courses import checkin_codes, services
from courses.models import Attendance, AttendanceCorrection, AttendanceStatus, EnrolmentStatus, Session
from lms.errors import NotAllowed, ValidationFailed
from lms.models import AuditEntry
from tests.courses.conftest import SESSION_START
from tests.courses.factories import EnrolmentFactory, TeachingFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


# --- scheduling


def test_session_gets_a_default_check_in_window_around_its_start(world):
    session = services.session_create(
        lesson=world.basics_lessons[0],
        date=dt.date(world.cohort.year, 4, 9),
        start_time=dt.time(9, 0),
        end_time=dt.time(11, 30),
        place="南海区社区治理学院",
        address="桂城街道",
        instructors=[world.instructor],
        actor=world.staff,
    )
    start = SESSION_START.replace(year=world.cohort.year)
    assert session.cohort == world.cohort
    assert session.starts_at == start
    assert session.check_in_opens_at == start - timedelta(minutes=30)
    assert session.check_in_closes_at == start + timedelta(minutes=30)
    assert list(session.instructors.all()) == [world.instructor]


def test_session_ending_before_it_starts_is_refused(world):
    with pytest.raises(ValidationFailed) as error:
        services.session_create(
            lesson=world.basics_lessons[0],
            date=dt.date(world.cohort.year, 4, 9),
            start_time=dt.time(11, 0),
            end_time=dt.time(9, 0),
            place="教室",
            actor=world.instructor,
        )
    assert error.value.code == "end_before_start"
    assert "end after it starts" in str(error.value.message)
    assert not Session.objects.exists()


def test_instructor_of_another_cohort_cannot_schedule(world):
    with pytest.raises(NotAllowed) as caught:
        services.session_create(
            lesson=world.basics_lessons[0],
            date=dt.date(world.cohort.year, 4, 9),
            start_time=dt.time(9, 0),
            end_time=dt.time(10, 0),
            place="教室",
            actor=world.other_instructor,
        )
    assert caught.value.code == "not_allowed"
    assert not Session.objects.exists()


def test_session_led_by_someone_who_does_not_teach_the_cohort_is_refused(world):
    with pytest.raises(ValidationFailed) as error:
        services.session_create(
            lesson=world.basics_lessons[0],
            date=dt.date(world.cohort.year, 4, 9),
            start_time=dt.time(9, 0),
            end_time=dt.time(10, 0),
            place="教室",
            instructors=[world.other_instructor],
            actor=world.staff,
        )
    assert error.value.code == "not_cohort_instructor"
    assert not Session.objects.exists()


# --- self check-in


def test_check_in_with_the_current_code_records_present_once(world, session, clock):
    attendance, created = services.attendance_check_in(
        session=session, user=world.trainee, code=checkin_codes.code_for(session.pk)
    )
    assert created and attendance.status == AttendanceStatus.PRESENT and attendance.source == "self"
    again, created_again = services.attendance_check_in(
        session=session, user=world.trainee, code=checkin_codes.code_for(session.pk)
    )
    assert not created_again and again.pk == attendance.pk
    assert Attendance.objects.count() == 1


def test_check_in_again_after_the_window_closed_says_already_checked_in(world, session, clock):
    services.attendance_check_in(session=session, user=world.trainee, code=checkin_codes.code_for(session.pk))
    clock.advance(hours=3)
    _attendance, created = services.attendance_check_in(session=session, user=world.trainee, code="000000")
    assert not created
    assert Attendance.objects.count() == 1


def test_check_in_after_ten_minutes_counts_as_late(world, session, clock):
    clock.set(SESSION_START + timedelta(minutes=15))
    attendance, _created = services.attendance_check_in(
        session=session, user=world.trainee, token=checkin_codes.token_for(session.pk)
    )
    assert attendance.status == AttendanceStatus.LATE


def test_code_of_the_previous_minute_still_works_but_not_older(world, session, clock):
    old_code = checkin_codes.code_for(session.pk)
    clock.advance(seconds=60)
    assert checkin_codes.code_is_valid(session.pk, old_code)
    clock.advance(seconds=60)
    assert not checkin_codes.code_is_valid(session.pk, old_code)


def _refused(world, session, *, user=None, code="", token="", expected_code):
    with pytest.raises(services.CheckInRefused) as error:
        services.attendance_check_in(session=session, user=user or world.trainee, code=code, token=token)
    assert error.value.code == expected_code
    assert 400 <= error.value.status_code < 500
    assert not Attendance.objects.exists()
    return error.value


def test_wrong_code_is_refused(world, session, clock):
    right = checkin_codes.code_for(session.pk)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    error = _refused(world, session, code=wrong, expected_code="wrong_code")
    assert "code is wrong" in str(error.message)


def test_code_of_another_session_never_marks_this_one(world, session, clock):
    from tests.courses.factories import SessionFactory

    later = SessionFactory(lesson=world.basics_lessons[1], starts_at=SESSION_START)
    _refused(world, session, code=checkin_codes.code_for(later.pk), expected_code="wrong_code")
    _refused(world, session, token=checkin_codes.token_for(later.pk), expected_code="invalid_token")


def test_tampered_token_is_refused(world, session, clock):
    token = checkin_codes.token_for(session.pk)
    _refused(world, session, token=token[:-2] + "xx", expected_code="invalid_token")


def test_check_in_before_the_window_opens_is_refused(world, session, clock):
    clock.set(SESSION_START - timedelta(minutes=31))
    error = _refused(world, session, code=checkin_codes.code_for(session.pk), expected_code="check_in_not_open")
    assert error.status_code == 409


def test_check_in_after_the_window_closed_is_refused(world, session, clock):
    clock.set(SESSION_START + timedelta(minutes=31))
    _refused(world, session, code=checkin_codes.code_for(session.pk), expected_code="check_in_closed")


@pytest.mark.parametrize("who", ["other_trainee", "stranger"])
def test_someone_who_may_not_see_the_session_is_told_it_does_not_exist(world, session, clock, who, english):
    from lms.errors import NotFound

    with pytest.raises(NotFound) as caught:
        services.attendance_check_in(
            session=session, user=getattr(world, who), code=checkin_codes.code_for(session.pk)
        )
    assert caught.value.code == "not_found" and str(caught.value.message) == "This session does not exist."
    assert not Attendance.objects.exists()


def test_someone_who_sees_the_session_but_is_not_enrolled_gets_an_explicit_refusal(world, session, clock):
    for user in (world.instructor, world.staff):
        _refused(world, session, user=user, code=checkin_codes.code_for(session.pk), expected_code="not_enrolled")


def test_withdrawn_trainee_cannot_check_in(world, session, clock):
    services.enrolment_withdraw(enrolment=world.enrolment, reason="搬迁", actor=world.staff)
    world.trainee.refresh_from_db()
    from lms.errors import NotFound

    with pytest.raises(NotFound) as raised:  # no longer sees the cohort: the session answers as missing
        services.attendance_check_in(session=session, user=world.trainee, code=checkin_codes.code_for(session.pk))
    assert raised.value.code == "not_found"
    assert not Attendance.objects.exists()


def test_guessing_codes_is_stopped_after_ten_tries(world, session, clock, settings):
    right = checkin_codes.code_for(session.pk)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(services.attendance.MAX_FAILED_ATTEMPTS):
        _refused(world, session, code=wrong, expected_code="wrong_code")
    _refused(world, session, code=right, expected_code="too_many_attempts")


# --- instructor records and corrections


def test_instructor_records_attendance_in_one_tap(world, session):
    attendance = services.attendance_record(
        session=session, enrolment=world.enrolment, status=AttendanceStatus.EXCUSED, actor=world.instructor
    )
    assert attendance.status == "excused" and attendance.source == "instructor"
    assert attendance.recorded_by == world.instructor
    assert not AttendanceCorrection.objects.exists()


def test_instructor_of_another_cohort_cannot_record_attendance(world, session):
    with pytest.raises(NotAllowed) as error:
        services.attendance_record(
            session=session, enrolment=world.enrolment, status=AttendanceStatus.PRESENT, actor=world.other_instructor
        )
    assert error.value.code == "not_allowed"
    assert error.value.status_code == 403
    assert not Attendance.objects.exists()


def test_trainee_cannot_record_attendance(world, session):
    with pytest.raises(NotAllowed) as caught:
        services.attendance_record(
            session=session, enrolment=world.enrolment, status=AttendanceStatus.PRESENT, actor=world.trainee
        )
    assert caught.value.code == "not_allowed"
    assert not Attendance.objects.exists()


def test_recording_a_trainee_of_another_cohort_is_refused(world, session):
    with pytest.raises(ValidationFailed) as error:
        services.attendance_record(
            session=session, enrolment=world.other_enrolment, status=AttendanceStatus.PRESENT, actor=world.staff
        )
    assert error.value.code == "not_in_cohort"
    assert not Attendance.objects.exists()


def test_unknown_status_is_refused(world, session):
    with pytest.raises(ValidationFailed) as error:
        services.attendance_record(session=session, enrolment=world.enrolment, status="asleep", actor=world.instructor)
    assert error.value.code == "invalid_status"
    assert not Attendance.objects.exists()


def test_changing_a_record_on_the_sheet_keeps_the_correction(world, session, clock):
    attendance, _ = services.attendance_check_in(
        session=session, user=world.trainee, code=checkin_codes.code_for(session.pk)
    )
    services.attendance_record(
        session=session, enrolment=world.enrolment, status=AttendanceStatus.LATE, actor=world.instructor
    )
    attendance.refresh_from_db()
    assert attendance.status == "late"
    correction = attendance.corrections.get()
    assert (correction.old_status, correction.new_status, correction.corrected_by) == (
        "present",
        "late",
        world.instructor,
    )


def test_correction_is_kept_with_who_when_and_why(world, session, clock):
    attendance = services.attendance_record(
        session=session, enrolment=world.enrolment, status=AttendanceStatus.ABSENT, actor=world.instructor
    )
    correction = services.attendance_correct(
        attendance=attendance, status=AttendanceStatus.EXCUSED, reason="提前请假", actor=world.staff
    )
    assert correction.reason == "提前请假" and correction.corrected_by == world.staff
    assert correction.corrected_at == clock.now
    attendance.refresh_from_db()
    assert attendance.status == "excused"
    audit = AuditEntry.objects.get(verb="attendance.corrected")
    assert audit.actor == world.staff and audit.data["old"] == "absent" and audit.data["new"] == "excused"


def test_correction_without_reason_changes_nothing(world, session):
    attendance = services.attendance_record(
        session=session, enrolment=world.enrolment, status=AttendanceStatus.ABSENT, actor=world.instructor
    )
    with pytest.raises(ValidationFailed) as error:
        services.attendance_correct(attendance=attendance, status="present", reason="  ", actor=world.instructor)
    assert error.value.code == "reason_required"
    attendance.refresh_from_db()
    assert attendance.status == "absent" and not AttendanceCorrection.objects.exists()


def test_correction_by_instructor_of_another_cohort_is_refused(world, session):
    attendance = services.attendance_record(
        session=session, enrolment=world.enrolment, status=AttendanceStatus.ABSENT, actor=world.instructor
    )
    with pytest.raises(NotAllowed) as caught:
        services.attendance_correct(attendance=attendance, status="present", reason="x", actor=world.other_instructor)
    assert caught.value.code == "not_allowed"
    attendance.refresh_from_db()
    assert attendance.status == "absent" and not AttendanceCorrection.objects.exists()


def test_withdrawn_trainee_is_left_off_records(world, session):
    withdrawn = EnrolmentFactory(cohort=world.cohort, status=EnrolmentStatus.WITHDRAWN)
    TeachingFactory(cohort=world.cohort)
    with pytest.raises(ValidationFailed) as caught:
        services.attendance_record(session=session, enrolment=withdrawn, status="present", actor=world.instructor)
    assert caught.value.code == "not_in_cohort"
