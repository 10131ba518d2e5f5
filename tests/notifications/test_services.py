from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from certificates import services as certificate_services
from certificates.models import Certificate, CertificateStatus, RevocationReason
from courses.models import EnrolmentStatus
from fieldwork import services as fieldwork_services
from fieldwork.models import ObjectionOutcome
from fieldwork.projects import services as project_services
from fieldwork.projects.models import CaseStatus
from notifications import services
from notifications.models import Delivery, DeliveryStatus, Kind, Notification
from tests.notifications.backends import REFUSED_DOMAIN
from tests.projects.factories import ModelCaseFactory


def kinds_of(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def with_email(*users):
    for user in users:
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])


def test_returned_team_work_tells_every_active_member_but_not_one_who_left(field, django_capture_on_commit_callbacks):
    world = field.world
    submission = field.submitted(assignment=field.team_assignment)
    field.teammate_enrolment.status = EnrolmentStatus.WITHDRAWN
    field.teammate_enrolment.save(update_fields=["status"])
    fieldwork_services.submission_return(submission=submission, feedback="请补充照片。", actor=world.instructor)
    assert kinds_of(world.trainee) == [Kind.WORK_RETURNED]
    assert kinds_of(field.teammate) == []
    assert kinds_of(field.classmate) == []
    notification = Notification.objects.get(recipient=world.trainee)
    assert notification.payload["title"] == "参与式设计方案"
    assert notification.payload["path"] == f"/assignments/{field.team_assignment.pk}/"
    assert notification.cohort_id == world.cohort.pk


def test_a_change_that_rolls_back_leaves_no_notification(field):
    submission = field.submitted()
    before = (Notification.objects.count(), Delivery.objects.count())  # the instructor's "work handed in"
    with pytest.raises(RuntimeError), transaction.atomic():
        fieldwork_services.submission_return(submission=submission, feedback="请补充。", actor=field.world.instructor)
        raise RuntimeError("the caller's transaction fails after the change")
    assert (Notification.objects.count(), Delivery.objects.count()) == before


def test_email_is_sent_after_commit_and_in_app_is_delivered_at_once(
    field, eager_tasks, django_capture_on_commit_callbacks
):
    world = field.world
    with_email(world.trainee)
    submission = field.graded()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        fieldwork_services.grade_release(submission=submission, actor=world.instructor)
    notification = Notification.objects.get(recipient=world.trainee)
    email = notification.deliveries.get(channel="email")
    assert email.status == DeliveryStatus.PENDING and mail.outbox == []
    assert notification.deliveries.get(channel="in_app").status == DeliveryStatus.SENT
    for callback in callbacks:
        callback()
    email.refresh_from_db()
    assert email.status == DeliveryStatus.SENT and email.attempts == 1 and email.sent_at
    [message] = mail.outbox
    assert message.to == [world.trainee.email]
    assert "社区资产地图" in message.body and f"/assignments/{field.assignment.pk}/" in message.body


def test_sending_twice_sends_once(field, eager_tasks, django_capture_on_commit_callbacks):
    world = field.world
    with_email(world.trainee)
    submission = field.submitted()
    with django_capture_on_commit_callbacks(execute=True):
        fieldwork_services.submission_return(submission=submission, feedback="请补充。", actor=world.instructor)
    delivery = Delivery.objects.get(channel="email")
    assert services.delivery_send(delivery_id=delivery.pk) is None
    assert len(mail.outbox) == 1


def test_email_off_records_no_email_delivery(field, client, django_capture_on_commit_callbacks, eager_tasks):
    world = field.world
    with_email(world.trainee)
    client.force_login(world.trainee)
    response = client.post("/notifications/settings/", {})
    assert response.status_code == 302
    submission = field.submitted()
    with django_capture_on_commit_callbacks(execute=True):
        fieldwork_services.submission_return(submission=submission, feedback="请补充。", actor=world.instructor)
    notification = Notification.objects.get(recipient=world.trainee)
    assert list(notification.deliveries.values_list("channel", flat=True)) == ["in_app"]
    assert mail.outbox == []


