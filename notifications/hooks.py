"""What courses tell through notifications without importing it (courses sits below notifications): the
functions here are added to lms.registry hooks in NotificationsConfig.ready(), and courses' services run
`registry.hooks("session_added")` etc. inside their transactions."""

from notifications.models import Kind
from notifications.services import notify_cohort, notify_enrolled


def session_added(*, session) -> None:
    notify_cohort(kind=Kind.SESSION_ADDED, target=session)


def session_moved(*, session, was_starts_at) -> None:
    notify_cohort(kind=Kind.SESSION_MOVED, target=session, was_starts_at=was_starts_at.isoformat())


def session_cancelled(*, session) -> None:
    notify_cohort(kind=Kind.SESSION_CANCELLED, target=session)


def enrolled(*, enrolments, cohort) -> None:
    notify_enrolled(enrolments=enrolments, cohort=cohort)


HOOKS = {
    "session_added": session_added,
    "session_moved": session_moved,
    "session_cancelled": session_cancelled,
    "enrolled": enrolled,
}
