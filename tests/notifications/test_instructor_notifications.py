"""Instructors are told when work is handed in or a grade is objected to: the cohort's instructors only."""

import os
import uuid
from pathlib import Path

import pytest
from django.core import mail

from courses.services.teaching import teaching_remove
from fieldwork import services as fieldwork_services
from notifications import services
from notifications.models import ChannelChoice, Delivery, DeliveryStatus, Kind, Notification
from tests.courses.factories import TeachingFactory


def told(kind) -> list[int]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))


def with_email(*users):
    """An address, and the choice of an e-mail for each hand-in (the default is the hourly digest)."""
    for user in users:
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
        ChannelChoice.objects.create(user=user, channel="email", kind=Kind.WORK_SUBMITTED, enabled=True)


@pytest.fixture
def second_instructor(world):
    return TeachingFactory(cohort=world.cohort).instructor


@pytest.mark.django_db
def test_handing_in_tells_exactly_the_cohorts_instructors(field, second_instructor):
    world = field.world
    submission = field.submitted()
    assert told(Kind.WORK_SUBMITTED) == sorted([world.instructor.pk, second_instructor.pk])
    notification = Notification.objects.get(kind=Kind.WORK_SUBMITTED, recipient=world.instructor)
    assert notification.cohort_id == world.cohort.pk
    assert notification.payload["path"] == f"/submissions/{submission.pk}/grade/"  # the grading page
    assert notification.payload["title"] == "社区资产地图"
    assert notification.payload["who"] == str(world.trainee) and notification.payload["version"] == 1
    assert not Notification.objects.filter(recipient__in=[world.trainee, world.staff, world.other_instructor])


@pytest.mark.django_db
def test_an_instructor_taken_off_the_cohort_is_not_told(field, second_instructor):
    world = field.world
    teaching = second_instructor.teachings.get(cohort=world.cohort)
    teaching_remove(teaching=teaching, actor=world.staff)
    field.submitted()
    assert told(Kind.WORK_SUBMITTED) == [world.instructor.pk]


@pytest.mark.django_db
def test_team_work_is_one_notification_naming_the_team(field):
    world = field.world
    field.submitted(assignment=field.team_assignment)
    [notification] = Notification.objects.filter(kind=Kind.WORK_SUBMITTED)
    assert notification.recipient == world.instructor and notification.payload["who"] == field.team.name


@pytest.mark.django_db
def test_a_resubmission_while_unread_refreshes_rather_than_repeats(field):
    world = field.world
    submission = field.submitted()
    fieldwork_services.submission_return(submission=submission, feedback="请补充访谈。", actor=world.instructor)
    fieldwork_services.submission_submit(submission=submission, actor=world.trainee)  # the draft keeps its files
    [notification] = Notification.objects.filter(kind=Kind.WORK_SUBMITTED, recipient=world.instructor)
    assert notification.payload["version"] == 2
    assert notification.deliveries.count() == 1  # no second message
    services.notifications_mark_read(user=world.instructor)
    fieldwork_services.submission_return(submission=submission, feedback="再补充照片。", actor=world.instructor)
    fieldwork_services.submission_submit(submission=submission, actor=world.trainee)
    versions = Notification.objects.filter(kind=Kind.WORK_SUBMITTED, recipient=world.instructor)
    assert sorted(n.payload["version"] for n in versions) == [2, 3]  # read, then a new one


@pytest.mark.django_db
def test_an_objection_tells_the_cohorts_instructors(field, second_instructor):
    world = field.world
    submission = field.released()
    Notification.objects.all().delete()
    objection = fieldwork_services.objection_raise(submission=submission, reason="评分偏低", actor=world.trainee)
    assert told(Kind.OBJECTION_RAISED) == sorted([world.instructor.pk, second_instructor.pk])
    notification = Notification.objects.get(kind=Kind.OBJECTION_RAISED, recipient=world.instructor)
    assert notification.target_id == objection.pk
    assert notification.payload["path"] == f"/submissions/{submission.pk}/grade/"
    assert not Notification.objects.exclude(kind=Kind.OBJECTION_RAISED).exists()  # the trainee is not told


@pytest.mark.django_db
def test_the_words_in_english(field, english):
    from notifications.messages import describe

    field.submitted()
    text = describe(Notification.objects.get(kind=Kind.WORK_SUBMITTED))
    assert text.title == "Work handed in"
    assert text.body == f"{field.world.trainee} handed in “社区资产地图”: it is waiting for your grading."


