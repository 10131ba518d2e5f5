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
from notifications.channels import Deferred, channels
from notifications.models import (
    COHORT_KINDS,
    INSTRUCTOR_KINDS,
    ChannelChoice,
    Delivery,
    DeliveryStatus,
    Kind,
    Notification,
    Preference,
)
from notifications.targets import describe_for_instructors, describe_target

logger = logging.getLogger(__name__)


def queue_deliveries(delivery_ids: list[int], *, countdown: float = 0, fan_out: bool = True) -> None:
    """Queue one send task per delivery; the rows are the state of record, the sweep re-queues lost ones.

    Many at once (a session of a 500-trainee cohort moved) are handed to one task that queues them from a
    worker, so the request that caused them sends one message to the broker, not hundreds."""
    from notifications.tasks import queue_many, send_delivery

    options = {"countdown": countdown} if countdown > 0 else {}
    if fan_out and len(delivery_ids) > settings.NOTIFICATIONS_SENT_IN_REQUEST:
        queue_many.apply_async(args=[delivery_ids], queue=settings.NOTIFICATIONS_QUEUE, **options)
        return
    for delivery_id in delivery_ids:
        send_delivery.apply_async(args=[delivery_id], queue=settings.NOTIFICATIONS_QUEUE, **options)


def _queue_after_commit(deliveries: list[Delivery]) -> None:
    """Queue the pending deliveries after commit, each channel after its own delay (SMS waits to see if read)."""
    by_delay: dict[float, list[int]] = {}
    configured = channels()
    for delivery in deliveries:
        if delivery.status == DeliveryStatus.PENDING:
            by_delay.setdefault(configured[delivery.channel].delay_seconds, []).append(delivery.pk)
    for delay, ids in by_delay.items():
        transaction.on_commit(lambda ids=ids, delay=delay: queue_deliveries(ids, countdown=delay))


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
    if len(notifications) > settings.NOTIFICATIONS_SENT_IN_REQUEST:
        # A change that tells many (a session of a 500-trainee cohort moved) records the notifications here
        # and leaves their deliveries to a worker; the sweep makes any a lost task left without them.
        ids = [n.pk for n in notifications]
        transaction.on_commit(lambda: _queue_deliveries_create(ids))
        return notifications
    _deliveries_create(notifications)
    return notifications


def _queue_deliveries_create(notification_ids: list[int]) -> None:
    from notifications.tasks import create_deliveries

    create_deliveries.apply_async(args=[notification_ids], queue=settings.NOTIFICATIONS_QUEUE)


def _deliveries_create(notifications: list[Notification]) -> list[Delivery]:
    """Each notification's deliveries, one per channel that wants it; sending queued after commit. A
    notification that already has them keeps them (unique per channel), so this is safe to run twice."""
    user_ids = {n.recipient_id for n in notifications}
    # What channels ask of a recipient (address, number), without loading whole accounts.
    users = {
        pk: User(pk=pk, email=email, mobile=mobile)
        for pk, email, mobile in User.objects.filter(pk__in=user_ids).values_list("pk", "email", "mobile")
    }
    preferences = {p.user_id: p for p in Preference.objects.filter(user_id__in=user_ids)}
    choices: dict[int, dict] = {}
    for user_id, channel_name, choice_kind, enabled in ChannelChoice.objects.filter(
        user_id__in=user_ids, kind__in={n.kind for n in notifications}
    ).values_list("user_id", "channel", "kind", "enabled"):
        choices.setdefault(user_id, {})[(channel_name, choice_kind)] = enabled
    deliveries = []
    now = timezone.now()
    for notification in notifications:
        notification._state.fields_cache["recipient"] = users[notification.recipient_id]
        for channel in channels().values():
            if not channel.wants(
                notification=notification,
                preference=preferences.get(notification.recipient_id),
                choices=choices.get(notification.recipient_id),
            ):
                continue
            immediate = channel.immediate
            deliveries.append(
                Delivery(
                    notification_id=notification.pk,
                    channel=channel.name,
                    status=DeliveryStatus.SENT if immediate else DeliveryStatus.PENDING,
                    sent_at=now if immediate else None,
                )
            )
    existing = set(
        Delivery.objects.filter(notification__in=[n.pk for n in notifications]).values_list(
            "notification_id", "channel"
        )
    )
    deliveries = [d for d in deliveries if (d.notification_id, d.channel) not in existing]
    Delivery.objects.bulk_create(deliveries)
    _queue_after_commit(deliveries)
    return deliveries


@transaction.atomic
def deliveries_create(*, notification_ids: list[int]) -> int:
    """Make the deliveries of notifications recorded without them (a large fan-out). Idempotent."""
    notifications = list(Notification.objects.filter(pk__in=notification_ids).order_by("pk"))
    return len(_deliveries_create(notifications))


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


def notify_cohort(*, kind: str, target, **payload) -> list[Notification]:
    """Tell every trainee of the target's cohort (not withdrawn) and its instructors; call in the change's
    transaction, before a deletion (the payload keeps what the row said)."""
    _q, cohort_id, described = describe_target(target)
    trainees = Enrolment.objects.filter(cohort_id=cohort_id).exclude(status=EnrolmentStatus.WITHDRAWN)
    people = set(trainees.values_list("trainee_id", flat=True))
    people |= set(
        Teaching.objects.filter(cohort_id=cohort_id, instructor__is_active=True).values_list("instructor_id", flat=True)
    )
    entries = [(user_id, cohort_id, None) for user_id in sorted(people)]
    return _record(kind=kind, target=target, entries=entries, payload={**described, **payload})


