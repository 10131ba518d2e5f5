from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.models import ContentType
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PreviewState(models.TextChoices):
    """Where a stored picture's thumbnail and display copies stand; a worker makes them after commit."""

    NONE = "none", _("No preview")  # not a picture we reduce (PDF, document, HEIC)
    PENDING = "pending", _("Processing…")
    READY = "ready", _("Ready")
    FAILED = "failed", _("No preview could be made")


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


mobile_validator = RegexValidator(r"^1\d{10}$", _("Enter an 11-digit mainland mobile number."))


class User(AbstractUser):
    """A person: trainee, instructor, district staff, or several of these at once."""

    first_name = None
    last_name = None
    full_name = models.CharField(_("full name"), max_length=64)
    mobile = models.CharField(_("mobile number"), max_length=11, blank=True, validators=[mobile_validator])
    email = models.EmailField(_("e-mail"), blank=True)
    community = models.ForeignKey(
        "lms.Community",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("community"),
        help_text=_("Where the person lives or works; enrolments keep their own community."),
    )
    must_change_password = models.BooleanField(
        _("must set a new password"),
        default=False,
        help_text=_("Set when staff gave a temporary password: the next login asks for a new one."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = UserManager()
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(fields=["mobile"], condition=~Q(mobile=""), name="user_mobile_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name


class District(TimeStamped):
    district_lookup = "id"

    name = models.CharField(_("name"), max_length=64, unique=True)
    code = models.SlugField(_("code"), max_length=16, unique=True, help_text=_("Short Latin code, e.g. NH."))

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PlaceQuerySet(models.QuerySet):
    def in_use(self):
        return self.filter(retired_at__isnull=True)


class Town(TimeStamped):
    district_lookup = "district"

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="towns", verbose_name=_("district"))
    name = models.CharField(_("name"), max_length=64)
    # Retired: kept for history (enrolments, teams, projects still name it) but offered for nothing new.
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("town")
        verbose_name_plural = _("towns")
        ordering = ["district__name", "name"]
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="town_unique_in_district")]

    def __str__(self) -> str:
        return self.name


class CommunityQuerySet(models.QuerySet):
    def choosable(self):
        """Communities that may be chosen for something new: neither they nor their town retired.
        The one definition behind every community choice (forms, API, sheets, services)."""
        return self.filter(retired_at__isnull=True, town__retired_at__isnull=True)


class Community(TimeStamped):
    district_lookup = "town__district"

    town = models.ForeignKey(Town, on_delete=models.PROTECT, related_name="communities", verbose_name=_("town"))
    name = models.CharField(_("name"), max_length=64)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    objects = CommunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["town__name", "name"]
        constraints = [models.UniqueConstraint(fields=["town", "name"], name="community_unique_in_town")]

    def __str__(self) -> str:
        return f"{self.town.name} · {self.name}"


class DistrictStaff(TimeStamped):
    """The district-staff role: runs the cohorts of one district."""

    district_lookup = "district"

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="staff", verbose_name=_("district"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="district_roles", verbose_name=_("user")
    )

    class Meta:
        verbose_name = _("district staff")
        verbose_name_plural = _("district staff")
        constraints = [models.UniqueConstraint(fields=["district", "user"], name="district_staff_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.district}"


class AuditEntry(models.Model):
    """Who did what to which row; written by services in the same transaction as the change."""

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("who")
    )
    verb = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("kind of record")
    )
    target_id = models.CharField(_("record"), max_length=64)
    data = models.JSONField(_("details"), default=dict, blank=True)
    # The district and cohort of the target, copied at write time so that "which rows may this
    # person read" is one indexed filter (plain ids: an audit row outlives what it names).
    district_id = models.PositiveIntegerField(_("district number"), null=True, blank=True)
    cohort_id = models.PositiveIntegerField(_("cohort number"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            models.Index(fields=["district_id", "-created_at"], name="audit_district_recent"),
            models.Index(fields=["cohort_id", "-created_at"], name="audit_cohort_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.verb}"


class IdempotencyKey(models.Model):
    """A create a client made under its own key (a UUID), with the answer it got, so a replay gets that answer.

    Written in the same transaction as the rows the request created, so a key exists exactly when its
    create committed; a refused request (4xx/5xx) keeps no key. Kept at least IDEMPOTENCY_KEEP_DAYS.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.UUIDField(_("idempotency key"))
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=512)
    # SHA-256 of the request's content (fields and files, never the multipart boundary or the CSRF token).
    fingerprint = models.CharField(max_length=64, blank=True)
    request_length = models.PositiveBigIntegerField(default=0)
    status = models.PositiveSmallIntegerField(default=0)
    content_type = models.CharField(max_length=128, blank=True)
    location = models.CharField(max_length=2048, blank=True)
    body = models.BinaryField(default=b"")
    # Each file received: field, name, size, sha256, so a client can check its bytes arrived whole.
    received = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key}"


class TusUpload(models.Model):
    """A resumable upload (tus 1.0.0, lms.tus): its chunks lie in private storage until it is used or expires."""

    id = models.UUIDField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    length = models.PositiveBigIntegerField()
    offset = models.PositiveBigIntegerField(default=0)
    metadata = models.JSONField(default=dict, blank=True)
    # The stored chunks in order: [[offset, storage name], ...]; their sizes add up to `offset`.
    chunks = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("resumable upload")
        verbose_name_plural = _("resumable uploads")

    def __str__(self) -> str:
        return f"{self.pk} {self.offset}/{self.length}"
