from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lms.models import TimeStamped


class Kind(models.TextChoices):
    """What happened: each kind has one trigger (a service or a beat reminder)."""

    WORK_RETURNED = "work_returned", _("Work returned for revision")
    GRADE_RELEASED = "grade_released", _("Grade released")
    OBJECTION_ANSWERED = "objection_answered", _("Objection answered")
    GRADE_CORRECTED = "grade_corrected", _("Grade corrected")
    MEMBER_MOVED = "member_moved", _("Team or community changed")
    EXTENSION_GRANTED = "extension_granted", _("Extension granted")
    CASE_RETURNED = "case_returned", _("Model case returned")
    CASE_APPROVED = "case_approved", _("Model case approved")
    CERTIFICATE_ISSUED = "certificate_issued", _("Certificate issued")
    CERTIFICATE_REVOKED = "certificate_revoked", _("Certificate revoked")
    SESSION_TOMORROW = "session_tomorrow", _("Session tomorrow")
    ASSIGNMENT_DUE_SOON = "assignment_due_soon", _("Assignment due soon")
    ENROLLED = "enrolled", _("Enrolled in a cohort")
    SESSION_ADDED = "session_added", _("Session added")
    SESSION_MOVED = "session_moved", _("Session moved")
    SESSION_CANCELLED = "session_cancelled", _("Session cancelled")
    DUE_DATE_CHANGED = "due_date_changed", _("Due date changed")
    # For the cohort's instructors, not its trainees.
    WORK_SUBMITTED = "work_submitted", _("Work handed in")
    OBJECTION_RAISED = "objection_raised", _("Objection to a grade")
    WORK_SUBMITTED_DIGEST = "work_submitted_digest", _("Work handed in this hour")


# Kinds told to a cohort's instructors: whether the recipient still belongs is asked of Teaching, not Enrolment.
INSTRUCTOR_KINDS = frozenset({Kind.WORK_SUBMITTED, Kind.OBJECTION_RAISED, Kind.WORK_SUBMITTED_DIGEST})
# Kinds told to a cohort's trainees and its instructors alike: the recipient belongs while either holds.
COHORT_KINDS = frozenset({Kind.SESSION_ADDED, Kind.SESSION_MOVED, Kind.SESSION_CANCELLED})


class Notification(TimeStamped):
    """One thing one person is told, recorded in the transaction of the change that causes it (an outbox row)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    cohort = models.ForeignKey(
        "courses.Cohort", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("cohort")
    )
    target_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("kind of target")
    )
    target_id = models.PositiveBigIntegerField(_("target number"))
    payload = models.JSONField(_("details"), default=dict, blank=True)
    # Reminders from beat carry a key (kind, person, object, date) so a second run records nothing new.
    dedupe_key = models.CharField(_("reminder key"), max_length=128, null=True, blank=True, unique=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"]),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.get_kind_display()}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class Delivery(TimeStamped):
    """A notification's delivery through one channel, with its attempts and last error."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("notification")
    )
    channel = models.CharField(_("channel"), max_length=32)
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # The provider that accepted the message and its message id (Aliyun's BizId, Tencent's SerialNo).
    provider = models.CharField(_("provider"), max_length=32, blank=True)
    receipt = models.CharField(_("provider's message id"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [models.UniqueConstraint(fields=["notification", "channel"], name="delivery_unique_per_channel")]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.notification} · {self.channel} · {self.status}"


class Preference(TimeStamped):
    """A person's choice of channels; without a row every channel is on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_enabled = models.BooleanField(_("send me e-mail"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)


class ChannelChoice(TimeStamped):
    """A person's choice for one channel and kind; without a row the role's default holds (preferences.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channel_choices")
    channel = models.CharField(_("channel"), max_length=32)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    enabled = models.BooleanField(_("on"), default=True)

    class Meta:
        verbose_name = _("channel choice")
        verbose_name_plural = _("channel choices")
        constraints = [models.UniqueConstraint(fields=["user", "channel", "kind"], name="channel_choice_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.channel} · {self.kind}"
