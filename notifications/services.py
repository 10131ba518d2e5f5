"""Record notifications in the caller's transaction and deliver them after commit."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from courses.models import Enrolment, EnrolmentStatus, Teaching
from lms.models import User
from notifications.channels import channels
from notifications.models import INSTRUCTOR_KINDS, Delivery, DeliveryStatus, Kind, Notification, Preference
from notifications.targets import describe_for_instructors, describe_target

logger = logging.getLogger(__name__)


def queue_deliveries(delivery_ids: list[int]) -> None:
    """Queue one send task per delivery; the rows are the state of record, the sweep re-queues lost ones."""
    from notifications.tasks import send_delivery

    for delivery_id in delivery_ids:
        send_delivery.apply_async(args=[delivery_id], queue=settings.NOTIFICATIONS_QUEUE)


def _record(
    *, kind: str, target, entries: list[tuple[int, int | None, str | None]], payload: dict
) -> list[Notification]:
    """Create the rows and their deliveries; queue sending after the caller's commit. entries: (user, cohort, key)."""
    if not entries:
        return []
    target_type = ContentType.objects.get_for_model(target)
    notifications = Notification.objects.bulk_create(
        Notification(
            recipient_id=user_id,
            kind=kind,
            cohort_id=cohort_id,
            target_type=target_type,
            target_id=target.pk,
            payload=payload,
            dedupe_key=key,
        )
        for user_id, cohort_id, key in entries
    )
    user_ids = {n.recipient_id for n in notifications}
    users = User.objects.in_bulk(user_ids)
    preferences = {p.user_id: p for p in Preference.objects.filter(user_id__in=user_ids)}
    deliveries = []
    now = timezone.now()
    for notification in notifications:
        notification.recipient = users[notification.recipient_id]
        for channel in channels().values():
            if not channel.wants(notification=notification, preference=preferences.get(notification.recipient_id)):
                continue
            immediate = channel.immediate
            deliveries.append(
                Delivery(
                    notification=notification,
                    channel=channel.name,
                    status=DeliveryStatus.SENT if immediate else DeliveryStatus.PENDING,
                    sent_at=now if immediate else None,
                )
            )
    Delivery.objects.bulk_create(deliveries)
    pending = [d.pk for d in deliveries if d.status == DeliveryStatus.PENDING]
    if pending:
        transaction.on_commit(lambda: queue_deliveries(pending))
    return notifications


def notify(*, kind: str, target, **payload) -> list[Notification]:
    """Tell the trainees a changed row belongs to, never those who left; call in the change's transaction."""
    enrolments_q, cohort_id, described = describe_target(target)
    people = (
        Enrolment.objects.filter(enrolments_q, cohort_id=cohort_id)
        .exclude(status=EnrolmentStatus.WITHDRAWN)
        .values_list("trainee_id", flat=True)
        .distinct()
    )
    entries = [(user_id, cohort_id, None) for user_id in people]
    return _record(kind=kind, target=target, entries=entries, payload={**described, **payload})


def notify_instructors(*, kind: str, target, **payload) -> list[Notification]:
    """Tell the instructors of the target's cohort (and no other) about work waiting for them; call in the
    change's transaction.

    Not a digest, but not one message per click either: an instructor who has not yet read the
    notification about this submission gets no second one (a resubmission refreshes the unread one's
    details instead), so a trainee handing in three times before lunch sends one e-mail.
    """
    cohort_id, submission, described = describe_for_instructors(target)
    instructors = set(
        Teaching.objects.filter(cohort_id=cohort_id, instructor__is_active=True).values_list("instructor_id", flat=True)
    )
    if not instructors:
        return []
    submission_type = ContentType.objects.get_for_model(submission)
    target_type = ContentType.objects.get_for_model(target)
    unread = Notification.objects.filter(
        kind=kind, recipient_id__in=instructors, read_at__isnull=True, cohort_id=cohort_id
    ).filter(
        # an unread notice about the same submission, whether it names the submission or its objection
        Q(target_type=target_type, target_id=target.pk) | Q(target_type=submission_type, target_id=submission.pk)
    )
    payload = {**described, **payload}
    waiting = set(unread.values_list("recipient_id", flat=True))
    if waiting:
        unread.update(payload=payload, updated_at=timezone.now())
    entries = [(user_id, cohort_id, None) for user_id in sorted(instructors - waiting)]
    return _record(kind=kind, target=target, entries=entries, payload=payload)


@dataclass(frozen=True)
class SendOutcome:
    status: str
    retry_in: float | None = None


def _left_cohort(notification: Notification) -> bool:
    """Whether the recipient no longer holds the role it was told in: instructors by Teaching, trainees by
    an enrolment not withdrawn."""
    if notification.cohort_id is None:
        return False
    if notification.kind in INSTRUCTOR_KINDS:
        return not Teaching.objects.filter(
            instructor_id=notification.recipient_id, cohort_id=notification.cohort_id
        ).exists()
    return (
        not Enrolment.objects.filter(trainee_id=notification.recipient_id, cohort_id=notification.cohort_id)
        .exclude(status=EnrolmentStatus.WITHDRAWN)
        .exists()
    )


