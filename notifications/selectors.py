"""Reads of a person's notifications: only ever the requesting user's own rows."""

from dataclasses import dataclass

from lms.models import User
from notifications.messages import Text, describe
from notifications.models import Notification

PAGE_SIZE = 50


def unread_count(*, user: User) -> int:
    """The bell's number: one COUNT over the partial index of unread rows, on every page that shows the bell."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


@dataclass(frozen=True)
class NotificationRow:
    notification: Notification
    text: Text

    @property
    def unread(self) -> bool:
        return self.notification.read_at is None


def notification_list(*, user: User, limit: int = PAGE_SIZE) -> list[NotificationRow]:
    """The user's latest notifications, newest first, in one query."""
    rows = Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")[:limit]
    return [NotificationRow(n, describe(n)) for n in rows]