def notify_enrolled(*, enrolments: list[Enrolment], cohort) -> list[Notification]:
    """Tell newly enrolled trainees where they are and how to sign in (a mobile number and an SMS code)."""
    from django.urls import reverse

    entries = [(e.trainee_id, cohort.pk, None) for e in enrolments]
    payload = {"title": cohort.name, "path": reverse("login-sms")}
    return _record(kind=Kind.ENROLLED, target=cohort, entries=entries, payload=payload)


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
    teaches = Teaching.objects.filter(instructor_id=notification.recipient_id, cohort_id=notification.cohort_id)
    if notification.kind in INSTRUCTOR_KINDS:
        return not teaches.exists()
    if notification.kind in COHORT_KINDS and teaches.exists():
        return False
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
        skip = None
        if channel is None:
            skip = "unknown channel"
        elif _left_cohort(notification):
            skip = "recipient left the cohort"
        elif hasattr(channel, "skip_reason"):
            skip = channel.skip_reason(notification=notification)
        if skip:
            delivery.status, delivery.last_error = DeliveryStatus.SKIPPED, skip
            delivery.save(update_fields=["status", "last_error", "updated_at"])
            return SendOutcome(delivery.status)
        try:
            receipt = channel.send(notification=notification)
        except Deferred as deferred:  # quiet hours: no attempt spent, tried again when they end
            delivery.last_error = str(deferred)
            delivery.save(update_fields=["last_error", "updated_at"])
            return SendOutcome(delivery.status, max(1.0, (deferred.until - timezone.now()).total_seconds()))
        except Exception as error:  # any failure of the outside world: SMTP refusal, bounce, provider, timeout
            delivery.attempts += 1
            delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
            retry_in = None
            if delivery.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED
                logger.warning("notification delivery %s failed: %s", delivery.pk, delivery.last_error)
            else:
                retry_in = settings.NOTIFICATIONS_RETRY_BASE_SECONDS * 2 ** (delivery.attempts - 1)
            delivery.save(update_fields=["status", "attempts", "last_error", "updated_at"])
            return SendOutcome(delivery.status, retry_in)
        delivery.attempts += 1
        delivery.status, delivery.sent_at, delivery.last_error = DeliveryStatus.SENT, timezone.now(), ""
        if receipt is not None:  # the provider's message id, e.g. "tencent" and a SerialNo
            delivery.provider, delivery.receipt = receipt.provider, receipt.message_id[:128]
        delivery.save(
            update_fields=["status", "sent_at", "attempts", "last_error", "provider", "receipt", "updated_at"]
        )
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
    orphans = list(
        Notification.objects.filter(created_at__lt=timezone.now() - older_than, deliveries__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )
    if orphans:  # a fan-out whose delivery task was lost: every notification has at least its in-app delivery
        _queue_deliveries_create(orphans)
    return len(ids) + len(orphans)


@transaction.atomic
def notifications_mark_read(*, user: User, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (the given ones, or all). Others' ids are ignored. Returns how many."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        rows = rows.filter(pk__in=notification_ids)
    return rows.update(read_at=timezone.now())


@transaction.atomic
def preference_save(*, user: User, email_enabled: bool, choices: dict | None = None) -> Preference:
    """Turn e-mail on or off for this person and, given `choices` {(channel, kind): on}, set each channel and
    kind; a choice equal to the default keeps no row. Applies to notifications recorded from now on."""
    from notifications.preferences import default_enabled

    preference, _created = Preference.objects.update_or_create(user=user, defaults={"email_enabled": email_enabled})
    if choices is not None:
        ChannelChoice.objects.filter(user=user, channel__in={c for c, _k in choices}).delete()
        ChannelChoice.objects.bulk_create(
            ChannelChoice(user=user, channel=channel, kind=kind, enabled=on)
            for (channel, kind), on in sorted(choices.items())
            if on != default_enabled(channel=channel, kind=kind)
        )
    return preference


# --- reminders from beat


def record_reminders(*, kind: str, target, people: list[tuple[int, int]], key_prefix: str, payload: dict) -> int:
    keys = {user_id: f"{key_prefix}:{user_id}" for user_id, _cohort in people}
    existing = set(Notification.objects.filter(dedupe_key__in=keys.values()).values_list("dedupe_key", flat=True))
    entries = [(u, c, keys[u]) for u, c in people if keys[u] not in existing]
    return len(_record(kind=kind, target=target, entries=entries, payload=payload))


@transaction.atomic
def remind_sessions_tomorrow(*, now=None) -> int:
    """Tell each active trainee about the sessions for it (its cohort's, its team's, its community's:
    `Session.is_expected_of`) that start tomorrow. Idempotent per person and session."""
    from django.urls import reverse

    from courses.models import Session

    now = now or timezone.now()
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    sessions = list(Session.objects.filter(starts_at__date=tomorrow).select_related("lesson").order_by("starts_at"))
    enrolments = list(
        Enrolment.objects.filter(cohort_id__in={s.cohort_id for s in sessions}, status=EnrolmentStatus.ACTIVE).only(
            "trainee_id", "cohort_id", "team_id", "community_id"
        )
    )
    created = 0
    for session in sessions:
        created += record_reminders(
            kind=Kind.SESSION_TOMORROW,
            target=session,
            people=[(e.trainee_id, e.cohort_id) for e in enrolments if session.is_expected_of(e)],
            key_prefix=f"{Kind.SESSION_TOMORROW}:{session.pk}",
            payload={
                "title": session.lesson.title,
                "starts_at": session.starts_at.isoformat(),
                "place": session.place,
                "path": reverse("check-in-list"),
            },
        )
    return created


def notify_member_moved(*, change) -> list[Notification]:
    """Tell a moved trainee and the members of the team it left and the team it joined (in the move's transaction)."""
    return notify(kind=Kind.MEMBER_MOVED, target=change)
