"""What used to go untold: enrolment, a session added, moved or cancelled, a due date changed; channel choices."""

import re
from datetime import date, time, timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from courses.models import EnrolmentStatus
from courses.services import enrolment_create
from courses.services import setup as setup_services
from notifications.models import ChannelChoice, Delivery, Kind, Notification
from tests.courses.factories import EnrolmentFactory, TeachingFactory
from tests.lms.factories import UserFactory

pytestmark = pytest.mark.django_db


def told(kind) -> list[int]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))


def _session(world, **overrides):
    values = {
        "cohort": world.cohort,
        "lesson": world.skills_lesson,
        "date": date(world.cohort.year, 4, 16),
        "start_time": time(8),
        "end_time": time(11),
        "place": "西樵镇河岗社区",
        "instructors": [world.instructor],
        "actor": world.staff,
    }
    return setup_services.session_save(**(values | overrides))


@pytest.fixture
def cohort_people(world):
    """Two active trainees, one withdrawn, two instructors of the cohort; someone of another cohort."""
    classmate = EnrolmentFactory(cohort=world.cohort).trainee
    EnrolmentFactory(cohort=world.cohort, status=EnrolmentStatus.WITHDRAWN)
    second_instructor = TeachingFactory(cohort=world.cohort).instructor
    return sorted([world.trainee.pk, classmate.pk, world.instructor.pk, second_instructor.pk])


def test_a_new_session_tells_every_trainee_and_instructor(world, cohort_people):
    session = _session(world)
    assert told(Kind.SESSION_ADDED) == cohort_people
    payload = Notification.objects.filter(kind=Kind.SESSION_ADDED).first().payload
    assert payload["starts_at"] == session.starts_at.isoformat() and payload["place"] == "西樵镇河岗社区"


def test_moving_a_session_tells_everyone_with_the_old_time(world, cohort_people):
    session = _session(world)
    _session(world, session=session, start_time=time(5, 30), end_time=time(7))
    assert told(Kind.SESSION_MOVED) == cohort_people
    notice = Notification.objects.filter(kind=Kind.SESSION_MOVED).first()
    session.refresh_from_db()
    assert parse_datetime(notice.payload["starts_at"]) == session.starts_at
    was = timezone.make_aware(timezone.datetime(world.cohort.year, 4, 16, 8, 0))
    assert parse_datetime(notice.payload["was_starts_at"]) == was
    assert world.other_trainee.pk not in told(Kind.SESSION_MOVED)


def test_saving_a_session_unchanged_in_time_and_place_tells_nobody(world, cohort_people):
    session = _session(world)
    _session(world, session=session, address="桂城街道")
    assert told(Kind.SESSION_MOVED) == []


def test_cancelling_a_session_tells_everyone(world, cohort_people):
    session = _session(world)
    setup_services.session_delete(session=session, actor=world.staff)
    assert told(Kind.SESSION_CANCELLED) == cohort_people
    assert Notification.objects.filter(kind=Kind.SESSION_CANCELLED).first().payload["title"]


def test_enrolment_tells_the_trainee_how_to_sign_in(world):
    trainee = UserFactory(mobile="13700137009")
    enrolment_create(cohort=world.cohort, trainee=trainee, community=world.community, actor=world.staff)
    [notice] = Notification.objects.filter(kind=Kind.ENROLLED)
    assert notice.recipient == trainee and notice.payload["path"] == "/accounts/login/sms/"


def test_a_due_date_change_tells_the_trainees_once_the_work_is_open(field, monkeypatch):
    from fieldwork.services import setup as fieldwork_setup

    world, assignment = field.world, field.assignment
    opens = timezone.make_aware(timezone.datetime(world.cohort.year, 4, 1, 9, 0))
    monkeypatch.setattr("fieldwork.services.setup.timezone.now", lambda: opens + timedelta(hours=1))
    fieldwork_setup.assignment_save(
        module=assignment.module,
        assignment=assignment,
        title=assignment.title,
        instructions=assignment.instructions,
        mode=assignment.mode,
        opens_at=opens,
        due_at=opens + timedelta(days=20),
        closes_at=None,
        allowed_extensions=assignment.allowed_extensions,
        max_file_mb=assignment.max_file_size // 2**20,
        max_total_mb=assignment.max_total_size // 2**20,
        max_files=assignment.max_files,
        pass_mark=assignment.pass_mark,
        counts_toward_completion=assignment.counts_toward_completion,
        objection_window_days=assignment.objection_window_days,
        actor=world.staff,
    )
    assert world.trainee.pk in told(Kind.DUE_DATE_CHANGED)


def test_a_person_who_turns_sms_off_for_a_kind_gets_none(world, settings, monkeypatch):
    settings.NOTIFICATION_CHANNELS = [*settings.NOTIFICATION_CHANNELS, "notifications.channels.SmsChannel"]
    world.trainee.mobile = "13900139000"
    world.trainee.save(update_fields=["mobile"])
    soon = timezone.make_aware(timezone.datetime(world.cohort.year, 4, 16, 6, 0))
    monkeypatch.setattr("notifications.channels.timezone.now", lambda: soon)
    session = _session(world)
    assert Delivery.objects.filter(channel="sms", notification__recipient=world.trainee).count() == 1
    ChannelChoice.objects.create(user=world.trainee, channel="sms", kind=Kind.SESSION_MOVED, enabled=False)
    _session(world, session=session, start_time=time(9), end_time=time(11))
    moved = Notification.objects.get(kind=Kind.SESSION_MOVED, recipient=world.trainee)
    assert sorted(moved.deliveries.values_list("channel", flat=True)) == ["in_app"]


def test_the_settings_page_sets_each_channel_and_kind_over_the_role_defaults(world, client, settings):
    settings.NOTIFICATION_CHANNELS = [*settings.NOTIFICATION_CHANNELS, "notifications.channels.SmsChannel"]
    client.force_login(world.trainee)
    page = client.get("/notifications/settings/").content.decode()
    assert 'name="choice:sms:session_moved" aria-label="课次改期 · 短信" checked' in page  # time-critical: on
    assert re.search(r'name="choice:sms:grade_released" aria-label="[^"]+" ?>', page)  # off by default
    assert "choice:email:work_submitted" not in page  # an instructor's kind: not offered to a trainee
    answer = client.post(
        "/notifications/settings/",
        {"email_enabled": "on", "grid": "1", "choice:sms:grade_released": "on", "choice:email:session_moved": "on"},
    )
    assert answer.status_code == 302
    rows = set(ChannelChoice.objects.filter(user=world.trainee).values_list("channel", "kind", "enabled"))
    assert ("sms", Kind.GRADE_RELEASED, True) in rows and ("sms", Kind.SESSION_MOVED, False) in rows
    assert ("email", Kind.GRADE_RELEASED, False) in rows and ("email", Kind.SESSION_MOVED, True) not in rows
    client.force_login(world.instructor)
    assert "choice:email:work_submitted_digest" in client.get("/notifications/settings/").content.decode()
