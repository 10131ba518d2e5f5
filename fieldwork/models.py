"""Field assignments: rubric, submissions with frozen versions and private files, grading history."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import Enrolment, Module, Team
from lms.models import PreviewFacts, PreviewState, TimeStamped

MB = 1024 * 1024
DEFAULT_EXTENSIONS = ["jpg", "jpeg", "png", "webp", "heic", "pdf", "docx", "xlsx", "pptx"]
# Every file type the upload pipeline recognises by its content (lms.uploads.sniff).
KNOWN_EXTENSIONS = frozenset({*DEFAULT_EXTENSIONS, "heif"})


def validate_extensions(value) -> None:
    """Allowed file types: a non-empty list of known extensions (the assignment page reads it as such)."""
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        raise ValidationError(_('Give a list of file types, e.g. ["jpg", "pdf"].'), code="invalid_extensions")
    unknown = sorted({item.lower().lstrip(".") for item in value} - KNOWN_EXTENSIONS)
    if unknown:
        raise ValidationError(
            _("Unknown file types: %(unknown)s. Known: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(sorted(KNOWN_EXTENSIONS))},
            code="unknown_extensions",
        )


def default_extensions() -> list[str]:
    return list(DEFAULT_EXTENSIONS)


class WorkMode(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    TEAM = "team", _("Team")


class Assignment(TimeStamped):
    district_lookup = "module__cohort__district"
    cohort_lookup = "module__cohort"

    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("module"))
    title = models.CharField(_("title"), max_length=128)
    instructions = models.TextField(_("instructions"), blank=True)
    opens_at = models.DateTimeField(_("opens at"))
    due_at = models.DateTimeField(_("due at"))
    closes_at = models.DateTimeField(
        _("closes at"),
        null=True,
        blank=True,
        help_text=_("After this moment nothing is accepted without an extension. Empty: late work is always accepted."),
    )
    mode = models.CharField(
        _("individual or team"), max_length=16, choices=WorkMode.choices, default=WorkMode.INDIVIDUAL
    )
    allowed_extensions = models.JSONField(
        _("allowed file types"),
        default=default_extensions,
        validators=[validate_extensions],
        help_text=_("File name endings, e.g. jpg, pdf, docx."),
    )
    max_file_size = models.PositiveBigIntegerField(
        _("largest file (bytes)"), default=20 * MB, validators=[MinValueValidator(1)]
    )
    max_total_size = models.PositiveBigIntegerField(_("largest total (bytes)"), default=100 * MB)
    max_files = models.PositiveSmallIntegerField(_("most files"), default=10, validators=[MinValueValidator(1)])
    pass_mark = models.DecimalField(
        _("pass mark"), max_digits=6, decimal_places=1, default=Decimal("60"), validators=[MinValueValidator(0)]
    )
    counts_toward_completion = models.BooleanField(_("counts toward completion"), default=True)
    objection_window_days = models.PositiveSmallIntegerField(_("objection window (days)"), default=7)

    class Meta:
        verbose_name = _("field assignment")
        verbose_name_plural = _("field assignments")
        ordering = ["module", "due_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(due_at__gte=F("opens_at")), name="assignment_due_after_open"),
            models.CheckConstraint(
                condition=Q(max_total_size__gte=F("max_file_size")), name="assignment_total_ge_file"
            ),
            models.CheckConstraint(condition=Q(max_files__gte=1), name="assignment_at_least_one_file"),
            models.CheckConstraint(condition=Q(max_file_size__gte=1), name="assignment_file_size_positive"),
            models.CheckConstraint(condition=Q(pass_mark__gte=0), name="assignment_pass_mark_not_negative"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        if self.opens_at and self.due_at and self.due_at < self.opens_at:
            raise ValidationError({"due_at": _("The due date cannot be before the opening date.")})
        if self.closes_at and self.due_at and self.closes_at < self.due_at:
            raise ValidationError({"closes_at": _("The closing date cannot be before the due date.")})
        # Before a rubric exists the maximum is not known yet; afterwards the pass mark must be reachable.
        if self.pk and self.pass_mark is not None and self.criteria.exists() and self.pass_mark > self.max_points:
            raise ValidationError(
                {
                    "pass_mark": _("The pass mark must lie between 0 and the rubric's %(max)s points.")
                    % {"max": self.max_points}
                }
            )

    @property
    def max_points(self) -> Decimal:
        return sum((c.max_points for c in self.criteria.all()), Decimal(0))


class RubricCriterion(TimeStamped):
    district_lookup = "assignment__module__cohort__district"
    cohort_lookup = "assignment__module__cohort"

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("assignment")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("criterion"), max_length=128)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("rubric criterion")
        verbose_name_plural = _("rubric criteria")
        ordering = ["assignment", "position"]
        constraints = [models.UniqueConstraint(fields=["assignment", "position"], name="criterion_position_unique")]

    def __str__(self) -> str:
        return self.title

    @property
    def max_points(self) -> Decimal:
        return max((level.max_points for level in self.levels.all()), default=Decimal(0))


class RubricLevel(TimeStamped):
    """One level of a criterion; its score is picked inside [min_points, max_points]."""

    district_lookup = "criterion__assignment__module__cohort__district"
    cohort_lookup = "criterion__assignment__module__cohort"

    criterion = models.ForeignKey(
        RubricCriterion, on_delete=models.CASCADE, related_name="levels", verbose_name=_("criterion")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("level"), max_length=64)
    description = models.TextField(_("description"), blank=True)
    min_points = models.DecimalField(_("lowest points"), max_digits=6, decimal_places=1)
    max_points = models.DecimalField(_("highest points"), max_digits=6, decimal_places=1)

    class Meta:
        verbose_name = _("rubric level")
        verbose_name_plural = _("rubric levels")
        ordering = ["criterion", "position"]
        constraints = [
            models.UniqueConstraint(fields=["criterion", "position"], name="level_position_unique"),
            models.CheckConstraint(
                condition=Q(max_points__gte=F("min_points")) & Q(min_points__gte=0), name="level_range_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.min_points}–{self.max_points})"


class SubmissionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for revision")
    GRADED = "graded", _("Graded")
    RELEASED = "released", _("Released")
    OBJECTED = "objected", _("Objection raised")
    FINAL = "final", _("Final")


# The only moves a submission may make; services check every change against this table.
TRANSITIONS: dict[str, set[str]] = {
    SubmissionState.DRAFT: {SubmissionState.SUBMITTED},
    SubmissionState.SUBMITTED: {SubmissionState.RETURNED, SubmissionState.GRADED},
    SubmissionState.RETURNED: {SubmissionState.SUBMITTED},
    SubmissionState.GRADED: {SubmissionState.GRADED, SubmissionState.RELEASED},
    # Released becomes final by an answered objection or, without one, when the objection window ends.
    SubmissionState.RELEASED: {SubmissionState.OBJECTED, SubmissionState.FINAL},
    SubmissionState.OBJECTED: {SubmissionState.FINAL},
    SubmissionState.FINAL: set(),
}
# A correction changes the score of a released or final grade and leaves its state as it is.
CORRECTABLE_STATES = {SubmissionState.RELEASED, SubmissionState.FINAL}
RELEASED_STATES = {SubmissionState.RELEASED, SubmissionState.OBJECTED, SubmissionState.FINAL}
EDITABLE_STATES = {SubmissionState.DRAFT, SubmissionState.RETURNED}


class SubmissionQuerySet(models.QuerySet):
    def editable(self):
        """Work its trainee (or team) may still change: the twin of `Submission.is_editable`."""
        return self.filter(state__in=EDITABLE_STATES)

    def objection_window_ended(self, now=None):
        """Released grades nobody objected to whose objection window has ended: the twin of
        `Submission.objection_window_ended`."""
        from django.db.models import DateTimeField, ExpressionWrapper, Value

        deadline = ExpressionWrapper(
            F("released_at") + F("assignment__objection_window_days") * Value(timedelta(days=1)),
            output_field=DateTimeField(),
        )
        return (
            self.filter(state=SubmissionState.RELEASED, released_at__isnull=False)
            .alias(objection_deadline_at=deadline)
            .filter(objection_deadline_at__lt=now or timezone.now())
        )


class Submission(TimeStamped):
    """The work of one enrolment (individual assignment) or one team (team assignment)."""

    district_lookup = "assignment__module__cohort__district"
    cohort_lookup = "assignment__module__cohort"

    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="submissions", verbose_name=_("assignment")
    )
    enrolment = models.ForeignKey(
        Enrolment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="submissions",
        verbose_name=_("trainee"),
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="submissions", verbose_name=_("team")
    )
    state = models.CharField(_("state"), max_length=16, choices=SubmissionState.choices, default=SubmissionState.DRAFT)
    note = models.TextField(_("note to the instructor"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    is_late = models.BooleanField(_("late"), default=False)
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=1, null=True, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["assignment", "submitted_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(enrolment__isnull=False) & Q(team__isnull=True))
                | (Q(enrolment__isnull=True) & Q(team__isnull=False)),
                name="submission_one_owner",
            ),
            models.UniqueConstraint(
                fields=["assignment", "enrolment"],
                condition=Q(enrolment__isnull=False),
                name="submission_per_enrolment",
            ),
            models.UniqueConstraint(
                fields=["assignment", "team"], condition=Q(team__isnull=False), name="submission_per_team"
            ),
        ]
        indexes = [models.Index(fields=["state", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.owner_name}"

    @property
    def owner_name(self) -> str:
        return str(self.team.name if self.team_id else self.enrolment.trainee)

    @property
    def is_released(self) -> bool:
        return self.state in RELEASED_STATES

    @property
    def is_editable(self) -> bool:
        """The trainee (or team) may still change the work: the one reading of EDITABLE_STATES for a row."""
        return self.state in EDITABLE_STATES

    # One boolean per state a page acts on, so templates never spell a state string.
    @property
    def is_draft(self) -> bool:
        return self.state == SubmissionState.DRAFT

    @property
    def is_submitted(self) -> bool:
        return self.state == SubmissionState.SUBMITTED

    @property
    def is_graded(self) -> bool:
        return self.state == SubmissionState.GRADED

    @property
    def is_objected(self) -> bool:
        return self.state == SubmissionState.OBJECTED

    @property
    def awaits_instructor(self) -> bool:
        """Handed in and not yet released, or objected to: the grading page's form is shown."""
        return self.state in (SubmissionState.SUBMITTED, SubmissionState.GRADED, SubmissionState.OBJECTED)

    @property
    def objection_deadline(self):
        if not self.released_at:
            return None
        return self.released_at + timedelta(days=self.assignment.objection_window_days)

    @property
    def objection_open(self) -> bool:
        deadline = self.objection_deadline
        return self.state == SubmissionState.RELEASED and deadline is not None and timezone.now() <= deadline

    def objection_window_ended(self, now=None) -> bool:
        """Released, not objected to, and the window is over: the grade is final by itself."""
        deadline = self.objection_deadline
        return self.state == SubmissionState.RELEASED and deadline is not None and (now or timezone.now()) > deadline

    @property
    def is_correctable(self) -> bool:
        return self.state in CORRECTABLE_STATES