@pytest.mark.django_db
def test_email_preference_is_respected_per_instructor(
    field, second_instructor, client, eager_tasks, django_capture_on_commit_callbacks
):
    world = field.world
    with_email(world.instructor, second_instructor)
    client.force_login(second_instructor)
    assert client.post("/notifications/settings/", {}).status_code == 302  # e-mail off
    with django_capture_on_commit_callbacks(execute=True):
        submission = field.submitted()
    deliveries = Delivery.objects.filter(notification__kind=Kind.WORK_SUBMITTED)
    assert sorted(deliveries.filter(notification__recipient=second_instructor).values_list("channel", flat=True)) == [
        "in_app"
    ]
    assert deliveries.get(notification__recipient=world.instructor, channel="email").status == DeliveryStatus.SENT
    [message] = mail.outbox
    assert message.to == [world.instructor.email]
    assert f"/submissions/{submission.pk}/grade/" in message.body


@pytest.mark.django_db
def test_an_instructor_taken_off_before_sending_gets_no_email(field, eager_tasks, django_capture_on_commit_callbacks):
    world = field.world
    with_email(world.instructor)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        field.submitted()
    teaching_remove(teaching=world.instructor.teachings.get(cohort=world.cohort), actor=world.staff)
    for callback in callbacks:
        callback()
    delivery = Delivery.objects.get(channel="email", notification__kind=Kind.WORK_SUBMITTED)
    assert delivery.status == DeliveryStatus.SKIPPED and mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_emails_the_instructor_after_commit(field, settings, media_root):
    from tests.certificates.workers import Worker, purge_queue, wait_for

    queue = f"notifications-test-{os.environ.get('CACHE_KEY_PREFIX', 'lms')}-{uuid.uuid4().hex[:8]}"
    settings.NOTIFICATIONS_QUEUE = queue
    outbox = os.path.join(media_root, "mail")
    worker = Worker(
        queue,
        media_root,
        extra_env={
            "NOTIFICATIONS_QUEUE": queue,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": outbox,
        },
    )
    try:
        worker.wait_ready()
        world = field.world
        with_email(world.instructor, world.other_instructor)
        submission = field.submitted()
        wait_for(
            lambda: Delivery.objects.filter(channel="email", status=DeliveryStatus.SENT).exists(),
            timeout=60,
            workers=[worker],
        )
        [sent] = os.listdir(outbox)
        text = Path(outbox, sent).read_text(encoding="utf-8")
        assert world.instructor.email in text and world.other_instructor.email not in text
        assert f"/submissions/{submission.pk}/grade/" in text
    finally:
        worker.stop()
        purge_queue(queue)


# --- the hourly digest (the default for e-mail) instead of one message per hand-in


@pytest.mark.django_db
def test_by_default_a_hand_in_is_in_the_bell_but_not_e_mailed(field):
    world = field.world
    world.instructor.email = "mentor@example.org"
    world.instructor.save(update_fields=["email"])
    field.submitted()
    notice = Notification.objects.get(kind=Kind.WORK_SUBMITTED, recipient=world.instructor)
    assert list(notice.deliveries.values_list("channel", flat=True)) == ["in_app"]


@pytest.mark.django_db
def test_the_hourly_digest_counts_the_hand_ins_once_per_cohort_and_instructor(field, second_instructor):
    from django.utils import timezone

    from fieldwork.reminders import digest_hand_ins

    world = field.world
    world.instructor.email = "mentor@example.org"
    world.instructor.save(update_fields=["email"])
    field.submitted()
    field.submitted(enrolment=field.classmate_enrolment)
    field.submitted(assignment=field.other_assignment, enrolment=world.other_enrolment)  # another cohort's
    next_hour = timezone.now() + timezone.timedelta(hours=1)
    assert digest_hand_ins(now=next_hour) == 3  # two instructors here, one in the other cohort
    assert digest_hand_ins(now=next_hour) == 0  # once per hour
    digest = Notification.objects.get(kind=Kind.WORK_SUBMITTED_DIGEST, recipient=world.instructor)
    assert digest.payload["count"] == 2 and digest.payload["path"] == "/grading/"
    assert sorted(digest.deliveries.values_list("channel", flat=True)) == ["email", "in_app"]
    assert digest_hand_ins(now=next_hour + timezone.timedelta(hours=1)) == 0  # nothing new
