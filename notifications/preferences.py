"""Who wants what through which channel: a person's choices per channel and kind over defaults by role.

Defaults: the bell (in-app) tells everything. E-mail tells everything but the instructors' one-by-one hand-in
notice (they get the hourly digest instead; the immediate message stays a choice). SMS tells trainees how to
sign in when enrolled, and everyone the time-critical notices (a session added, moved or cancelled, a due
date changed or near) — SMS costs money and wakes people, so nothing else goes by SMS unless chosen.
A person's ChannelChoice row for (channel, kind) overrides the default; Preference.email_enabled stays the
master switch for e-mail.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from notifications.models import Kind

SMS_DEFAULT_KINDS = frozenset(
    {
        Kind.ENROLLED,
        Kind.SESSION_ADDED,
        Kind.SESSION_MOVED,
        Kind.SESSION_CANCELLED,
        Kind.DUE_DATE_CHANGED,
        Kind.SESSION_TOMORROW,
        Kind.ASSIGNMENT_DUE_SOON,
    }
)
EMAIL_OFF_BY_DEFAULT = frozenset({Kind.WORK_SUBMITTED})  # instructors get the hourly digest instead
# The kinds a person may set per channel, and which channels offer them (the preferences page's rows).
INSTRUCTOR_ONLY = frozenset({Kind.WORK_SUBMITTED, Kind.OBJECTION_RAISED, Kind.WORK_SUBMITTED_DIGEST})


def default_enabled(*, channel: str, kind: str) -> bool:
    if channel == "in_app":
        return True
    if channel == "email":
        return kind not in EMAIL_OFF_BY_DEFAULT
    if channel == "sms":
        return kind in SMS_DEFAULT_KINDS
    return False


def enabled(*, channel: str, kind: str, choices: dict | None) -> bool:
    """The person's choice for (channel, kind) if it made one, else the default. choices: {(channel, kind): bool}."""
    if choices and (channel, kind) in choices:
        return choices[(channel, kind)]
    return default_enabled(channel=channel, kind=kind)


# --- quiet hours for SMS (Asia/Shanghai): none 22:00–08:00 unless what it announces happens sooner

QUIET_START, QUIET_END = time(22, 0), time(8, 0)


def quiet_until(*, now: datetime, event_at: datetime | None) -> datetime | None:
    """When quiet hours end if `now` is inside them and the event is not before their end; else None (send now).
    NOTIFICATIONS_SMS_QUIET_HOURS off (a load test at night) means never quiet."""
    if not settings.NOTIFICATIONS_SMS_QUIET_HOURS:
        return None
    local = timezone.localtime(now)
    if QUIET_END <= local.time() < QUIET_START:
        return None
    end_day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    end = timezone.make_aware(datetime.combine(end_day, QUIET_END), local.tzinfo)
    if event_at is not None and event_at < end:
        return None  # the session starts before anyone wakes: tell now
    return end


def event_at(payload: dict) -> datetime | None:
    """The moment a notice is about (a session's start, a due date), if any."""
    for key in ("starts_at", "due_at"):
        if moment := parse_datetime(payload.get(key) or ""):
            return moment
    return None


def time_critical(*, kind: str, payload: dict, now: datetime) -> bool:
    """A session moved, cancelled or added, or a due date, within SMS_TIME_CRITICAL_HOURS from now."""
    moment = event_at(payload)
    horizon = timedelta(hours=settings.NOTIFICATIONS_TIME_CRITICAL_HOURS)
    return moment is not None and now - timedelta(hours=1) <= moment <= now + horizon


# --- the preferences page: which kinds a person is offered, on which channels

CHOOSABLE_CHANNELS = ("email", "sms")


def kinds_for(*, trainee: bool, instructor: bool) -> list[str]:
    """The kinds a person can be told in its roles, in the order of Kind."""
    from notifications.models import COHORT_KINDS, INSTRUCTOR_KINDS

    kinds = []
    for kind in Kind:
        if kind in INSTRUCTOR_KINDS:
            offered = instructor
        elif kind in COHORT_KINDS:
            offered = trainee or instructor
        else:
            offered = trainee
        if offered:
            kinds.append(kind.value)
    return kinds
