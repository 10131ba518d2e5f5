"""Delivery channels. Settings list them (NOTIFICATION_CHANNELS); a new one (WeCom, SMS) is a class here or elsewhere.

A channel answers two questions: does this person want this notification through me (`wants`), and send it
(`send`, raising on failure; the task retries and finally marks the delivery failed). A channel that needs
no sending (in-app: the row itself is the message) sets `immediate`, and its delivery is recorded as sent.
"""

from functools import cache

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from notifications import messages, preferences
from notifications.models import Kind


class Deferred(Exception):
    """Not now (quiet hours): the task tries again at `until` without counting an attempt."""

    def __init__(self, until):
        super().__init__(f"deferred until {until.isoformat()}")
        self.until = until


class Channel:
    name = ""
    label = ""
    immediate = False
    delay_seconds = 0.0  # how long after commit the first send is tried

    def wants(self, *, notification, preference, choices=None) -> bool:
        return preferences.enabled(channel=self.name, kind=notification.kind, choices=choices)

    def send(self, *, notification) -> None:
        raise NotImplementedError


class InAppChannel(Channel):
    """The bell in the top bar and the notifications page."""

    name = "in_app"
    label = _("In the app")
    immediate = True

    def wants(self, *, notification, preference, choices=None) -> bool:
        return True  # the row is the message: the bell always lists it

    def send(self, *, notification) -> None:
        return None


class EmailChannel(Channel):
    """E-mail through Django's configured backend (console by default, SMTP by settings)."""

    name = "email"
    label = _("E-mail")

    def wants(self, *, notification, preference, choices=None) -> bool:
        if not notification.recipient.email or (preference is not None and not preference.email_enabled):
            return False
        return super().wants(notification=notification, preference=preference, choices=choices)

    def send(self, *, notification) -> None:
        with translation.override(settings.LANGUAGE_CODE):
            text = messages.describe(notification)
            body = f"{text.body}\n\n{settings.LMS_PUBLIC_BASE_URL.rstrip('/')}{text.path}" if text.path else text.body
            send_mail(
                subject=str(text.title),
                message=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[notification.recipient.email],
                fail_silently=False,
            )


class SmsChannel(Channel):
    """A text message through notifications.sms (console or the providers in SMS_BACKEND, with failover).

    For enrolment (how to sign in) and time-critical notices only, by default. Sent after
    NOTIFICATIONS_SMS_FALLBACK_SECONDS, and skipped if the person read the notice in the app by then; not
    sent in quiet hours unless what it announces happens before they end. Returns the provider's receipt.
    """

    name = "sms"
    label = _("Text message (SMS)")

    @property
    def delay_seconds(self) -> float:
        return settings.NOTIFICATIONS_SMS_FALLBACK_SECONDS

    def wants(self, *, notification, preference, choices=None) -> bool:
        if not notification.recipient.mobile or not super().wants(
            notification=notification, preference=preference, choices=choices
        ):
            return False
        if notification.kind == Kind.ENROLLED:
            return True
        return preferences.time_critical(kind=notification.kind, payload=notification.payload, now=timezone.now())

    def send(self, *, notification):
        from notifications.sms import sms_send

        if until := preferences.quiet_until(now=timezone.now(), event_at=preferences.event_at(notification.payload)):
            raise Deferred(until)
        with translation.override(settings.LANGUAGE_CODE):
            text = messages.describe(notification)
        return sms_send(
            mobile=notification.recipient.mobile,
            template="notice",
            params={"title": f"{text.title}：{notification.payload.get('title', '')}", "detail": text.short},
        )

    def skip_reason(self, *, notification) -> str | None:
        """Why a pending SMS is no longer needed: the notice was read in the app before the fallback fired."""
        if notification.read_at is not None:
            return "read in the app before the SMS fallback"
        return None


@cache
def _load(paths: tuple[str, ...]) -> dict[str, Channel]:
    channels = [import_string(path)() for path in paths]
    return {channel.name: channel for channel in channels}


def channels() -> dict[str, Channel]:
    """The configured channels by name."""
    return _load(tuple(settings.NOTIFICATION_CHANNELS))
