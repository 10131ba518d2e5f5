"""SMS through the providers' official SDKs against local stand-ins that check their signatures, with failover."""

import logging
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from notifications import preferences, services
from notifications.models import Delivery, DeliveryStatus, Kind, Notification
from notifications.sms import SmsSendFailed, sms_send
from tests.courses.factories import SessionFactory

pytestmark = pytest.mark.django_db

SMS_CHANNELS = [
    "notifications.channels.InAppChannel",
    "notifications.channels.EmailChannel",
    "notifications.channels.SmsChannel",
]


@pytest.fixture
def providers(sms_standin, settings):
    """Both providers configured in the order aliyun, tencent, pointed at the stand-in."""
    for name, value in sms_standin.settings().items():
        setattr(settings, name, value.split(",") if name == "SMS_BACKEND" else value)
    return sms_standin


def test_aliyun_sends_through_its_sdk_signed_as_the_provider_checks(providers, settings):
    settings.SMS_BACKEND = ["aliyun"]
    receipt = sms_send(mobile="13800138000", template="code", params={"code": "482913", "minutes": 5})
    [sent] = providers.outbox()
    assert receipt.provider == "aliyun" and receipt.message_id == sent["id"]
    assert sent["mobile"] == "13800138000" and sent["template"] == "SMS_270001" and sent["sign"] == "社区规划师"
    assert sent["params"] == {"code": "482913", "minutes": "5"}
    assert providers.rejected() == []


def test_tencent_sends_through_its_sdk_signed_tc3(providers, settings):
    settings.SMS_BACKEND = ["tencent"]
    receipt = sms_send(mobile="13800138000", template="notice", params={"title": "课程改期", "detail": "明天08:00"})
    [sent] = providers.outbox()
    assert receipt.provider == "tencent" and receipt.message_id == sent["id"]
    assert sent["mobile"] == "13800138000" and sent["template"] == "1100002" and sent["app"] == "1400000001"
    assert sent["params"] == ["课程改期", "明天08:00"]  # numbered parameters, in the template's order


@pytest.mark.parametrize("backend, setting, code", [
    ("aliyun", "SMS_ALIYUN_ACCESS_KEY_SECRET", "SignatureDoesNotMatch"),
    ("tencent", "SMS_TENCENT_SECRET_KEY", "AuthFailure.SignatureFailure"),
])  # fmt: skip
def test_a_wrong_secret_fails_the_providers_signature_check(providers, settings, backend, setting, code):
    settings.SMS_BACKEND = [backend]
    setattr(settings, setting, "not-the-secret")
    with pytest.raises(SmsSendFailed, match=code):
        sms_send(mobile="13800138000", template="code", params={"code": "1", "minutes": 5})
    assert providers.outbox() == [] and providers.rejected() == [{"provider": backend, "code": code}]


@pytest.mark.parametrize("mode", ["error", "down"])
def test_a_failing_first_provider_fails_over_to_the_next(providers, mode, caplog):
    providers.control(aliyun=mode)
    with caplog.at_level(logging.WARNING, logger="notifications.sms"):
        receipt = sms_send(mobile="13800138000", template="code", params={"code": "1", "minutes": 5})
    [sent] = providers.outbox()
    assert receipt.provider == "tencent" and receipt.message_id == sent["id"]
    assert "SMS provider aliyun failed" in caplog.text


def test_every_provider_failing_raises_with_each_error(providers):
    providers.control(aliyun="error", tencent="error")
    with pytest.raises(SmsSendFailed) as failed:
        sms_send(mobile="13800138000", template="code", params={"code": "1", "minutes": 5})
    assert "isv.BUSINESS_LIMIT_CONTROL" in str(failed.value)
    assert "InsufficientBalanceInSmsPackage" in str(failed.value)
    assert providers.outbox() == []


