from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from courses.models import Cohort, Enrolment, Lesson
from lms.models import District, TimeStamped


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


class IssuerProfile(TimeStamped):
    """A district's identity on its certificates: the issuing body, its seal and the certificate's wording.

    It belongs to the district, never to the course: two districts running one course each issue in
    their own name, with their own seal and wording. Empty HTML means the built-in wording.
    """

    district_lookup = "district"

    district = models.OneToOneField(
        District, on_delete=models.CASCADE, related_name="issuer_profile", verbose_name=_("district")
    )
    name = models.CharField(_("issuing body"), max_length=128, help_text=_("The full name, e.g. 佛山市顺德区民政局."))
    short_name = models.CharField(_("short name"), max_length=32, blank=True, help_text=_("e.g. 顺德区民政局."))
    seal = models.BinaryField(_("seal image"), blank=True, default=b"", editable=False)
    seal_type = models.CharField(_("seal image type"), max_length=16, blank=True)
    html = models.TextField(_("HTML"), blank=True)
    css = models.TextField(_("CSS"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("issuing body")
        verbose_name_plural = _("issuing bodies")

    def __str__(self) -> str:
        return self.name


class SigningKeyQuerySet(models.QuerySet):
    def usable(self):
        """Keys that may sign now: neither retired nor reported compromised."""
        return self.filter(retired_at__isnull=True, compromised_since__isnull=True)


class SigningKey(TimeStamped):
    """One of a district's signing keys, kept with its history so that every certificate it signed stays verifiable.

    Stored in the database so every host (web, any worker) reads the same keys by settings alone; the
    private key is encrypted (AES-256-GCM) under LMS_KEY_ENCRYPTION_KEY, with the key's identity as
    associated data. `owner` is the district's code, or "_deployment" for a deployment-wide key used by
    districts without their own. Its id, a URI, is .../issuers/<owner>/keys/<number>.
    """

    district_lookup = "district"

    owner = models.CharField(_("owner"), max_length=32)
    district = models.ForeignKey(
        District,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_keys",
        verbose_name=_("district"),
    )
    number = models.PositiveIntegerField(_("number"))
    certificate_pem = models.TextField(_("X.509 certificate (PEM)"))
    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=95, unique=True)
    private_key = models.BinaryField(_("private key (encrypted)"), editable=False)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    compromised_since = models.DateTimeField(_("compromised since"), null=True, blank=True)

    objects = SigningKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        ordering = ["owner", "number"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "number"], name="signing_key_number_unique"),
            models.UniqueConstraint(
                fields=["owner"],
                condition=Q(retired_at__isnull=True, compromised_since__isnull=True),
                name="signing_key_one_usable_per_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner}/keys/{self.number}"

    @property
    def usable(self) -> bool:
        """The twin of SigningKeyQuerySet.usable."""
        return self.retired_at is None and self.compromised_since is None


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


# What anyone may check at /verify/<code> or by uploading the file: what was issued, valid or since revoked.
PUBLIC_STATES = frozenset({CertificateStatus.ISSUED, CertificateStatus.REVOKED})


class CertificateQuerySet(models.QuerySet):
    def publicly_verifiable(self):
        """The twin of Certificate.is_publicly_verifiable: never one waiting or failed."""
        return self.filter(status__in=PUBLIC_STATES)

    def downloadable(self):
        """The twin of Certificate.is_downloadable: issued, with its file. A revoked one is not its holder's
        to download any more (its district's staff still may, for the record: certificate_pdf_allowed)."""
        return self.filter(status=CertificateStatus.ISSUED).exclude(pdf="")

    def signed_after_compromise(self):
        """Certificates signed with a key after the moment it was reported compromised: refused, to be reissued."""
        return self.filter(
            signing_key__compromised_since__isnull=False, rendered_at__gte=F("signing_key__compromised_since")
        )


class Certificate(TimeStamped):
    """A completion certificate. Name, course, cohort and date are snapshotted at issue."""

    objects = CertificateQuerySet.as_manager()

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
    signing_key = models.ForeignKey(
        "SigningKey",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("signing key"),
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

    @property
    def signed_after_compromise(self) -> bool:
        """The twin of CertificateQuerySet.signed_after_compromise (reads the signing key)."""
        key = self.signing_key if self.signing_key_id else None
        return bool(key and key.compromised_since and self.rendered_at and self.rendered_at >= key.compromised_since)

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

    @property
    def is_publicly_verifiable(self) -> bool:
        return self.status in PUBLIC_STATES

    @property
    def is_downloadable(self) -> bool:
        return self.status == CertificateStatus.ISSUED and bool(self.pdf)
