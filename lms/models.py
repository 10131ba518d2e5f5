from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.models import ContentType
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PreviewState(models.TextChoices):
    """Where a stored picture's thumbnail and display copies stand; a worker makes them after commit."""

    NONE = "none", _("No preview")  # not a picture we reduce (PDF, document, HEIC)
    PENDING = "pending", _("Processing…")
    READY = "ready", _("Ready")
    FAILED = "failed", _("No preview could be made")


class PreviewFacts:
    """What a page shows of a stored picture, read from its `preview_state` (a mixin of every row that has
    one), so that templates test booleans and never spell a state."""

    @property
    def preview_ready(self) -> bool:
        return self.preview_state == PreviewState.READY

    @property
    def preview_pending(self) -> bool:
        return self.preview_state == PreviewState.PENDING

    @property
    def preview_shown(self) -> bool:
        """A picture the page shows: ready, or being made (the page swaps it in when ready)."""
        return self.preview_ready or self.preview_pending


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


# Audited events that change nothing: signing in and out, refusals, exports and downloads (lms.audit_events).
AUDIT_EVENT_PREFIXES = ("auth.", "access.", "export.", "download.")


class AuditEntryQuerySet(models.QuerySet):
    def changes(self):
        """Entries that record a change of state, not a sign-in, a refusal or a read."""
        query = Q()
        for prefix in AUDIT_EVENT_PREFIXES:
            query |= Q(verb__startswith=prefix)
        return self.exclude(query)


class AuditEntry(models.Model):
    """Who did what to which row; written by services in the same transaction as the change.

    Rows form a hash chain (lms.audit_chain): each stores the SHA-256 of its own content, which
    includes the previous row's hash and its place in the chain. On PostgreSQL a trigger refuses
    UPDATE and DELETE; `manage.py audit_verify` finds any row changed, removed or put out of order.
    """

    # Set by the chain (not auto_now_add): the stamp is part of the hashed content.
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
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
    sequence = models.BigIntegerField(_("place in the chain"), unique=True)
    previous_hash = models.CharField(_("hash of the previous entry"), max_length=64)
    entry_hash = models.CharField(_("hash of this entry"), max_length=64)
    # SM3 (GB/T 32905) of the same content, when LMS_AUDIT_SM3 is on; empty otherwise.
    entry_sm3 = models.CharField(_("SM3 of this entry"), max_length=64, blank=True)

    objects = AuditEntryQuerySet.as_manager()

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


class AuditVerification(models.Model):
    """One run of `audit_verify`: the operators' page shows the latest; the next run checks its head still holds."""

    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    ok = models.BooleanField(_("chain intact"))
    entries_checked = models.PositiveIntegerField(_("entries checked"), default=0)
    head_sequence = models.BigIntegerField(_("last place checked"), null=True, blank=True)
    head_hash = models.CharField(_("hash of the last entry checked"), max_length=64, blank=True)
    problem_sequence = models.BigIntegerField(_("first broken place"), null=True, blank=True)
    problem = models.TextField(_("what was found"), blank=True)

    class Meta:
        verbose_name = _("audit verification")
        verbose_name_plural = _("audit verifications")
        ordering = ["-created_at", "-pk"]


class AuditArchive(models.Model):
    """Audit entries moved to a signed archive file by `audit_archive`; the chain continues from its last hash."""

    created_at = models.DateTimeField(_("when"), default=timezone.now)
    first_sequence = models.BigIntegerField(_("first place"))
    last_sequence = models.BigIntegerField(_("last place"), unique=True)
    last_hash = models.CharField(_("hash of the last entry"), max_length=64)
    entries = models.PositiveIntegerField(_("entries"))
    file_name = models.CharField(_("file"), max_length=255)
    file_sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    signature = models.CharField(_("signature"), max_length=128)

    class Meta:
        verbose_name = _("audit archive")
        verbose_name_plural = _("audit archives")
        ordering = ["-last_sequence"]


class SecondFactorDevice(TimeStamped):
    """A person's TOTP authenticator (RFC 6238): the secret is stored encrypted (lms.second_factor)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="second_factor", verbose_name=_("user")
    )
    secret_encrypted = models.CharField(_("secret (encrypted)"), max_length=200)
    # The last time step a code was accepted for: a code is good once (no replay within its 30 s).
    last_step = models.BigIntegerField(_("last accepted time step"), default=0)

    class Meta:
        verbose_name = _("second-factor device")
        verbose_name_plural = _("second-factor devices")


class RecoveryCode(TimeStamped):
    """A one-time code for signing in without the authenticator; only its SHA-256 is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes", verbose_name=_("user")
    )
    code_hash = models.CharField(_("code hash"), max_length=64)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        constraints = [models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique")]


class PasswordHistory(models.Model):
    """Each password a person set (its hash): the last five may not be chosen again, and the newest dates it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history", verbose_name=_("user")
    )
    password = models.CharField(_("password hash"), max_length=128)
    created_at = models.DateTimeField(_("set at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("earlier password")
        verbose_name_plural = _("earlier passwords")
        ordering = ["-created_at", "-pk"]

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
