"""State changes of in-person sessions and their attendance."""

import datetime as dt
from contextlib import nullcontext
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status as http

from courses import checkin_codes
from courses.models import (
    ATTENDED,
    Attendance,
    AttendanceCorrection,
    AttendanceSource,
    AttendanceStatus,
    Enrolment,
    EnrolmentStatus,
    Lesson,
    LessonKind,
    Session,
    Teaching,
)
from lms.access import not_found
from lms.audit import audit_record
from lms.counters import counter_hit, counter_value
from lms.errors import ApplicationError, NotAllowed, NotFound, ValidationFailed
from lms.models import User
from lms.services.places import check_choosable

CHECK_IN_BEFORE_MINUTES = 30
CHECK_IN_AFTER_MINUTES = 30
# The longest a check-in window may reach either side of the start.
CHECK_IN_MAX_MINUTES = 720
# A self check-in this long after the start counts as late.
LATE_AFTER = timedelta(minutes=10)
# Wrong codes a trainee may type per session within FAILED_WINDOW before being made to wait: a 6-digit
# code cannot then be guessed while the window is open.
MAX_FAILED_ATTEMPTS = 10
FAILED_WINDOW_SECONDS = 600


class CheckInRefused(ApplicationError):
    """A check-in that did not happen, with the reason as a machine code."""

    STATUS = {
        "not_enrolled": http.HTTP_403_FORBIDDEN,
        "other_cohort": http.HTTP_403_FORBIDDEN,
        "not_expected": http.HTTP_403_FORBIDDEN,
        "check_in_not_open": http.HTTP_409_CONFLICT,
        "check_in_closed": http.HTTP_409_CONFLICT,
        "too_many_attempts": http.HTTP_429_TOO_MANY_REQUESTS,
    }

    def __init__(self, message, *, code: str):
        super().__init__(message, code=code)
        self.status_code = self.STATUS.get(code, http.HTTP_400_BAD_REQUEST)


