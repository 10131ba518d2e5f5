from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lms.models import Community, District, PreviewFacts, PreviewState, TimeStamped


class Phase(models.TextChoices):
    """The course's three phases, in the order they run."""

    CENTRALIZED = "centralized", _("Centralized lessons")
    FIELD = "field", _("Field support")
    MODEL = "model", _("Model exploration")

    @classmethod
    def position(cls, value: str) -> int:
        return cls.values.index(value)


class Course(TimeStamped):
    title = models.CharField(_("title"), max_length=128)
    code = models.SlugField(_("code"), max_length=32, unique=True)
    description = models.TextField(_("description"), blank=True)
    issuing_body = models.CharField(_("issuing body"), max_length=256, blank=True)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class CohortQuerySet(models.QuerySet):
    def running_on(self, day):
        """Cohorts whose run contains the day; a run may cross New Year, so never look one up by `year`."""
        return self.filter(starts_on__lte=day, ends_on__gte=day)


class Cohort(TimeStamped):
    """A yearly run of a course in one district."""

    district_lookup = "district"
    cohort_lookup = "id"

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="cohorts", verbose_name=_("course"))
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="cohorts", verbose_name=_("district"))
    name = models.CharField(_("name"), max_length=128)
    year = models.PositiveSmallIntegerField(_("year"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    objects = CohortQuerySet.as_manager()

    class Meta:
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")
        ordering = ["-year", "name"]
        constraints = [
            models.UniqueConstraint(fields=["course", "district", "year"], name="cohort_unique_per_year"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="cohort_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.name

    def is_running_on(self, day) -> bool:
        """The predicate twin of `CohortQuerySet.running_on`."""
        return self.starts_on <= day <= self.ends_on

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The end date cannot be before the start date.")})


class Teaching(TimeStamped):
    """The instructor role: a user who teaches one cohort."""

    district_lookup = "cohort__district"
    cohort_lookup = "cohort"

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="teachings", verbose_name=_("cohort"))
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="teachings", verbose_name=_("instructor")
    )

    class Meta:
        verbose_name = _("instructor assignment")
        verbose_name_plural = _("instructor assignments")
        constraints = [models.UniqueConstraint(fields=["cohort", "instructor"], name="teaching_unique")]

    def __str__(self) -> str:
        return f"{self.instructor} · {self.cohort}"


class Module(TimeStamped):
    district_lookup = "cohort__district"
    cohort_lookup = "cohort"

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="modules", verbose_name=_("cohort"))
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices)
    position = models.PositiveSmallIntegerField(_("position"), help_text=_("Order within the phase."))
    title = models.CharField(_("title"), max_length=128)
    summary = models.TextField(_("summary"), blank=True)
    requires = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="unlocks",
        verbose_name=_("requires"),
        help_text=_("Modules that must be finished before this one opens."),
    )

    class Meta:
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        ordering = ["cohort", "phase", "position"]
        constraints = [models.UniqueConstraint(fields=["cohort", "phase", "position"], name="module_position_unique")]

    def __str__(self) -> str:
        return self.title

    @property
    def phase_position(self) -> int:
        return Phase.position(self.phase)


class LessonKind(models.TextChoices):
    LECTURE = "lecture", _("Lecture")
    SITE_VISIT = "site_visit", _("Site visit")
    WORKSHOP = "workshop", _("Workshop")
    READING = "reading", _("Reading")
    FIELD_GUIDANCE = "field_guidance", _("Field guidance")


# Lessons met in person, with dated sessions and attendance: every kind but reading.
IN_PERSON_KINDS = frozenset({LessonKind.LECTURE, LessonKind.SITE_VISIT, LessonKind.WORKSHOP, LessonKind.FIELD_GUIDANCE})


class LessonQuerySet(models.QuerySet):
    def in_person(self):
        """Lessons that have sessions: the twin of `Lesson.is_in_person`."""
        return self.filter(kind__in=IN_PERSON_KINDS)


class Lesson(TimeStamped):
    district_lookup = "module__cohort__district"
    cohort_lookup = "module__cohort"

    objects = LessonQuerySet.as_manager()

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons", verbose_name=_("module"))
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=16, choices=LessonKind.choices, default=LessonKind.LECTURE)
    title = models.CharField(_("title"), max_length=128)
    body = models.TextField(_("content"), blank=True, help_text=_("Markdown: headings, lists, links, emphasis."))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=90)

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        ordering = ["module", "position"]
        constraints = [models.UniqueConstraint(fields=["module", "position"], name="lesson_position_unique")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_in_person(self) -> bool:
        return self.kind in IN_PERSON_KINDS


class Team(TimeStamped):
    """Trainees of one cohort, usually from one community, who run a field project together."""

    district_lookup = "cohort__district"
    cohort_lookup = "cohort"

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="teams", verbose_name=_("cohort"))
    name = models.CharField(_("name"), max_length=64)
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, null=True, blank=True, related_name="teams", verbose_name=_("community")
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["cohort", "name"]
        constraints = [models.UniqueConstraint(fields=["cohort", "name"], name="team_name_unique")]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.community_id and self.cohort_id and self.community.town.district_id != self.cohort.district_id:
            raise ValidationError({"community": _("Choose a community of the cohort's district.")})


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    COMPLETED = "completed", _("Completed")


class EnrolmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=EnrolmentStatus.ACTIVE)

    def expected_at(self, session: "Session"):
        """Enrolments expected at the session: the twin of `SessionQuerySet.expected_of`, by the same rule."""
        return self.filter(
            cohort_id=session.cohort_id,
            **({"team_id": session.team_id} if session.team_id else {}),
            **({"community_id": session.community_id} if not session.team_id and session.community_id else {}),
        )

    def with_held_sessions(self, *, held_by):
        """Annotate `held`: the sessions expected of the enrolment (see `expected_sessions_q`) started by `held_by`."""
        expected = expected_sessions_q(
            prefix="cohort__sessions__", cohort=F("cohort_id"), team=F("team_id"), community=F("community_id")
        )
        return self.annotate(
            held=Count("cohort__sessions", filter=expected & Q(cohort__sessions__starts_at__lte=held_by))
        )


def count_of(queryset):
    """The number of rows of a (correlated) queryset, as an expression: 0 when there are none."""
    from django.db.models import Func, IntegerField, Subquery
    from django.db.models.functions import Coalesce

    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT", output_field=IntegerField())).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class Enrolment(TimeStamped):
    """The trainee role: one per trainee per cohort."""

    district_lookup = "cohort__district"
    cohort_lookup = "cohort"

    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("cohort"))
    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("trainee")
    )
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("community")
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members", verbose_name=_("team")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ACTIVE
    )
    withdrawn_reason = models.TextField(_("reason for withdrawal"), blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["cohort", "trainee__full_name"]
        constraints = [models.UniqueConstraint(fields=["cohort", "trainee"], name="enrolment_unique")]

    def __str__(self) -> str:
        return f"{self.trainee} · {self.cohort}"

    @property
    def is_active(self) -> bool:
        return self.status == EnrolmentStatus.ACTIVE


class EnrolmentChangeKind(models.TextChoices):
    MOVE = "move", _("Moved")
    WITHDRAWAL = "withdrawal", _("Withdrawn")
    RESTORATION = "restoration", _("Enrolment restored")


class EnrolmentChange(models.Model):
    """A change in an enrolment's life: a move between teams or communities of the cohort, a withdrawal, a
    restoration. Team and community names are copied as they were, so the history reads true after renames."""

    district_lookup = "enrolment__cohort__district"
    cohort_lookup = "enrolment__cohort"

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.PROTECT, related_name="changes", verbose_name=_("enrolment")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EnrolmentChangeKind.choices)
    effective_on = models.DateField(_("effective on"))
    reason = models.TextField(_("reason"))
    from_team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("from team")
    )
    to_team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("to team")
    )
    from_team_name = models.CharField(_("from team"), max_length=64, blank=True)
    to_team_name = models.CharField(_("to team"), max_length=64, blank=True)
    from_community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="+", verbose_name=_("from community")
    )
    to_community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="+", verbose_name=_("to community")
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("changed by")
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enrolment change")
        verbose_name_plural = _("enrolment changes")
        ordering = ["enrolment", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.enrolment} · {self.get_kind_display()} {self.effective_on}"


class LessonCompletion(TimeStamped):
    district_lookup = "enrolment__cohort__district"
    cohort_lookup = "enrolment__cohort"

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="completions", verbose_name=_("enrolment")
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.PROTECT, related_name="completions", verbose_name=_("lesson"))

    class Meta:
        verbose_name = _("lesson completion")
        verbose_name_plural = _("lesson completions")
        constraints = [models.UniqueConstraint(fields=["enrolment", "lesson"], name="completion_unique")]

    def __str__(self) -> str:
        return f"{self.enrolment} ✓ {self.lesson}"


