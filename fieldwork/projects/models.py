"""Field projects (phase two) and model cases (phase three)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from courses.models import Team
from lms.models import Community, PreviewFacts, PreviewState, TimeStamped


class ProjectStatus(models.TextChoices):
    PLANNING = "planning", _("Planning")
    UNDER_WAY = "under_way", _("Under way")
    COMPLETED = "completed", _("Completed")


class FieldProject(TimeStamped):
    """One team's participatory planning project in its own community."""

    district_lookup = "team__cohort__district"
    cohort_lookup = "team__cohort"
    team_lookup = "team"

    team = models.OneToOneField(Team, on_delete=models.PROTECT, related_name="field_project", verbose_name=_("team"))
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="field_projects", verbose_name=_("community")
    )
    title = models.CharField(_("title"), max_length=128)
    goals = models.TextField(_("goals"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.PLANNING)

    class Meta:
        verbose_name = _("field project")
        verbose_name_plural = _("field projects")
        ordering = ["team__name"]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        if self.community_id and self.team_id and self.community.town.district_id != self.team.cohort.district_id:
            raise ValidationError({"community": _("Choose a community of the cohort's district.")})


class PartnerKind(models.TextChoices):
    PARTY_BRANCH = "party_branch", _("Party branch")
    SOCIAL_WORKER = "social_worker", _("Resident social workers")
    VOLUNTEER_GROUP = "volunteer_group", _("Volunteer group")
    SCHOOL = "school", _("School")
    OTHER = "other", _("Other")


class Partner(TimeStamped):
    district_lookup = "project__team__cohort__district"
    cohort_lookup = "project__team__cohort"
    team_lookup = "project__team"

    project = models.ForeignKey(
        FieldProject, on_delete=models.CASCADE, related_name="partners", verbose_name=_("project")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=PartnerKind.choices)
    name = models.CharField(_("name"), max_length=128)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["project", "kind", "name"], name="partner_unique")]

    def __str__(self) -> str:
        return self.name