def session_values(
    *,
    cohort,
    lesson: Lesson,
    date: dt.date,
    start_time: dt.time,
    end_time: dt.time,
    place: str,
    address: str = "",
    instructors=(),
    team=None,
    community=None,
    keep_community_id: int | None = None,
    check_in_minutes_before: int = CHECK_IN_BEFORE_MINUTES,
    check_in_minutes_after: int = CHECK_IN_AFTER_MINUTES,
) -> tuple[dict, list]:
    """The one set of rules for a session, whoever schedules it: returns (model values, instructors).

    Inside the cohort's run, an in-person lesson of the cohort, an end after the start, a check-in
    window of 0..CHECK_IN_MAX_MINUTES either side, a place, instructors who teach the cohort, and for
    field guidance the team or community it serves.
    """
    if lesson.module.cohort_id != cohort.pk:
        raise ValidationFailed(_("Choose a lesson of this cohort."), fields={"lesson": [_("Unknown lesson.")]})
    if not lesson.is_in_person:
        raise ValidationFailed(
            _("Reading lessons have no in-person sessions."), fields={"lesson": [_("Choose an in-person lesson.")]}
        )
    if not (cohort.starts_on <= date <= cohort.ends_on):
        raise ValidationFailed(
            _("The session must fall within the cohort's run (%(start)s to %(end)s).")
            % {"start": cohort.starts_on, "end": cohort.ends_on},
            code="outside_cohort_run",
            fields={"date": [_("Choose a date within the cohort's run.")]},
        )
    if end_time <= start_time:
        raise ValidationFailed(
            _("The session must end after it starts."),
            code="end_before_start",
            fields={"end_time": [_("The end must be after the start.")]},
        )
    window_errors = {
        name: [_("Enter a number of minutes from 0 to %(max)d.") % {"max": CHECK_IN_MAX_MINUTES}]
        for name, value in (
            ("check_in_minutes_before", check_in_minutes_before),
            ("check_in_minutes_after", check_in_minutes_after),
        )
        if not 0 <= value <= CHECK_IN_MAX_MINUTES
    }
    if not window_errors and check_in_minutes_before + check_in_minutes_after == 0:
        window_errors = {"check_in_minutes_after": [_("The check-in window cannot be empty.")]}
    if window_errors:
        raise ValidationFailed(next(iter(window_errors.values()))[0], code="invalid_window", fields=window_errors)
    place = (place or "").strip()
    if not place:
        raise ValidationFailed(
            _("Say where the session takes place."), fields={"place": [_("This field is required.")]}
        )
    if lesson.kind == LessonKind.FIELD_GUIDANCE:
        if team is None and community is None:
            raise ValidationFailed(
                _("Say which team or community this field guidance serves."),
                fields={"team": [_("Choose a team or a community.")]},
            )
        if team is not None and team.cohort_id != cohort.pk:
            raise ValidationFailed(_("Choose a team of this cohort."), fields={"team": [_("Unknown team.")]})
        if community is not None and community.town.district_id != cohort.district_id:
            raise ValidationFailed(
                _("Choose a community of the cohort's district."), fields={"community": [_("Unknown community.")]}
            )
        check_choosable(community, keep_id=keep_community_id)  # a moved session may keep a retired one
    elif team is not None or community is not None:
        raise ValidationFailed(
            _("Only field-guidance sessions serve a team or a community."), fields={"team": [_("Leave empty.")]}
        )
    instructors = list(instructors)
    teaching = set(
        Teaching.objects.filter(cohort=cohort, instructor__in=instructors).values_list("instructor_id", flat=True)
    )
    if outsiders := [i for i in instructors if i.pk not in teaching]:
        raise ValidationFailed(
            _("%(names)s does not teach this cohort.") % {"names": "、".join(str(i) for i in outsiders)},
            code="not_cohort_instructor",
            fields={"instructors": [_("Choose instructors of this cohort.")]},
        )
    zone = timezone.get_current_timezone()
    starts_at = dt.datetime.combine(date, start_time, tzinfo=zone)
    try:  # the check-in window of a session at the edge of the calendar (9999-12-31 23:45) overflows
        opens_at = starts_at - timedelta(minutes=check_in_minutes_before)
        closes_at = starts_at + timedelta(minutes=check_in_minutes_after)
    except OverflowError:
        message = _("Choose a date within the cohort's run.")
        raise ValidationFailed(message, code="outside_cohort_run", fields={"date": [message]}) from None
    values = {
        "lesson": lesson,
        "starts_at": starts_at,
        "ends_at": dt.datetime.combine(date, end_time, tzinfo=zone),
        "place": place,
        "address": (address or "").strip(),
        "team": team,
        "community": community,
        "check_in_opens_at": opens_at,
        "check_in_closes_at": closes_at,
        "check_in_minutes_before": check_in_minutes_before,
        "check_in_minutes_after": check_in_minutes_after,
    }
    return values, instructors


@transaction.atomic
def tell(event: str, **details) -> None:
    """Run the functions apps above registered for this event (notifications tells people); in the caller's
    transaction."""
    from lms import registry

    for function in registry.hooks(event):
        function(**details)


def session_create(*, lesson: Lesson, actor: User, **fields) -> Session:
    """Schedule an in-person session of a lesson (instructors and staff of its cohort); see session_values."""
    cohort = lesson.module.cohort
    if not actor.has_perm("courses.schedule_session", cohort):
        raise NotAllowed(_("You cannot schedule sessions for this cohort."))
    values, instructors = session_values(cohort=cohort, lesson=lesson, **fields)
    session = Session.objects.create(cohort=cohort, **values)
    session.instructors.set(instructors)
    audit_record(actor=actor, verb="session.created", target=session, lesson=lesson.pk)
    tell("session_added", session=session)
    return session


def _refuse_stranger(*, session: Session, user: User) -> None:
    # Someone who may not see the session gets the answer a missing session gets: ids cannot be probed.
    if not user.has_perm("courses.view_cohort_content", session):
        raise NotFound(_("This session does not exist."))
    raise CheckInRefused(_("You are not enrolled in this cohort, so you cannot check in here."), code="not_enrolled")