def expected_sessions_q(*, cohort, team, community, prefix: str = "") -> Q:
    """Sessions expected of an enrolment of `cohort`, `team`, `community` (values, or expressions such as
    OuterRef/F for a query that joins enrolments): the one home of "whose session is it".

    A session without team and community is for everyone of its cohort; a session for a team is for that
    team's members only; a session for a community (and no team) is for the cohort's trainees of that
    community only. `Session.is_expected_of` is the predicate twin; `EnrolmentQuerySet.expected_at` the
    reverse direction. A value of None (no team) matches no team's or community's session.
    """
    p = prefix
    for_everyone = Q(**{f"{p}team__isnull": True, f"{p}community__isnull": True})
    q = for_everyone
    if team is not None:
        q |= Q(**{f"{p}team_id": team})
    if community is not None:
        q |= Q(**{f"{p}team__isnull": True, f"{p}community_id": community})
    return Q(**{f"{p}cohort_id": cohort}) & q


class SessionQuerySet(models.QuerySet):
    def expected_of(self, enrolment: "Enrolment"):
        """Sessions the enrolment is expected at: everyone's of its cohort, plus its team's and its community's."""
        return self.filter(
            expected_sessions_q(cohort=enrolment.cohort_id, team=enrolment.team_id, community=enrolment.community_id)
        )

    def expected_of_any(self, enrolments):
        """Sessions expected of at least one of the enrolments (a person enrolled in several cohorts)."""
        q = Q(pk__in=[])
        for enrolment in enrolments:
            q |= expected_sessions_q(
                cohort=enrolment.cohort_id, team=enrolment.team_id, community=enrolment.community_id
            )
        return self.filter(q)

    def check_in_open_at(self, when):
        """Sessions whose check-in window contains `when` (both ends included): the one home of "check-in open"."""
        return self.filter(check_in_opens_at__lte=when, check_in_closes_at__gte=when)

    def with_expected(self, *, community_id=None):
        """Annotate `expected`: the active trainees each session is for (see `expected_sessions_q`), optionally
        only those of one community. With `AttendanceQuerySet.counted().share_counts(by="session_id")` these are
        a session's share (`courses.selectors.sessions_with_attendance`)."""
        from django.db.models import Case, OuterRef, When

        enrolments = Enrolment.objects.active().filter(cohort_id=OuterRef("cohort_id"))
        if community_id is not None:
            enrolments = enrolments.filter(community_id=community_id)
        return self.annotate(
            expected=Case(
                When(team__isnull=False, then=count_of(enrolments.filter(team_id=OuterRef("team_id")))),
                When(community__isnull=False, then=count_of(enrolments.filter(community_id=OuterRef("community_id")))),
                default=count_of(enrolments),
            )
        )