class ProjectPhoto(PreviewFacts, TimeStamped):
    """A private photo of a project: original kept, thumbnail and display size derived by a worker after commit."""

    district_lookup = "project__team__cohort__district"
    cohort_lookup = "project__team__cohort"
    team_lookup = "project__team"

    project = models.ForeignKey(
        FieldProject, on_delete=models.CASCADE, related_name="photos", verbose_name=_("project")
    )
    visit = models.ForeignKey(
        "SupportVisit", on_delete=models.CASCADE, null=True, blank=True, related_name="photos", verbose_name=_("visit")
    )
    activity = models.ForeignKey(
        "EngagementActivity",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="photos",
        verbose_name=_("activity"),
    )
    original_name = models.CharField(_("file name"), max_length=128)
    path = models.CharField(_("stored file"), max_length=255)
    thumbnail_path = models.CharField(_("thumbnail"), max_length=255, blank=True)
    display_path = models.CharField(_("display size"), max_length=255, blank=True)
    preview_state = models.CharField(
        _("preview"), max_length=8, choices=PreviewState.choices, default=PreviewState.PENDING
    )
    content_type = models.CharField(_("content type"), max_length=32)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class SupportVisit(TimeStamped):
    """An instructor's on-site support visit to a project."""

    district_lookup = "project__team__cohort__district"
    cohort_lookup = "project__team__cohort"
    team_lookup = "project__team"

    project = models.ForeignKey(
        FieldProject, on_delete=models.CASCADE, related_name="visits", verbose_name=_("project")
    )
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="support_visits", verbose_name=_("instructor")
    )
    visited_on = models.DateField(_("date"))
    attendees = models.TextField(_("who came"), blank=True)
    discussion = models.TextField(_("what was discussed"))

    class Meta:
        verbose_name = _("support visit")
        verbose_name_plural = _("support visits")
        ordering = ["-visited_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.project} · {self.visited_on}"


class NextStep(TimeStamped):
    district_lookup = "visit__project__team__cohort__district"
    cohort_lookup = "visit__project__team__cohort"
    team_lookup = "visit__project__team"

    visit = models.ForeignKey(
        SupportVisit, on_delete=models.CASCADE, related_name="next_steps", verbose_name=_("visit")
    )
    description = models.CharField(_("next step"), max_length=255)
    owner = models.CharField(_("owner"), max_length=64)
    due_on = models.DateField(_("due date"), null=True, blank=True)
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("next step")
        verbose_name_plural = _("next steps")
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.description


class ActivityKind(models.TextChoices):
    DELIBERATION = "deliberation", _("Deliberation meeting")
    CO_DESIGN = "co_design", _("Co-design workshop")
    VOLUNTEER = "volunteer", _("Volunteer event")
    EXHIBITION = "exhibition", _("Exhibition or guided tour")
    OTHER = "other", _("Other")


# The participant groups counted at every activity, in display order: (field, label).
PARTICIPANT_GROUPS = [
    ("residents", _("Residents")),
    ("parent_child_pairs", _("Parent–child pairs")),
    ("elders", _("Elders")),
    ("students", _("Students")),
    ("volunteers", _("Volunteers")),
    ("party_members", _("Party members")),
    ("party_branches", _("Party branches")),
    ("social_organisations", _("Social organisations")),
]
COUNT_FIELDS = [name for name, _label in PARTICIPANT_GROUPS]


class EngagementActivity(TimeStamped):
    """A deliberation meeting, workshop, volunteer event... with participant counts by group."""

    district_lookup = "project__team__cohort__district"
    cohort_lookup = "project__team__cohort"
    team_lookup = "project__team"

    project = models.ForeignKey(
        FieldProject, on_delete=models.CASCADE, related_name="activities", verbose_name=_("project")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ActivityKind.choices)
    title = models.CharField(_("title"), max_length=128)
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=128)
    account = models.TextField(_("short account"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    residents = models.PositiveIntegerField(_("residents"), default=0)
    parent_child_pairs = models.PositiveIntegerField(_("parent–child pairs"), default=0)
    elders = models.PositiveIntegerField(_("elders"), default=0)
    students = models.PositiveIntegerField(_("students"), default=0)
    volunteers = models.PositiveIntegerField(_("volunteers"), default=0)
    party_members = models.PositiveIntegerField(_("Party members"), default=0)
    party_branches = models.PositiveIntegerField(_("Party branches"), default=0)
    social_organisations = models.PositiveIntegerField(_("social organisations"), default=0)

    class Meta:
        verbose_name = _("engagement activity")
        verbose_name_plural = _("engagement activities")
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["project", "held_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(**{f"{name}__gte": 0}), name=f"activity_{name}_not_negative")
            for name in COUNT_FIELDS
        ]

    def __str__(self) -> str:
        return self.title


class BeforeAfterPair(TimeStamped):
    district_lookup = "project__team__cohort__district"
    cohort_lookup = "project__team__cohort"
    team_lookup = "project__team"

    project = models.ForeignKey(
        FieldProject, on_delete=models.CASCADE, related_name="before_after_pairs", verbose_name=_("project")
    )
    place = models.CharField(_("place"), max_length=128)
    caption = models.CharField(_("caption"), max_length=255, blank=True)
    changed_on = models.DateField(_("date of the change"), null=True, blank=True)
    before = models.ForeignKey(ProjectPhoto, on_delete=models.PROTECT, related_name="+", verbose_name=_("before"))
    after = models.ForeignKey(ProjectPhoto, on_delete=models.PROTECT, related_name="+", verbose_name=_("after"))

    class Meta:
        verbose_name = _("before and after pair")
        verbose_name_plural = _("before and after pairs")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.place


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for revision")
    APPROVED = "approved", _("Approved")


class CaseTheme(models.TextChoices):
    SPACE = "space", _("Public space renewal")
    CULTURE = "culture", _("Culture and heritage")
    ELDERS = "elders", _("Elders and children")
    ENVIRONMENT = "environment", _("Environment")
    GOVERNANCE = "governance", _("Resident self-governance")
    OTHER = "other", _("Other")


# Sections the team writes (results in figures come from the records): (field, label).
CASE_SECTIONS = [
    ("background", _("Background")),
    ("problem", _("The problem")),
    ("participants", _("Who took part")),
    ("process", _("The process")),
    ("lessons", _("Lessons learned")),
]
REQUIRED_SECTIONS = [name for name, _label in CASE_SECTIONS]


EDITABLE_CASE_STATES = {CaseStatus.DRAFT, CaseStatus.RETURNED}  # the team may change and submit the case


class ModelCaseQuerySet(models.QuerySet):
    def editable(self):
        """Cases their team may still change and submit: the twin of `ModelCase.is_editable`."""
        return self.filter(status__in=EDITABLE_CASE_STATES)


class ModelCase(TimeStamped):
    """The team's write-up of its community's governance model; approved cases form the library."""

    objects = ModelCaseQuerySet.as_manager()

    district_lookup = "project__team__cohort__district"
    cohort_lookup = "project__team__cohort"
    team_lookup = "project__team"

    project = models.OneToOneField(
        FieldProject, on_delete=models.PROTECT, related_name="model_case", verbose_name=_("project")
    )
    title = models.CharField(_("title"), max_length=128)
    theme = models.CharField(_("theme"), max_length=16, choices=CaseTheme.choices, default=CaseTheme.OTHER)
    background = models.TextField(_("background"), blank=True)
    problem = models.TextField(_("the problem"), blank=True)
    participants = models.TextField(_("who took part"), blank=True)
    process = models.TextField(_("the process"), blank=True)
    lessons = models.TextField(_("lessons learned"), blank=True)
    # Frozen from the activity records when the case is submitted; never typed by hand.
    results = models.JSONField(_("results in figures"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.DRAFT)
    review_comments = models.TextField(_("review comments"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("model case")
        verbose_name_plural = _("model cases")
        ordering = ["-approved_at", "title"]
        indexes = [models.Index(fields=["status", "theme"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_editable(self) -> bool:
        """The team may still change the case and submit it: the one reading of EDITABLE_CASE_STATES for a row."""
        return self.status in EDITABLE_CASE_STATES