def _not_for_you(session: Session) -> str:
    if session.team_id is not None:
        return _("This session is for the team “%(team)s” only, so you cannot check in here.") % {
            "team": session.team.name
        }
    return _("This session is for the trainees of %(community)s only, so you cannot check in here.") % {
        "community": session.community.name
    }


def _failed_attempt(*, session: Session, user: User) -> None:
    counter_hit(f"check-in-failures:{session.pk}:{user.pk}", FAILED_WINDOW_SECONDS)


def _too_many_failures(*, session: Session, user: User) -> bool:
    return counter_value(f"check-in-failures:{session.pk}:{user.pk}") >= MAX_FAILED_ATTEMPTS


def _offline_moment(*, session: Session, token: str, now) -> dt.datetime | None:
    """The signed moment of a QR token scanned offline and sent later, when it may count; None if not such a token.

    It counts when it is this session's, was shown inside the check-in window and arrives within
    OFFLINE_GRACE of being shown; the moment then stands for the time of the check-in.
    """
    moment = checkin_codes.token_moment(session.pk, token)
    if moment is None or checkin_codes.token_is_valid(session.pk, token):
        return None  # not this session's token (refused below as today), or fresh: an ordinary check-in
    if now - moment > checkin_codes.OFFLINE_GRACE:
        raise CheckInRefused(
            _(
                "This check-in was scanned without a network more than %(hours)d hours ago and can no longer be "
                "accepted. Ask the instructor to record your attendance."
            )
            % {"hours": checkin_codes.OFFLINE_GRACE.total_seconds() // 3600},
            code="offline_too_late",
        )
    if not session.is_check_in_open_at(moment):
        raise CheckInRefused(
            _("This QR code was scanned outside the session's check-in time."), code="offline_outside_window"
        )
    return moment


def attendance_check_in(
    *, session: Session, user: User, token: str = "", code: str = "", offline: bool = False
) -> tuple[Attendance, bool]:
    """Check the user in at this session with the screen's token or short code.

    Idempotent: a second check-in returns the existing row and created=False. The credential binds to this
    session only; nothing is written when the check-in is refused. With `offline` (a QR scanned without a
    network and sent by the field outbox), an older token of this session counts at its signed moment and is
    marked as an offline check-in (`_offline_moment`); a typed code never does.
    """
    # One query for the enrolment and any attendance it already has: this path takes the check-in rush.
    enrolment = (
        Enrolment.objects.filter(cohort_id=session.cohort_id, trainee=user, status=EnrolmentStatus.ACTIVE)
        .annotate(
            attendance_id=Subquery(
                Attendance.objects.filter(session=session, enrolment=OuterRef("pk")).values("pk")[:1]
            )
        )
        .only("id", "cohort_id", "trainee_id", "team_id", "community_id")
        .order_by("pk")
        .first()
    )
    if enrolment is None:
        _refuse_stranger(session=session, user=user)
    if enrolment.attendance_id is not None:
        return Attendance.objects.get(pk=enrolment.attendance_id), False
    if not session.is_expected_of(enrolment):
        raise CheckInRefused(_not_for_you(session), code="not_expected")
    arrived = timezone.now()
    moment = _offline_moment(session=session, token=token, now=arrived) if offline and token else None
    now = moment or arrived
    if not session.is_check_in_open_at(now):
        if now < session.check_in_opens_at:
            raise CheckInRefused(
                _("Check-in opens at %(time)s.")
                % {"time": timezone.localtime(session.check_in_opens_at).strftime("%H:%M")},
                code="check_in_not_open",
            )
        raise CheckInRefused(
            _("Check-in closed at %(time)s. Ask the instructor to record your attendance.")
            % {"time": timezone.localtime(session.check_in_closes_at).strftime("%H:%M")},
            code="check_in_closed",
        )
    if _too_many_failures(session=session, user=user):
        raise CheckInRefused(_("Too many wrong codes. Wait a few minutes, then try again."), code="too_many_attempts")
    if moment is not None:
        pass  # its signature and moment were checked by _offline_moment
    elif token:
        if not checkin_codes.token_is_valid(session.pk, token):
            _failed_attempt(session=session, user=user)
            raise CheckInRefused(
                _("This QR code has expired or is for another session. Scan the screen again, or type the code."),
                code="invalid_token",
            )
    elif not checkin_codes.code_is_valid(session.pk, code):
        _failed_attempt(session=session, user=user)
        raise CheckInRefused(
            _("This code is wrong or has expired. Type the code now shown on the screen."), code="wrong_code"
        )
    status = AttendanceStatus.LATE if now > session.starts_at + LATE_AFTER else AttendanceStatus.PRESENT
    try:
        # A savepoint only inside a caller's transaction; on its own the INSERT commits by itself, which saves
        # the BEGIN and COMMIT round trips in the rush. Either way a losing duplicate leaves nothing behind.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            attendance = Attendance.objects.create(
                session=session,
                enrolment=enrolment,
                status=status,
                source=AttendanceSource.OFFLINE if moment is not None else AttendanceSource.SELF,
                recorded_by=user,
                checked_in_at=now,
            )
    except IntegrityError:  # the same trainee's second phone won the race, or the session was just deleted
        if (existing := Attendance.objects.filter(session=session, enrolment=enrolment).first()) is None:
            raise not_found() from None
        return existing, False
    return attendance, True


