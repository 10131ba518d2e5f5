from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from courses.models import Cohort, Course, Enrolment, Lesson
from lms.models import TimeStamped


class CompletionRule(TimeStamped):
    """What a trainee of one cohort must have done to be eligible for a certificate.

    Each criterion is evaluated by a function in certificates/eligibility.py; a criterion whose
    data source is not installed yet is reported as "not available" and does not block.
    """

    district_lookup = "cohort__district"
    cohort_lookup = "cohort"

    cohort = models.OneToOneField(
        Cohort, on_delete=models.CASCADE, related_name="completion_rule", verbose_name=_("cohort")
    )
    required_lessons = models.ManyToManyField(
        Lesson,
        blank=True,
        related_name="+",
        verbose_name=_("required lessons"),
        help_text=_("Lessons every trainee must have done. Leave empty to require none in particular."),
    )
    min_lesson_percent = models.PositiveSmallIntegerField(
        _("lessons done (minimum %)"), default=100, validators=[MaxValueValidator(100)]
    )
    min_attendance_percent = models.PositiveSmallIntegerField(
        _("in-person sessions attended (minimum %)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("Leave empty to not check attendance."),
    )
    require_assignments_passed = models.BooleanField(
        _("required assignments graded at or above their pass mark"), default=False
    )
    require_model_case_approved = models.BooleanField(_("model case approved"), default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("completion rule")
        verbose_name_plural = _("completion rules")

    def __str__(self) -> str:
        return str(self.cohort)


class CertificateTemplate(TimeStamped):
    """The HTML and CSS a course's certificates are rendered from; placeholders like {{ trainee_name }}."""

    course = models.OneToOneField(
        Course, on_delete=models.CASCADE, related_name="certificate_template", verbose_name=_("course")
    )
    html = models.TextField(_("HTML"))
    css = models.TextField(_("CSS"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("certificate template")
        verbose_name_plural = _("certificate templates")

    def __str__(self) -> str:
        return str(self.course)


class SerialCounter(models.Model):
    """The last serial number used in a cohort; locked with SELECT … FOR UPDATE while issuing."""

    cohort = models.OneToOneField(Cohort, on_delete=models.CASCADE, related_name="+", primary_key=True)
    last_number = models.PositiveIntegerField(default=0)


class IssuanceBatch(TimeStamped):
    """One press of "issue": the certificates it created; its counts are derived by query."""

    district_lookup = "cohort__district"
    cohort_lookup = "cohort"

    cohort = models.ForeignKey(
        Cohort, on_delete=models.PROTECT, related_name="issuance_batches", verbose_name=_("cohort")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )

    class Meta:
        verbose_name = _("issuance batch")
        verbose_name_plural = _("issuance batches")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.cohort} · {self.created_at:%Y-%m-%d %H:%M}"


class CertificateStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    ISSUED = "issued", _("Issued")
    FAILED = "failed", _("Failed")
    REVOKED = "revoked", _("Revoked")


class RevocationReason(models.TextChoices):
    ERROR = "error", _("Issued in error")
    DATA_CORRECTION = "data_correction", _("Wrong details (reissued)")
    MISCONDUCT = "misconduct", _("Misconduct")
    WITHDRAWN = "withdrawn", _("Trainee withdrawn")
    OTHER = "other", _("Other")


class Certificate(TimeStamped):
    """A completion certificate. Name, course, cohort and date are snapshotted at issue."""

    district_lookup = "cohort__district"
    cohort_lookup = "cohort"

    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("cohort"))
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("enrolment")
    )
    batch = models.ForeignKey(
        IssuanceBatch, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("batch")
    )
    serial = models.CharField(_("serial number"), max_length=32)
    serial_number = models.PositiveIntegerField(_("number within the cohort"))
    code = models.CharField(_("verification code"), max_length=32, unique=True)
    trainee_name = models.CharField(_("trainee name"), max_length=64)
    course_title = models.CharField(_("course title"), max_length=128)
    cohort_name = models.CharField(_("cohort name"), max_length=128)
    issuing_body = models.CharField(_("issuing body"), max_length=256, blank=True)
    issued_on = models.DateField(_("date of issue"))
    status = models.CharField(
        _("status"), max_length=16, choices=CertificateStatus.choices, default=CertificateStatus.PENDING
    )
    pdf = models.FileField(_("PDF"), upload_to="certificates/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    rendered_at = models.DateTimeField(_("rendered at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("render attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revocation_reason = models.CharField(
        _("reason for revocation"), max_length=32, choices=RevocationReason.choices, blank=True
    )
    revocation_note = models.TextField(_("note on the revocation"), blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reissue_of = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reissued_as",
        verbose_name=_("reissue of"),
    )

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["cohort", "serial_number"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "serial_number"], name="certificate_serial_unique"),
            models.UniqueConstraint(
                fields=["enrolment"], condition=~Q(status="revoked"), name="certificate_one_valid_per_enrolment"
            ),
            models.CheckConstraint(
                condition=Q(status="revoked", revoked_at__isnull=False) | (~Q(status="revoked") & Q(revoked_at=None)),
                name="certificate_revoked_has_date",
            ),
        ]
        indexes = [models.Index(fields=["status", "queued_at"])]

    def __str__(self) -> str:
        return f"{self.serial} {self.trainee_name}"

    # One boolean per state a page acts on, so templates never spell a state string.
    @property
    def is_pending(self) -> bool:
        return self.status == CertificateStatus.PENDING

    @property
    def is_issued(self) -> bool:
        return self.status == CertificateStatus.ISSUED

    @property
    def is_failed(self) -> bool:
        return self.status == CertificateStatus.FAILED

    @property
    def is_revoked(self) -> bool:
        return self.status == CertificateStatus.REVOKED