def test_a_refusing_smtp_is_retried_then_failed_without_blocking_others(
    field, settings, eager_tasks, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.notifications.backends.RefusingBackend"
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    world = field.world
    world.trainee.email = "hegang01" + REFUSED_DOMAIN
    world.trainee.save(update_fields=["email"])
    with_email(field.teammate)
    submission = field.submitted(assignment=field.team_assignment)
    with django_capture_on_commit_callbacks(execute=True):
        fieldwork_services.submission_return(submission=submission, feedback="请补充。", actor=world.instructor)
    refused = Delivery.objects.get(channel="email", notification__recipient=world.trainee)
    assert refused.status == DeliveryStatus.FAILED and refused.attempts == 3
    assert "SMTPRecipientsRefused" in refused.last_error and "550" in refused.last_error
    delivered = Delivery.objects.get(channel="email", notification__recipient=field.teammate)
    assert delivered.status == DeliveryStatus.SENT
    assert [m.to for m in mail.outbox] == [[field.teammate.email]]


def test_an_unreachable_smtp_server_marks_the_delivery_failed(
    field, settings, eager_tasks, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens on 9
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    world = field.world
    with_email(world.trainee)
    submission = field.submitted()
    with django_capture_on_commit_callbacks(execute=True):
        fieldwork_services.submission_return(submission=submission, feedback="请补充。", actor=world.instructor)
    delivery = Delivery.objects.get(channel="email")
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 2
    assert "ConnectionRefusedError" in delivery.last_error


def test_one_who_leaves_before_sending_gets_no_email(field, eager_tasks, django_capture_on_commit_callbacks):
    world = field.world
    with_email(world.trainee)
    submission = field.submitted()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        fieldwork_services.submission_return(submission=submission, feedback="请补充。", actor=world.instructor)
    world.enrolment.status = EnrolmentStatus.WITHDRAWN
    world.enrolment.save(update_fields=["status"])
    for callback in callbacks:
        callback()
    delivery = Delivery.objects.get(channel="email")
    assert delivery.status == DeliveryStatus.SKIPPED and mail.outbox == []


def test_grade_release_objection_and_extension_each_tell_the_trainee(field):
    world = field.world
    submission = field.graded()
    fieldwork_services.assignment_release_grades(assignment=field.assignment, actor=world.instructor)
    objection = fieldwork_services.objection_raise(submission=submission, reason="评分偏低", actor=world.trainee)
    fieldwork_services.objection_resolve(
        objection=objection, outcome=ObjectionOutcome.UPHELD, response="维持原评分。", actor=world.instructor
    )
    due = timezone.now() + timedelta(days=3)
    fieldwork_services.extension_grant(
        assignment=field.team_assignment, due_at=due, reason="病假", actor=world.instructor, team=field.team
    )
    assert sorted(kinds_of(world.trainee)) == sorted(
        [Kind.GRADE_RELEASED, Kind.OBJECTION_ANSWERED, Kind.EXTENSION_GRANTED]
    )
    assert kinds_of(field.teammate) == [Kind.EXTENSION_GRANTED]
    extension = Notification.objects.get(recipient=field.teammate)
    assert extension.payload["due_at"] == due.isoformat()


def test_case_return_and_approval_tell_the_team(projects):
    world = projects.world
    case = ModelCaseFactory(project=projects.project, status=CaseStatus.SUBMITTED, title="农耕馆共建模式")
    project_services.case_return(case=case, actor=world.instructor, comments="请补充居民参与的数字。")
    case.refresh_from_db()
    project_services.case_submit(case=case, actor=world.trainee)
    project_services.case_approve(case=case, actor=world.instructor)
    assert kinds_of(world.trainee) == [Kind.CASE_APPROVED, Kind.CASE_RETURNED]
    assert kinds_of(projects.other_member) == []


def test_certificate_issued_when_rendered_and_revoked(certified_world):
    w = certified_world
    batch = certificate_services.certificate_issue_batch(cohort=w.cohort, actor=w.staff, enrolment_ids=[w.done.pk])
    certificate = batch.certificates.get()
    assert kinds_of(w.done.trainee) == []  # a pending row is not yet a certificate the trainee can download
    certificate_services.certificate_render(certificate_id=certificate.pk)
    assert Certificate.objects.get(pk=certificate.pk).status == CertificateStatus.ISSUED
    assert kinds_of(w.done.trainee) == [Kind.CERTIFICATE_ISSUED]
    certificate_services.certificate_revoke(certificate=certificate, reason=RevocationReason.ERROR, actor=w.staff)
    assert kinds_of(w.done.trainee) == [Kind.CERTIFICATE_REVOKED, Kind.CERTIFICATE_ISSUED]