def _validate_status(status: str) -> None:
    if status not in AttendanceStatus.values:
        raise ValidationFailed(
            _("Choose present, late, excused or absent."),
            code="invalid_status",
            fields={"status": [_("Choose present, late, excused or absent.")]},
        )


def _change_status(*, attendance: Attendance, status: str, reason: str, actor: User) -> AttendanceCorrection:
    correction = AttendanceCorrection.objects.create(
        attendance=attendance, corrected_by=actor, old_status=attendance.status, new_status=status, reason=reason
    )
    attendance.status = status
    attendance.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        verb="attendance.corrected",
        target=attendance,
        old=correction.old_status,
        new=status,
        reason=reason,
    )
    return correction


@transaction.atomic
def attendance_record(*, session: Session, enrolment: Enrolment, status: str, actor: User) -> Attendance:
    """Record a trainee's attendance from the sheet (one tap). Changing an existing record keeps a correction."""
    if not actor.has_perm("courses.record_attendance", session):
        raise NotAllowed(_("You cannot record attendance for this session."))
    _validate_status(status)
    if enrolment.cohort_id != session.cohort_id or enrolment.status != EnrolmentStatus.ACTIVE:
        raise ValidationFailed(_("This trainee is not an active member of the session's cohort."), code="not_in_cohort")
    if not session.is_expected_of(enrolment):
        raise ValidationFailed(_not_for_you(session), code="not_expected")
    attendance = Attendance.objects.select_for_update().filter(session=session, enrolment=enrolment).first()
    if attendance is None:
        try:
            with transaction.atomic():
                return Attendance.objects.create(
                    session=session,
                    enrolment=enrolment,
                    status=status,
                    source=AttendanceSource.INSTRUCTOR,
                    recorded_by=actor,
                    checked_in_at=timezone.now() if status in ATTENDED else None,
                )
        except IntegrityError:  # the trainee checked in at the same moment, or the session was just deleted
            attendance = Attendance.objects.select_for_update().filter(session=session, enrolment=enrolment).first()
            if attendance is None:
                raise not_found() from None
    if attendance.status != status:
        _change_status(attendance=attendance, status=status, reason=_("Changed on the attendance sheet."), actor=actor)
    return attendance


@transaction.atomic
def attendance_correct(*, attendance: Attendance, status: str, reason: str, actor: User) -> AttendanceCorrection:
    """Correct an attendance record, with a reason; the old status stays in the corrections."""
    attendance = Attendance.objects.select_for_update().select_related("session").get(pk=attendance.pk)
    if not actor.has_perm("courses.record_attendance", attendance.session):
        raise NotAllowed(_("You cannot correct attendance for this session."))
    _validate_status(status)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Give a reason for the correction."),
            code="reason_required",
            fields={"reason": [_("This field is required.")]},
        )
    if status == attendance.status:
        raise ValidationFailed(_("The record already has this status."), code="unchanged")
    return _change_status(attendance=attendance, status=status, reason=reason, actor=actor)