def test_console_backend_prints_on_the_senders_log(settings, caplog):
    settings.SMS_BACKEND = ["console"]
    with caplog.at_level(logging.WARNING, logger="notifications.sms"):
        receipt = sms_send(mobile="13800138000", template="code", params={"code": "482913", "minutes": 5})
    assert receipt.provider == "console"
    assert "SMS to 13800138000 [code] code=482913, minutes=5" in caplog.text


# --- the SMS channel: deliveries keep the receipt


AFTERNOON = timezone.make_aware(datetime(2026, 12, 8, 14, 0))  # outside quiet hours


@pytest.fixture
def afternoon(monkeypatch):
    """The clock the SMS channel reads (time-critical? quiet hours?) stands at 14:00 Asia/Shanghai."""
    monkeypatch.setattr("notifications.channels.timezone.now", lambda: AFTERNOON)
    return AFTERNOON


@pytest.fixture
def sms_world(world, providers, settings, afternoon):
    settings.NOTIFICATION_CHANNELS = SMS_CHANNELS
    settings.NOTIFICATIONS_SMS_FALLBACK_SECONDS = 0
    world.trainee.mobile = "13900139000"
    world.trainee.save(update_fields=["mobile"])
    return world


def _session_soon(world, hours=3):
    return SessionFactory(lesson=world.skills_lesson, starts_at=AFTERNOON + timedelta(hours=hours))


def _sms_delivery(world) -> Delivery:
    return Delivery.objects.get(channel="sms", notification__recipient=world.trainee)


def test_a_time_critical_notice_goes_by_sms_and_keeps_the_receipt(
    sms_world, providers, django_capture_on_commit_callbacks
):
    session = _session_soon(sms_world)
    with django_capture_on_commit_callbacks(execute=False):
        services.notify(kind=Kind.SESSION_MOVED, target=session)
    delivery = _sms_delivery(sms_world)
    services.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    [sent] = providers.outbox()
    assert delivery.status == DeliveryStatus.SENT and delivery.provider == "aliyun" and delivery.receipt == sent["id"]
    assert sent["mobile"] == "13900139000" and sent["template"] == "SMS_270002"


def test_failover_delivery_records_the_second_providers_receipt(
    sms_world, providers, django_capture_on_commit_callbacks
):
    providers.control(aliyun="error")
    session = _session_soon(sms_world)
    with django_capture_on_commit_callbacks(execute=False):
        services.notify(kind=Kind.SESSION_CANCELLED, target=session)
    delivery = _sms_delivery(sms_world)
    services.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    [sent] = providers.outbox()
    assert (delivery.status, delivery.provider, delivery.receipt, delivery.attempts) == (
        DeliveryStatus.SENT,
        "tencent",
        sent["id"],
        1,
    )


def test_all_providers_failing_is_retried_then_failed(
    sms_world, providers, settings, django_capture_on_commit_callbacks
):
    providers.control(aliyun="down", tencent="error")
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    with django_capture_on_commit_callbacks(execute=False):
        services.notify(kind=Kind.SESSION_MOVED, target=_session_soon(sms_world))
    delivery = _sms_delivery(sms_world)
    first = services.delivery_send(delivery_id=delivery.pk)
    assert first.status == DeliveryStatus.PENDING and first.retry_in == settings.NOTIFICATIONS_RETRY_BASE_SECONDS
    second = services.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert second.status == DeliveryStatus.FAILED == delivery.status and delivery.receipt == ""
    assert "SmsSendFailed" in delivery.last_error and "InsufficientBalance" in delivery.last_error


def test_no_sms_without_a_mobile_or_for_a_distant_event(sms_world, django_capture_on_commit_callbacks):
    far = SessionFactory(lesson=sms_world.skills_lesson, starts_at=AFTERNOON + timedelta(days=10))
    with django_capture_on_commit_callbacks(execute=False):
        services.notify(kind=Kind.SESSION_MOVED, target=far)
    assert not Delivery.objects.filter(channel="sms").exists()  # not time-critical
    sms_world.trainee.mobile = ""
    sms_world.trainee.save(update_fields=["mobile"])
    with django_capture_on_commit_callbacks(execute=False):
        services.notify(kind=Kind.SESSION_MOVED, target=_session_soon(sms_world))
    assert not Delivery.objects.filter(channel="sms").exists()


