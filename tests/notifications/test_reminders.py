"""Reminders run by beat: a session tomorrow, work due within 48 hours; each recorded once per person and object."""

from datetime import datetime, timedelta

from django.utils.dateparse import parse_datetime

from courses.models import EnrolmentStatus
from fieldwork import reminders
from fieldwork.models import Extension, Submission, SubmissionState
from notifications import services
from notifications.models import Kind, Notification
from tests.courses.factories import SHANGHAI, EnrolmentFactory, SessionFactory
from tests.fieldwork.factories import AssignmentFactory

NOW = datetime(2022, 4, 8, 10, 0, tzinfo=SHANGHAI)


def reminded(kind) -> list[int]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))


def test_session_tomorrow_reminds_active_trainees_once(world):
    left = EnrolmentFactory(cohort=world.cohort, community=world.community, status=EnrolmentStatus.WITHDRAWN)
    SessionFactory(lesson=world.basics_lessons[0], starts_at=datetime(2022, 4, 9, 9, 0, tzinfo=SHANGHAI))
    SessionFactory(lesson=world.basics_lessons[1], starts_at=datetime(2022, 4, 10, 9, 0, tzinfo=SHANGHAI))
    SessionFactory(lesson=world.other_lesson, starts_at=datetime(2022, 4, 9, 9, 0, tzinfo=SHANGHAI))
    assert services.remind_sessions_tomorrow(now=NOW) == 2
    assert reminded(Kind.SESSION_TOMORROW) == sorted([world.trainee.pk, world.other_trainee.pk])
    assert left.trainee.pk not in reminded(Kind.SESSION_TOMORROW)
    assert services.remind_sessions_tomorrow(now=NOW + timedelta(hours=1)) == 0  # the next hourly run
    notification = Notification.objects.get(recipient=world.trainee)
    assert notification.payload["title"] == "基础课1" and notification.payload["place"] == "南海区社区治理学院"


def test_session_after_midnight_in_shanghai_counts_as_tomorrow(world):
    late_evening = datetime(2022, 4, 8, 23, 30, tzinfo=SHANGHAI)
    SessionFactory(lesson=world.basics_lessons[0], starts_at=datetime(2022, 4, 9, 7, 30, tzinfo=SHANGHAI))
    assert services.remind_sessions_tomorrow(now=late_evening) == 1


def test_due_soon_skips_who_handed_in_and_who_has_a_later_extension(field):
    world = field.world
    now = NOW
    assignment = AssignmentFactory(
        module=world.skills, title="居民访谈记录", opens_at=now - timedelta(days=5), due_at=now + timedelta(hours=30)
    )
    AssignmentFactory(module=world.skills, opens_at=now - timedelta(days=5), due_at=now + timedelta(hours=60))
    EnrolmentFactory(cohort=world.cohort, community=world.community, status=EnrolmentStatus.WITHDRAWN)
    # The classmate has an extension beyond the window; the teammate handed in.
    Extension.objects.create(
        assignment=assignment,
        enrolment=field.classmate_enrolment,
        due_at=now + timedelta(days=10),
        granted_by=world.instructor,
    )
    Submission.objects.create(
        assignment=assignment, enrolment=field.teammate_enrolment, state=SubmissionState.SUBMITTED, submitted_at=now
    )
    assert reminders.remind_assignments_due(now=now) == 1
    assert reminded(Kind.ASSIGNMENT_DUE_SOON) == [world.trainee.pk]
    assert reminders.remind_assignments_due(now=now + timedelta(hours=1)) == 0


def test_an_extension_into_the_window_reminds_with_the_new_date(field):
    world = field.world
    assignment = AssignmentFactory(
        module=world.skills, opens_at=NOW - timedelta(days=9), due_at=NOW - timedelta(days=1)
    )
    new_due = NOW + timedelta(hours=20)
    Extension.objects.create(
        assignment=assignment, enrolment=world.enrolment, due_at=new_due, granted_by=world.instructor
    )
    assert reminders.remind_assignments_due(now=NOW) == 1
    notification = Notification.objects.get(kind=Kind.ASSIGNMENT_DUE_SOON)
    assert notification.recipient_id == world.trainee.pk and parse_datetime(notification.payload["due_at"]) == new_due
