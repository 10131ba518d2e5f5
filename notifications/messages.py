"""The words of each notification kind, rendered in the reader's language from the row's payload."""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from notifications.models import Kind


@dataclass(frozen=True)
class Text:
    title: str
    body: str
    path: str


def _when(value: str) -> str:
    moment = parse_datetime(value or "")
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def describe(notification) -> Text:
    """Title, one-sentence body and the page to open, for the list, the bell and e-mail."""
    p = notification.payload or {}
    title = p.get("title", "")
    kind = notification.kind
    if kind == Kind.WORK_RETURNED:
        head, body = (
            _("Work returned for revision"),
            _("“%(title)s” was returned: read the feedback and hand in again."),
        )
    elif kind == Kind.GRADE_RELEASED:
        head, body = _("Grade released"), _("Your grade for “%(title)s” is released.")
    elif kind == Kind.OBJECTION_ANSWERED:
        head, body = _("Objection answered"), _("Your objection to the grade of “%(title)s” has been answered.")
    elif kind == Kind.EXTENSION_GRANTED:
        head, body = _("Extension granted"), _("“%(title)s” is now due on %(due)s.")
    elif kind == Kind.CASE_RETURNED:
        head, body = _("Model case returned"), _("Your model case “%(title)s” was returned for revision.")
    elif kind == Kind.CASE_APPROVED:
        head, body = _("Model case approved"), _("Your model case “%(title)s” was approved and joins the case library.")
    elif kind == Kind.CERTIFICATE_ISSUED:
        head, body = _("Certificate issued"), _("Your certificate for “%(title)s” is ready to download.")
    elif kind == Kind.CERTIFICATE_REVOKED:
        head, body = _("Certificate revoked"), _("Your certificate for “%(title)s” was revoked.")
    elif kind == Kind.SESSION_TOMORROW:
        head, body = _("Session tomorrow"), _("“%(title)s” starts at %(starts)s at %(place)s.")
    else:
        head, body = _("Assignment due soon"), _("“%(title)s” is due on %(due)s.")
    body = body % {
        "title": title,
        "due": _when(p.get("due_at")),
        "starts": _when(p.get("starts_at")),
        "place": p.get("place", ""),
    }
    return Text(title=head, body=body, path=p.get("path", ""))