def test_a_notice_read_in_the_app_before_the_fallback_sends_no_sms(
    sms_world, providers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        services.notify(kind=Kind.SESSION_MOVED, target=_session_soon(sms_world))
    services.notifications_mark_read(user=sms_world.trainee)
    delivery = _sms_delivery(sms_world)
    services.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SKIPPED and providers.outbox() == []


# --- quiet hours (Asia/Shanghai)


def _shanghai(day_hour_minute):
    day, hour, minute = day_hour_minute
    return timezone.make_aware(datetime(2026, 12, day, hour, minute))


@pytest.mark.parametrize("now, event, until", [
    ((8, 21, 59), (9, 9, 0), None),            # before 22:00: send
    ((8, 22, 0), (9, 9, 0), (9, 8, 0)),        # quiet: wait for 08:00
    ((9, 3, 0), (9, 9, 0), (9, 8, 0)),         # after midnight, same morning
    ((9, 3, 0), (9, 7, 30), None),             # the session is sooner than 08:00: tell now
    ((9, 8, 0), (9, 9, 0), None),              # 08:00: send
])  # fmt: skip
def test_quiet_hours(now, event, until):
    expected = _shanghai(until) if until else None
    assert preferences.quiet_until(now=_shanghai(now), event_at=_shanghai(event)) == expected


def test_an_sms_in_quiet_hours_waits_without_spending_an_attempt(
    sms_world, providers, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        services.notify(kind=Kind.SESSION_MOVED, target=_session_soon(sms_world))
    night = _shanghai((8, 23, 0))
    monkeypatch.setattr("notifications.channels.timezone.now", lambda: night)
    delivery = _sms_delivery(sms_world)
    delivery.notification.payload["starts_at"] = _shanghai((9, 10, 0)).isoformat()
    delivery.notification.save(update_fields=["payload"])
    outcome = services.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 0 and providers.outbox() == []
    assert outcome.retry_in > 0 and "deferred until 2026-12-09T08:00:00+08:00" in delivery.last_error


def test_a_large_fan_out_records_notifications_now_and_deliveries_in_a_worker(
    sms_world, providers, settings, eager_tasks, django_capture_on_commit_callbacks
):
    settings.NOTIFICATIONS_SENT_IN_REQUEST = 1  # the world's cohort counts as "many"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.notify_cohort(kind=Kind.SESSION_MOVED, target=_session_soon(sms_world))
    notified = Notification.objects.filter(kind=Kind.SESSION_MOVED)
    assert notified.count() > 1 and not Delivery.objects.exists()  # the request recorded only the notices
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()  # the task: deliveries made and queued (eagerly here), SMS sent
    delivery = _sms_delivery(sms_world)
    assert delivery.status == DeliveryStatus.SENT and delivery.receipt == providers.outbox()[0]["id"]
    assert Delivery.objects.filter(channel="in_app").count() == notified.count()
    assert services.deliveries_create(notification_ids=list(notified.values_list("pk", flat=True))) == 0  # twice


def test_the_sweep_makes_deliveries_a_lost_fan_out_task_never_made(
    sms_world, providers, settings, eager_tasks, django_capture_on_commit_callbacks
):
    settings.NOTIFICATIONS_SENT_IN_REQUEST = 1
    with django_capture_on_commit_callbacks(execute=False):  # the task is lost: its callback never runs
        services.notify_cohort(kind=Kind.SESSION_MOVED, target=_session_soon(sms_world))
    assert not Delivery.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.deliveries_sweep(older_than=timedelta(seconds=-60))
    assert _sms_delivery(sms_world).status == DeliveryStatus.SENT