class Session(TimeStamped):
    """An in-person, dated meeting of a lesson (lecture, site visit, workshop), where attendance is taken.

    `cohort` repeats `lesson.module.cohort` so that permission filters and sheets join one table, not three;
    the service that creates a session sets it from the lesson.
    """

    district_lookup = "cohort__district"
    cohort_lookup = "cohort"

    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("cohort"))
    lesson = models.ForeignKey(Lesson, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("lesson"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=128)
    address = models.CharField(_("address"), max_length=256, blank=True)
    instructors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="led_sessions", verbose_name=_("instructors")
    )
    # Field guidance is given to one team or in one community; both empty for lectures and visits.
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="guidance_sessions", verbose_name=_("team")
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="guidance_sessions",
        verbose_name=_("community served"),
    )
    check_in_opens_at = models.DateTimeField(_("check-in opens at"))
    check_in_closes_at = models.DateTimeField(_("check-in closes at"))
    # The window as staff set it; the two moments above are derived from it and the start by the service.
    check_in_minutes_before = models.PositiveSmallIntegerField(
        _("check-in opens (minutes before the start)"), default=30
    )
    check_in_minutes_after = models.PositiveSmallIntegerField(
        _("check-in closes (minutes after the start)"), default=30
    )

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"),
            models.CheckConstraint(
                condition=Q(check_in_closes_at__gt=F("check_in_opens_at")), name="session_check_in_window_valid"
            ),
        ]
        indexes = [models.Index(fields=["cohort", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.lesson} · {self.starts_at:%Y-%m-%d %H:%M}"

    def is_expected_of(self, enrolment: Enrolment) -> bool:
        """The predicate twin of `SessionQuerySet.expected_of` (see `expected_sessions_q`)."""
        if self.cohort_id != enrolment.cohort_id:
            return False
        if self.team_id is not None:
            return self.team_id == enrolment.team_id
        if self.community_id is not None:
            return self.community_id == enrolment.community_id
        return True

    def is_check_in_open_at(self, when) -> bool:
        """The predicate twin of `SessionQuerySet.check_in_open_at`."""
        return self.check_in_opens_at <= when <= self.check_in_closes_at

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must be after the start.")})


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    LATE = "late", pgettext_lazy("attendance", "Late")  # 迟到, not the 逾期 of late work
    EXCUSED = "excused", _("Excused")
    ABSENT = "absent", _("Absent")


ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


class AttendanceSource(models.TextChoices):
    SELF = "self", _("Self check-in")
    INSTRUCTOR = "instructor", _("Recorded by instructor")
    # Scanned without a network and sent later (courses.checkin_codes.OFFLINE_GRACE): shown as 离线签到.
    OFFLINE = "offline", _("Offline check-in")


class AttendanceQuerySet(models.QuerySet):
    """What "attended" means, for every page, export and rule (the cohort page, the homes, the dashboard,
    eligibility): present or late. Excused is neither attended nor missed: it leaves the session out of the
    trainee's share. Absent, or no record at all at a session held, counts against.

    Counted (`counted`) are the records of active trainees at sessions expected of them: a withdrawn trainee
    leaves every count (neither attended nor expected), and a record at a session for another team or
    community (entered before the rule, or by hand) counts for nobody.
    """

    def attended(self):
        return self.filter(status__in=ATTENDED)

    def excused(self):
        return self.filter(status=AttendanceStatus.EXCUSED)

    def at_expected_sessions(self):
        """Records at sessions expected of their enrolment (see `expected_sessions_q`)."""
        return self.filter(
            expected_sessions_q(
                prefix="session__",
                cohort=F("enrolment__cohort_id"),
                team=F("enrolment__team_id"),
                community=F("enrolment__community_id"),
            )
        )

    def counted(self):
        """The records that count in any share or total: active trainees at sessions expected of them."""
        return self.filter(enrolment__status=EnrolmentStatus.ACTIVE).at_expected_sessions()

    def share_counts(self, *, by: str) -> dict:
        """`by` value → {"attended": n, "excused": n, "absent": n} over these records at sessions expected of
        them. 1 query."""
        return {
            row[by]: row
            for row in self.at_expected_sessions()
            .values(by)
            .annotate(
                attended=Count("id", filter=Q(status__in=ATTENDED)),
                excused=Count("id", filter=Q(status=AttendanceStatus.EXCUSED)),
                absent=Count("id", filter=Q(status=AttendanceStatus.ABSENT)),
            )
            .order_by()
        }


class Attendance(TimeStamped):
    """One trainee's attendance at one session: at most one row, however many scans."""

    district_lookup = "session__cohort__district"
    cohort_lookup = "session__cohort"

    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="attendances", verbose_name=_("session")
    )
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.PROTECT, related_name="attendances", verbose_name=_("enrolment")
    )
    status = models.CharField(_("status"), max_length=16, choices=AttendanceStatus.choices)
    source = models.CharField(_("source"), max_length=16, choices=AttendanceSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance records")
        constraints = [models.UniqueConstraint(fields=["session", "enrolment"], name="attendance_unique")]

    def __str__(self) -> str:
        return f"{self.enrolment.trainee} · {self.session} · {self.get_status_display()}"

    @property
    def is_attended(self) -> bool:
        """The predicate twin of `AttendanceQuerySet.attended`."""
        return self.status in ATTENDED


class AttendanceCorrection(models.Model):
    """A change of an attendance record, kept with who, when, from what to what, and why."""

    district_lookup = "attendance__session__cohort__district"
    cohort_lookup = "attendance__session__cohort"

    attendance = models.ForeignKey(
        Attendance, on_delete=models.PROTECT, related_name="corrections", verbose_name=_("attendance")
    )
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("corrected by")
    )
    corrected_at = models.DateTimeField(_("corrected at"), auto_now_add=True)
    old_status = models.CharField(_("old status"), max_length=16, choices=AttendanceStatus.choices)
    new_status = models.CharField(_("new status"), max_length=16, choices=AttendanceStatus.choices)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("attendance correction")
        verbose_name_plural = _("attendance corrections")
        ordering = ["-corrected_at"]

    def __str__(self) -> str:
        return f"{self.attendance}: {self.old_status} → {self.new_status}"


class LessonAttachment(PreviewFacts, TimeStamped):
    """Reading material of a lesson (PDF or photo): private, served only through a permission-checked view."""

    district_lookup = "lesson__module__cohort__district"
    cohort_lookup = "lesson__module__cohort"

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("lesson"))
    name = models.CharField(_("file name"), max_length=255)
    storage_name = models.CharField(max_length=255, unique=True)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=100)
    kind = models.CharField(_("kind"), max_length=16)
    thumbnail_name = models.CharField(max_length=255, blank=True)
    display_name = models.CharField(max_length=255, blank=True)
    preview_state = models.CharField(
        _("preview"), max_length=8, choices=PreviewState.choices, default=PreviewState.NONE
    )
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("lesson attachment")
        verbose_name_plural = _("lesson attachments")
        ordering = ["lesson", "created_at", "pk"]

    def __str__(self) -> str:
        return self.name
