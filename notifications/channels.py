"""Delivery channels. Settings list them (NOTIFICATION_CHANNELS); a new one (WeCom, SMS) is a class here or elsewhere.

A channel answers two questions: does this person want this notification through me (`wants`), and send it
(`send`, raising on failure; the task retries and finally marks the delivery failed). A channel that needs
no sending (in-app: the row itself is the message) sets `immediate`, and its delivery is recorded as sent.
"""

from functools import cache

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from notifications import messages


class Channel:
    name = ""
    label = ""
    immediate = False

    def wants(self, *, notification, preference) -> bool:
        return True

    def send(self, *, notification) -> None:
        raise NotImplementedError


class InAppChannel(Channel):
    """The bell in the top bar and the notifications page."""

    name = "in_app"
    label = _("In the app")
    immediate = True

    def send(self, *, notification) -> None:
        return None


class EmailChannel(Channel):
    """E-mail through Django's configured backend (console by default, SMTP by settings)."""

    name = "email"
    label = _("E-mail")

    def wants(self, *, notification, preference) -> bool:
        return bool(notification.recipient.email) and (preference is None or preference.email_enabled)

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


@cache
def _load(paths: tuple[str, ...]) -> dict[str, Channel]:
    channels = [import_string(path)() for path in paths]
    return {channel.name: channel for channel in channels}


def channels() -> dict[str, Channel]:
    """The configured channels by name."""
    return _load(tuple(settings.NOTIFICATION_CHANNELS))
