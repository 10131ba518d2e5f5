"""The words of each notification kind, rendered in the reader's language from the row's payload."""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from notifications.models import Kind


@dataclass(frozen=True)
class Text:
    title: str
    body: str
    path: str
    short: str = ""  # the one fact for a text message: the new time, the due date, or the title


def _when(value: str) -> str:
    moment = parse_datetime(value or "")
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


# Each kind's heading and sentence; %(title)s, %(due)s, %(starts)s and %(place)s come from the payload.
TEXTS = {
    Kind.WORK_RETURNED: (
        _("Work returned for revision"),
        _("“%(title)s” was returned: read the feedback and hand in again."),
    ),
    Kind.GRADE_RELEASED: (_("Grade released"), _("Your grade for “%(title)s” is released.")),
    Kind.OBJECTION_ANSWERED: (
        _("Objection answered"),
        _("Your objection to the grade of “%(title)s” has been answered."),
    ),
    Kind.GRADE_CORRECTED: (
        _("Grade corrected"),
        _("Your grade for “%(title)s” was corrected: %(reason)s"),
    ),
    Kind.MEMBER_MOVED: (
        _("Team or community changed"),
        _("%(who)s moves from %(from)s to %(to)s on %(on)s."),
    ),
    Kind.EXTENSION_GRANTED: (_("Extension granted"), _("“%(title)s” is now due on %(due)s.")),
    Kind.CASE_RETURNED: (_("Model case returned"), _("Your model case “%(title)s” was returned for revision.")),
    Kind.CASE_APPROVED: (
        _("Model case approved"),
        _("Your model case “%(title)s” was approved and joins the case library."),
    ),
    Kind.CERTIFICATE_ISSUED: (_("Certificate issued"), _("Your certificate for “%(title)s” is ready to download.")),
    Kind.CERTIFICATE_REVOKED: (_("Certificate revoked"), _("Your certificate for “%(title)s” was revoked.")),
    Kind.SESSION_TOMORROW: (_("Session tomorrow"), _("“%(title)s” starts at %(starts)s at %(place)s.")),
    Kind.ASSIGNMENT_DUE_SOON: (_("Assignment due soon"), _("“%(title)s” is due on %(due)s.")),
    Kind.ENROLLED: (
        _("Enrolled in a cohort"),
        _("You are enrolled in “%(title)s”. Sign in with your mobile number and a code sent to it by SMS."),
    ),
    Kind.SESSION_ADDED: (_("Session added"), _("New session “%(title)s” at %(starts)s at %(place)s.")),
    Kind.SESSION_MOVED: (_("Session moved"), _("“%(title)s” now starts at %(starts)s at %(place)s.")),
    Kind.SESSION_CANCELLED: (_("Session cancelled"), _("“%(title)s” at %(starts)s is cancelled.")),
    Kind.DUE_DATE_CHANGED: (_("Due date changed"), _("“%(title)s” is now due on %(due)s.")),
    Kind.WORK_SUBMITTED_DIGEST: (
        _("Work handed in this hour"),
        _("%(count)s hand-ins in “%(title)s” are waiting for your grading."),
    ),
    Kind.WORK_SUBMITTED: (_("Work handed in"), _("%(who)s handed in “%(title)s”: it is waiting for your grading.")),
    Kind.OBJECTION_RAISED: (_("Objection to a grade"), _("%(who)s objected to the grade of “%(title)s”.")),
}


def describe(notification) -> Text:
    """Title, one-sentence body and the page to open, for the list, the bell and e-mail."""
    p = notification.payload or {}
    head, body = TEXTS[notification.kind]
    values = {"title": p.get("title", ""), "due": _when(p.get("due_at")), "starts": _when(p.get("starts_at"))}
    values |= {"place": p.get("place", ""), "who": p.get("who", ""), "reason": p.get("reason", "")}
    values |= {"from": p.get("from", ""), "to": p.get("to", ""), "on": p.get("on", "")}
    values |= {"mobile": p.get("mobile", ""), "count": p.get("count", "")}
    short = values["starts"] or values["due"] or values["title"]
    if notification.kind == Kind.ENROLLED:
        short = str(_("sign in with an SMS code"))
    return Text(title=str(head), body=str(body) % values, path=p.get("path", ""), short=short)