class SubmissionVersion(TimeStamped):
    """What was handed in at one submit; frozen, never edited."""

    district_lookup = "submission__assignment__module__cohort__district"
    cohort_lookup = "submission__assignment__module__cohort"

    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="versions", verbose_name=_("submission")
    )
    number = models.PositiveSmallIntegerField(_("version"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    is_late = models.BooleanField(_("late"), default=False)
    note = models.TextField(_("note"), blank=True)
    files = models.ManyToManyField("SubmissionFile", related_name="versions", verbose_name=_("files"))

    class Meta:
        verbose_name = _("submission version")
        verbose_name_plural = _("submission versions")
        ordering = ["submission", "number"]
        constraints = [models.UniqueConstraint(fields=["submission", "number"], name="version_number_unique")]

    def __str__(self) -> str:
        return f"{self.submission} v{self.number}"


class FileKind(models.TextChoices):
    IMAGE = "image", _("Photo")
    PDF = "pdf", _("PDF document")
    DOCUMENT = "document", _("Office document")


class StoredFile(PreviewFacts, TimeStamped):
    """A private file in the default storage, checked by content; never reachable by a public URL."""

    name = models.CharField(_("file name"), max_length=255)
    storage_name = models.CharField(max_length=255, unique=True, verbose_name=_("stored as"))
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256"))
    content_type = models.CharField(max_length=100, verbose_name=_("content type"))
    kind = models.CharField(_("kind"), max_length=16, choices=FileKind.choices)
    thumbnail_name = models.CharField(max_length=255, blank=True, verbose_name=_("thumbnail"))
    display_name = models.CharField(max_length=255, blank=True, verbose_name=_("display copy"))
    preview_state = models.CharField(
        _("preview"), max_length=8, choices=PreviewState.choices, default=PreviewState.NONE
    )
    width = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("width"))
    height = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("height"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.kind == FileKind.IMAGE and self.preview_state == PreviewState.READY


class SubmissionFile(StoredFile):
    district_lookup = "submission__assignment__module__cohort__district"
    cohort_lookup = "submission__assignment__module__cohort"

    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="files", verbose_name=_("submission")
    )
    in_draft = models.BooleanField(_("in the working draft"), default=True)

    class Meta:
        verbose_name = _("submitted file")
        verbose_name_plural = _("submitted files")
        ordering = ["submission", "created_at", "pk"]


class Extension(TimeStamped):
    district_lookup = "assignment__module__cohort__district"
    cohort_lookup = "assignment__module__cohort"

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="extensions", verbose_name=_("assignment")
    )
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("enrolment")
    )
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("team")
    )
    due_at = models.DateTimeField(_("new due date"))
    reason = models.TextField(_("reason"), blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("granted by")
    )

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        constraints = [
            models.CheckConstraint(
                condition=(Q(enrolment__isnull=False) & Q(team__isnull=True))
                | (Q(enrolment__isnull=True) & Q(team__isnull=False)),
                name="extension_one_owner",
            ),
            models.UniqueConstraint(
                fields=["assignment", "enrolment"], condition=Q(enrolment__isnull=False), name="extension_per_enrolment"
            ),
            models.UniqueConstraint(
                fields=["assignment", "team"], condition=Q(team__isnull=False), name="extension_per_team"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} → {self.due_at:%Y-%m-%d %H:%M}"


class AssessmentOutcome(models.TextChoices):
    RETURNED = "returned", _("Returned for revision")
    GRADED = "graded", _("Graded")


class Assessment(TimeStamped):
    """An instructor's judgement of one version: rubric scores, total and feedback."""

    district_lookup = "version__submission__assignment__module__cohort__district"
    cohort_lookup = "version__submission__assignment__module__cohort"

    version = models.ForeignKey(
        SubmissionVersion, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("version")
    )
    grader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("instructor")
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=AssessmentOutcome.choices)
    total = models.DecimalField(_("total"), max_digits=7, decimal_places=1, null=True, blank=True)
    feedback = models.TextField(_("feedback"), blank=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["version", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.version} · {self.get_outcome_display()} {self.total or ''}"


class CriterionScore(models.Model):
    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="scores", verbose_name=_("assessment")
    )
    criterion = models.ForeignKey(
        RubricCriterion, on_delete=models.PROTECT, related_name="+", verbose_name=_("criterion")
    )
    level = models.ForeignKey(RubricLevel, on_delete=models.PROTECT, related_name="+", verbose_name=_("level"))
    points = models.DecimalField(max_digits=6, decimal_places=1, verbose_name=_("points"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assessment", "criterion"], name="score_per_criterion")]


class MemberAdjustment(models.Model):
    """A team member's own total, differing from the team's, with the instructor's reason."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="adjustments", verbose_name=_("assessment")
    )
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="+", verbose_name=_("enrolment"))
    total = models.DecimalField(_("total"), max_digits=7, decimal_places=1)
    reason = models.TextField(_("reason"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assessment", "enrolment"], name="adjustment_per_member")]


class FeedbackFile(StoredFile):
    district_lookup = "assessment__version__submission__assignment__module__cohort__district"
    cohort_lookup = "assessment__version__submission__assignment__module__cohort"

    assessment = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, related_name="files", verbose_name=_("assessment")
    )

    class Meta:
        verbose_name = _("feedback file")
        verbose_name_plural = _("feedback files")


class GradeChange(models.Model):
    """Every change to a submission's grade or grade state: who, when, old → new, why."""

    district_lookup = "submission__assignment__module__cohort__district"
    cohort_lookup = "submission__assignment__module__cohort"

    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="grade_changes", verbose_name=_("submission")
    )
    # Empty when the system made the change (a grade became final when its objection window ended).
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("changed at"))
    old_score = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True, verbose_name=_("old score"))
    new_score = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True, verbose_name=_("new score"))
    old_state = models.CharField(max_length=16, choices=SubmissionState.choices, verbose_name=_("old state"))
    new_state = models.CharField(max_length=16, choices=SubmissionState.choices, verbose_name=_("new state"))
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("grade change")
        verbose_name_plural = _("grade changes")
        ordering = ["submission", "changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.old_score} → {self.new_score} ({self.new_state})"


class ObjectionOutcome(models.TextChoices):
    UPHELD = "upheld", _("Grade upheld")
    REGRADED = "regraded", _("Regraded")


class Objection(TimeStamped):
    district_lookup = "submission__assignment__module__cohort__district"
    cohort_lookup = "submission__assignment__module__cohort"

    submission = models.OneToOneField(
        Submission, on_delete=models.PROTECT, related_name="objection", verbose_name=_("submission")
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("raised by")
    )
    reason = models.TextField(_("reason"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=ObjectionOutcome.choices, blank=True)
    response = models.TextField(_("response"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self) -> str:
        return f"{self.submission} · {self.get_outcome_display() or '…'}"