def delivery_send(*, delivery_id: int) -> SendOutcome | None:
    """Send one pending delivery. Idempotent: a sent, failed or skipped delivery is left alone.

    The row stays locked while sending, so two deliveries of the same task serialise. A failure is
    recorded with its error; after NOTIFICATIONS_MAX_ATTEMPTS the delivery is marked failed, otherwise
    the caller retries after the returned delay. Other deliveries never wait on this one.
    """
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("notification__recipient")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return None
        notification = delivery.notification
        channel = channels().get(delivery.channel)
        if channel is None or _left_cohort(notification):
            delivery.status = DeliveryStatus.SKIPPED
            delivery.last_error = "unknown channel" if channel is None else "recipient left the cohort"
            delivery.save(update_fields=["status", "last_error", "updated_at"])
            return SendOutcome(delivery.status)
        delivery.attempts += 1
        try:
            channel.send(notification=notification)
        except Exception as error:  # any failure of the outside world: SMTP refusal, bounce, timeout
            delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
            retry_in = None
            if delivery.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED
                logger.warning("notification delivery %s failed: %s", delivery.pk, delivery.last_error)
            else:
                retry_in = settings.NOTIFICATIONS_RETRY_BASE_SECONDS * 2 ** (delivery.attempts - 1)
            delivery.save(update_fields=["status", "attempts", "last_error", "updated_at"])
            return SendOutcome(delivery.status, retry_in)
        delivery.status, delivery.sent_at, delivery.last_error = DeliveryStatus.SENT, timezone.now(), ""
        delivery.save(update_fields=["status", "sent_at", "attempts", "last_error", "updated_at"])
        return SendOutcome(delivery.status)


def deliveries_sweep(*, older_than: timedelta | None = None) -> int:
    """Re-queue deliveries left pending (a message lost between commit and broker). Safe to run any time."""
    if older_than is None:
        older_than = timedelta(seconds=settings.NOTIFICATIONS_SWEEP_AFTER_SECONDS)
    ids = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, updated_at__lt=timezone.now() - older_than)
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )
    queue_deliveries(ids)
    return len(ids)


@transaction.atomic
def notifications_mark_read(*, user: User, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (the given ones, or all). Others' ids are ignored. Returns how many."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        rows = rows.filter(pk__in=notification_ids)
    return rows.update(read_at=timezone.now())


@transaction.atomic
def preference_save(*, user: User, email_enabled: bool) -> Preference:
    """Turn e-mail on or off for this person; applies to notifications recorded from now on."""
    preference, _created = Preference.objects.update_or_create(user=user, defaults={"email_enabled": email_enabled})
    return preference


# --- reminders from beat


def record_reminders(*, kind: str, target, people: list[tuple[int, int]], key_prefix: str, payload: dict) -> int:
    keys = {user_id: f"{key_prefix}:{user_id}" for user_id, _cohort in people}
    existing = set(Notification.objects.filter(dedupe_key__in=keys.values()).values_list("dedupe_key", flat=True))
    entries = [(u, c, keys[u]) for u, c in people if keys[u] not in existing]
    return len(_record(kind=kind, target=target, entries=entries, payload=payload))


@transaction.atomic
def remind_sessions_tomorrow(*, now=None) -> int:
    """Tell each active trainee about its cohort's sessions that start tomorrow. Idempotent per person and session."""
    from django.urls import reverse

    from courses.models import Session

    now = now or timezone.now()
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    sessions = list(Session.objects.filter(starts_at__date=tomorrow).select_related("lesson").order_by("starts_at"))
    trainees = _active_trainees({s.cohort_id for s in sessions})
    created = 0
    for session in sessions:
        created += record_reminders(
            kind=Kind.SESSION_TOMORROW,
            target=session,
            people=[(u, session.cohort_id) for u in trainees.get(session.cohort_id, [])],
            key_prefix=f"{Kind.SESSION_TOMORROW}:{session.pk}",
            payload={
                "title": session.lesson.title,
                "starts_at": session.starts_at.isoformat(),
                "place": session.place,
                "path": reverse("check-in-list"),
            },
        )
    return created


def _active_trainees(cohort_ids) -> dict[int, list[int]]:
    trainees: dict[int, list[int]] = {}
    for user_id, cohort_id in Enrolment.objects.filter(
        cohort_id__in=cohort_ids, status=EnrolmentStatus.ACTIVE
    ).values_list("trainee_id", "cohort_id"):
        trainees.setdefault(cohort_id, []).append(user_id)
    return trainees


def notify_member_moved(*, change) -> list[Notification]:
    """Tell a moved trainee and the members of the team it left and the team it joined (in the move's transaction)."""
    return notify(kind=Kind.MEMBER_MOVED, target=change)
