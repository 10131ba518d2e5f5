"""Reads of field assignments for pages and API, each with a fixed number of queries."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from courses.models import Cohort, Enrolment, EnrolmentChange, EnrolmentChangeKind, EnrolmentStatus, Module, Team
from fieldwork.models import (
    RELEASED_STATES,
    Assessment,
    AssessmentOutcome,
    Assignment,
    CriterionScore,
    Extension,
    FeedbackFile,
    GradeChange,
    MemberAdjustment,
    Objection,
    RubricCriterion,
    RubricLevel,
    Submission,
    SubmissionFile,
    SubmissionState,
    SubmissionVersion,
    WorkMode,
)
from fieldwork.services.submissions import due_with_extension
from lms.access import access, not_found, parse_id
from lms.predicates import cohort_visible_q, roles_of, submission_visible_q

# --- fetch and authorise together: missing and forbidden both answer "not found"


def access_assignment(*, user, assignment_id) -> Assignment:
    assignments = Assignment.objects.select_related("module__cohort__course", "module__cohort__district")
    return access(
        assignments.prefetch_related(_rubric_prefetch()),
        assignment_id,
        user=user,
        perm="fieldwork.view_assignment_content",
    )


def _submission_base():
    return Submission.objects.select_related(
        "assignment__module__cohort__district", "enrolment__trainee", "enrolment__community", "team__community"
    )


def access_submission(*, user, submission_id) -> Submission:
    return access(_submission_base(), submission_id, user=user, perm="fieldwork.view_submission_content")


def _child_of_submission(queryset, pk, *, user, submission_id):
    """A row hanging off a submission (file, objection), visible where its submission is. 2 queries."""
    row = queryset.filter(pk=parse_id(pk) or 0).first()
    if row is None:
        raise not_found()
    return row, access_submission(user=user, submission_id=submission_id(row))


def access_submission_file(*, user, file_id) -> SubmissionFile:
    file, _submission = _child_of_submission(
        SubmissionFile.objects.all(), file_id, user=user, submission_id=lambda f: f.submission_id
    )
    return file


def access_feedback_file(*, user, file_id) -> FeedbackFile:
    """A feedback file, which a trainee sees only once the grade is released (or the work returned)."""
    file, submission = _child_of_submission(
        FeedbackFile.objects.select_related("assessment__version"),
        file_id,
        user=user,
        submission_id=lambda f: f.assessment.version.submission_id,
    )
    if not _assessment_visible(user, submission, file.assessment):
        raise not_found()
    return file


def access_objection(*, user, objection_id) -> Objection:
    objection, objection.submission = _child_of_submission(
        Objection.objects.all(), objection_id, user=user, submission_id=lambda o: o.submission_id
    )
    return objection


def _assessment_visible(user, submission: Submission, assessment: Assessment) -> bool:
    if user.has_perm("fieldwork.view_grade", submission):
        return True
    # A trainee sees the feedback of returned work at once, and grades only once released.
    return assessment.outcome == AssessmentOutcome.RETURNED


def _rubric_prefetch():
    return Prefetch(
        "criteria",
        queryset=RubricCriterion.objects.order_by("position").prefetch_related(
            Prefetch("levels", queryset=RubricLevel.objects.order_by("position"))
        ),
    )


# --- trainee pages


@dataclass
class AssignmentRow:
    assignment: Assignment
    submission: Submission | None
    due: "DueDate | None" = None


@dataclass(frozen=True)
class DueDate:
    due_at: object
    closes_at: object
    extended: bool


def trainee_due_dates(*, enrolment: Enrolment | None, assignments: list[Assignment]) -> dict[int, DueDate]:
    """Each assignment's due date for this trainee (its team's for team work), extensions included. 1 query."""
    if enrolment is None or not assignments:
        return {a.pk: DueDate(a.due_at, a.closes_at, False) for a in assignments}
    owner = Q(enrolment=enrolment)
    if enrolment.team_id:
        owner |= Q(team_id=enrolment.team_id)
    extensions = {
        (e.assignment_id, "team" if e.team_id else "enrolment"): e
        for e in Extension.objects.filter(owner, assignment__in=[a.pk for a in assignments])
    }
    dates = {}
    for assignment in assignments:
        extension = extensions.get((assignment.pk, "team" if assignment.mode == WorkMode.TEAM else "enrolment"))
        due_at, closes_at = due_with_extension(assignment=assignment, extension=extension)
        dates[assignment.pk] = DueDate(due_at, closes_at, extension is not None)
    return dates


def module_assignments(*, module: Module, enrolment: Enrolment | None) -> list[AssignmentRow]:
    """The module's assignments with the enrolment's (or its team's) submission and due date. 3 queries."""
    assignments = list(Assignment.objects.filter(module=module).order_by("due_at", "pk"))
    mine: dict[int, Submission] = {}
    if enrolment is not None:
        owner = Q(enrolment=enrolment)
        if enrolment.team_id:
            owner |= Q(team_id=enrolment.team_id)
        for submission in Submission.objects.filter(owner, assignment__module=module):
            mine[submission.assignment_id] = submission
    dues = trainee_due_dates(enrolment=enrolment, assignments=assignments)
    return [AssignmentRow(a, mine.get(a.pk), dues[a.pk]) for a in assignments]


def own_submission(*, assignment: Assignment, enrolment: Enrolment | None) -> Submission | None:
    if enrolment is None:
        return None
    if assignment.mode == WorkMode.TEAM:
        if not enrolment.team_id:
            return None
        owner = {"team_id": enrolment.team_id}
    else:
        owner = {"enrolment": enrolment}
    return _submission_base().filter(assignment=assignment, **owner).first()


@dataclass
class VersionView:
    version: SubmissionVersion
    files: list[SubmissionFile]
    assessments: list[Assessment]


@dataclass
class SubmissionDetail:
    submission: Submission
    draft_files: list[SubmissionFile]
    versions: list[VersionView]
    grade_visible: bool
    objection: Objection | None
    grade_changes: list[GradeChange] = field(default_factory=list)
    corrections: list[GradeChange] = field(default_factory=list)
    score: Decimal | None = None  # what this viewer sees: its own adjusted total on team work, if it has one

    @property
    def latest(self) -> VersionView | None:
        return self.versions[-1] if self.versions else None

    @property
    def latest_grade(self) -> Assessment | None:
        for view in reversed(self.versions):
            for assessment in reversed(view.assessments):
                if assessment.outcome == AssessmentOutcome.GRADED:
                    return assessment
        return None

    @property
    def draft_size(self) -> int:
        return sum(f.size for f in self.draft_files)


def submission_detail(*, submission: Submission, user) -> SubmissionDetail:
    """Everything a page shows about one submission; grades hidden from trainees before release. 10 queries."""
    grade_visible = user.has_perm("fieldwork.view_grade", submission)
    cohort = submission.assignment.module.cohort
    teaches = user.has_perm("courses.teach_cohort", cohort)
    adjustments = MemberAdjustment.objects.select_related("enrolment__trainee")
    if not (teaches or user.has_perm("fieldwork.view_gradebook", cohort)):
        # A team member sees its own adjustment only, never a teammate's score or the reasons given for it.
        adjustments = adjustments.filter(enrolment__trainee=user)
    assessments = Assessment.objects.select_related("grader").prefetch_related(
        Prefetch(
            "scores",
            queryset=CriterionScore.objects.select_related("criterion", "level").order_by("criterion__position"),
        ),
        Prefetch("adjustments", queryset=adjustments),
        "files",
    )
    if not grade_visible:
        assessments = assessments.filter(outcome=AssessmentOutcome.RETURNED)
    versions = list(
        submission.versions.select_related("submitted_by")
        .prefetch_related(
            Prefetch("files", queryset=SubmissionFile.objects.order_by("created_at", "pk")),
            Prefetch("assessments", queryset=assessments.order_by("created_at", "pk")),
        )
        .order_by("number")
    )
    draft_files = list(submission.files.filter(in_draft=True).order_by("created_at", "pk"))
    objection = Objection.objects.filter(submission=submission).first()
    history = (
        list(
            GradeChange.objects.filter(submission=submission).select_related("changed_by").order_by("changed_at", "pk")
        )
        if teaches or grade_visible
        else []
    )
    changes = history if teaches else []
    # Trainees see the corrections of a released grade (score changed, state kept) with their reasons.
    corrections = [c for c in history if c.old_state == c.new_state and c.new_state in RELEASED_STATES]
    return SubmissionDetail(
        submission=submission,
        draft_files=draft_files,
        versions=[VersionView(v, list(v.files.all()), list(v.assessments.all())) for v in versions],
        grade_visible=grade_visible,
        objection=objection,
        grade_changes=changes,
        corrections=corrections,
        score=viewer_scores(submissions=[submission], user=user)[submission.pk],
    )


# --- instructor pages


WAITING_STATES = (SubmissionState.SUBMITTED, SubmissionState.OBJECTED)


def grading_queue(*, user) -> list[Submission]:
    """Work waiting for this user to grade (or answer), oldest first, late work marked. 1 query (+roles)."""
    queryset = Submission.objects.filter(state__in=WAITING_STATES)
    if not user.is_superuser:
        queryset = queryset.filter(assignment__module__cohort_id__in=roles_of(user).instructor_cohort_ids)
    return list(
        queryset.select_related(
            "assignment__module__cohort", "enrolment__trainee", "enrolment__community", "team__community"
        ).order_by("submitted_at", "pk")
    )


def assignment_submissions(*, assignment: Assignment) -> list[Submission]:
    """Every submission of an assignment with its owner, for the instructor's overview. 1 query."""
    return list(
        _submission_base()
        .filter(assignment=assignment)
        .annotate(version_count=Count("versions"))
        .order_by("state", "submitted_at", "pk")
    )


def extension_owners(*, assignment: Assignment) -> list[tuple[str, str]]:
    """(value, label) choices for an extension: the cohort's teams or trainees, by the assignment's mode. 1 query."""
    cohort_id = assignment.module.cohort_id
    if assignment.mode == WorkMode.TEAM:
        return [(f"team:{t.pk}", t.name) for t in Team.objects.filter(cohort_id=cohort_id).order_by("name")]
    enrolments = (
        Enrolment.objects.filter(cohort_id=cohort_id, status=EnrolmentStatus.ACTIVE)
        .select_related("trainee")
        .order_by("trainee__full_name")
    )
    return [(f"enrolment:{e.pk}", e.trainee.full_name) for e in enrolments]


def not_handed_in(*, assignment: Assignment) -> list[str]:
    """Names of the trainees (or teams, for team work) with nothing handed in yet, drafts not counted. 1 query."""
    handed_in = Submission.objects.filter(assignment=assignment).exclude(state=SubmissionState.DRAFT)
    if assignment.mode == WorkMode.TEAM:
        teams = Team.objects.filter(cohort_id=assignment.module.cohort_id).exclude(
            pk__in=handed_in.filter(team__isnull=False).values("team_id")
        )
        return list(teams.order_by("name").values_list("name", flat=True))
    enrolments = (
        Enrolment.objects.active()
        .filter(cohort_id=assignment.module.cohort_id)
        .exclude(pk__in=handed_in.filter(enrolment__isnull=False).values("enrolment_id"))
    )
    return list(enrolments.order_by("trainee__full_name").values_list("trainee__full_name", flat=True))


# --- gradebook


@dataclass
class Cell:
    state: str | None = None
    state_label: str = ""
    score: Decimal | None = None
    is_late: bool = False
    submission_id: int | None = None
    adjusted: bool = False


@dataclass
class GradebookRow:
    enrolment: Enrolment
    cells: list[Cell]


@dataclass
class Gradebook:
    cohort: Cohort
    assignments: list[Assignment]
    rows: list[GradebookRow]


def gradebook(*, cohort: Cohort, team_id: int | None = None, community_id: int | None = None) -> Gradebook:
    """Trainees × assignments with state and score (a member's adjustment replacing its team's). 6 queries.

    Team work counts for a trainee from the team it is in now; where that team has handed in nothing for an
    assignment, the work a team it left handed in before the move counts (README, "Moving people")."""
    assignments = list(
        Assignment.objects.filter(module__cohort=cohort)
        .select_related("module")
        .order_by("module__phase", "module__position", "due_at", "pk")
    )
    enrolments = Enrolment.objects.filter(cohort=cohort).exclude(status=EnrolmentStatus.WITHDRAWN)
    if team_id:
        enrolments = enrolments.filter(team_id=team_id)
    if community_id:
        enrolments = enrolments.filter(community_id=community_id)
    enrolments = list(enrolments.select_related("trainee", "team", "community__town").order_by("trainee__full_name"))
    submissions = list(
        Submission.objects.filter(assignment__module__cohort=cohort).exclude(state=SubmissionState.DRAFT)
    )
    by_enrolment = {(s.assignment_id, s.enrolment_id): s for s in submissions if s.enrolment_id}
    by_team = {(s.assignment_id, s.team_id): s for s in submissions if s.team_id}
    adjustments = member_adjustments(submission_ids=[s.pk for s in submissions if s.team_id])
    left_teams: dict[int, list[tuple[int, object]]] = {}  # enrolment → (team left, the move's date), newest first
    for enrolment_id, team_left, moved_on in (
        EnrolmentChange.objects.filter(enrolment__cohort=cohort, kind=EnrolmentChangeKind.MOVE, from_team__isnull=False)
        .order_by("-created_at", "-pk")
        .values_list("enrolment_id", "from_team_id", "effective_on")
    ):
        left_teams.setdefault(enrolment_id, []).append((team_left, moved_on))
    labels = dict(SubmissionState.choices)
    rows = []
    for enrolment in enrolments:
        cells = []
        for assignment in assignments:
            if assignment.mode == WorkMode.TEAM:
                submission = by_team.get((assignment.pk, enrolment.team_id))
                for team_left, moved_on in left_teams.get(enrolment.pk, ()) if submission is None else ():
                    earlier = by_team.get((assignment.pk, team_left))
                    if earlier and earlier.submitted_at and timezone.localdate(earlier.submitted_at) <= moved_on:
                        submission = earlier
                        break
            else:
                submission = by_enrolment.get((assignment.pk, enrolment.pk))
            if submission is None:
                cells.append(Cell())
                continue
            key = (submission.pk, enrolment.pk)
            score, adjusted = adjustments.get(key, submission.score), key in adjustments
            cells.append(
                Cell(
                    state=submission.state,
                    state_label=str(labels[submission.state]),
                    score=score,
                    is_late=submission.is_late,
                    submission_id=submission.pk,
                    adjusted=adjusted,
                )
            )
        rows.append(GradebookRow(enrolment=enrolment, cells=cells))
    return Gradebook(cohort=cohort, assignments=assignments, rows=rows)


def visible_assignments(*, user):
    """Assignments in cohorts the user may view (API lists)."""
    return Assignment.objects.filter(cohort_visible_q(user, Assignment)).select_related("module")


def visible_submissions(*, user):
    return _submission_base().filter(submission_visible_q(user))


# --- "passed", with a member's adjustment: the one definition, used by every page, export and rule


def member_adjustments(*, submission_ids, trainee=None) -> dict[tuple[int, int], Decimal]:
    """(submission id, enrolment id) → a team member's own total on the submission's latest grade. 2 queries.

    An adjustment replaces the team's score for that member only, and only on the latest grade: a
    regrade without one gives the member the team's score again. `trainee` keeps only its own rows.
    """
    latest: dict[int, int] = {}
    for submission_id, assessment_id in (
        Assessment.objects.filter(version__submission_id__in=list(submission_ids), outcome=AssessmentOutcome.GRADED)
        .order_by("created_at", "pk")
        .values_list("version__submission_id", "pk")
    ):
        latest[submission_id] = assessment_id
    if not latest:
        return {}
    submission_of = {assessment_id: submission_id for submission_id, assessment_id in latest.items()}
    adjustments = MemberAdjustment.objects.filter(assessment_id__in=list(submission_of))
    if trainee is not None:
        adjustments = adjustments.filter(enrolment__trainee=trainee)
    return {
        (submission_of[assessment_id], enrolment_id): total
        for assessment_id, enrolment_id, total in adjustments.values_list("assessment_id", "enrolment_id", "total")
    }


def viewer_scores(*, submissions, user) -> dict[int, Decimal | None]:
    """Submission id → the score this user sees: its own adjusted total where it has one, else the work's.

    Grades not visible to the user (not released yet) are None. 2 queries.
    """
    submissions = list(submissions)
    mine = {
        submission_id: total
        for (submission_id, _enrolment_id), total in member_adjustments(
            submission_ids=[s.pk for s in submissions if s.team_id], trainee=user
        ).items()
    }
    return {s.pk: (mine.get(s.pk, s.score) if user.has_perm("fieldwork.view_grade", s) else None) for s in submissions}


def is_passed(*, assignment: Assignment, state: str | None, score: Decimal | None) -> bool:
    """A released (or final) grade at or above the assignment's pass mark."""
    return state in RELEASED_STATES and score is not None and score >= assignment.pass_mark


@dataclass
class CompletionAssignments:
    required: list[Assignment]
    passed: dict[int, set[int]]  # enrolment id → ids of required assignments it passed

    def passed_count(self, enrolment_id: int) -> int:
        return len(self.passed.get(enrolment_id, ()))


def completion_assignments(*, cohort: Cohort) -> CompletionAssignments:
    """The assignments counting toward completion and who passed each, a member's adjustment
    replacing its team's score. 4 queries, whatever the cohort's size."""
    book = gradebook(cohort=cohort)
    passed: dict[int, set[int]] = {}
    for row in book.rows:
        passed[row.enrolment.pk] = {
            assignment.pk
            for assignment, cell in zip(book.assignments, row.cells, strict=True)
            if assignment.counts_toward_completion
            and is_passed(assignment=assignment, state=cell.state, score=cell.score)
        }
    return CompletionAssignments(required=[a for a in book.assignments if a.counts_toward_completion], passed=passed)


def passed_assignments(*, cohort: Cohort) -> dict[int, set[int]]:
    """For completion rules: enrolment id → ids of assignments counting toward completion that it passed."""
    return completion_assignments(cohort=cohort).passed


@dataclass
class AssignmentStates:
    """How many of an assignment's owners (trainees or teams) stand in each state; `not_handed_in` counts
    owners with no submission or only a draft."""

    assignment: Assignment
    counts: dict[str, int]
    not_handed_in: int


def assignment_state_counts(*, cohort: Cohort, community_id: int | None = None) -> list[AssignmentStates]:
    """Submissions by state per assignment, optionally for one community. 4 queries."""
    assignments = list(
        Assignment.objects.filter(module__cohort=cohort).order_by("module__phase", "module__position", "due_at", "pk")
    )
    submissions = Submission.objects.filter(assignment__module__cohort=cohort).exclude(state=SubmissionState.DRAFT)
    enrolments = Enrolment.objects.active().filter(cohort=cohort)
    teams = Team.objects.filter(cohort=cohort)
    if community_id:
        submissions = submissions.filter(Q(enrolment__community_id=community_id) | Q(team__community_id=community_id))
        enrolments = enrolments.filter(community_id=community_id)
        teams = teams.filter(community_id=community_id)
    counts: dict[int, dict[str, int]] = {}
    for row in submissions.values("assignment_id", "state").annotate(n=Count("id")).order_by():
        counts.setdefault(row["assignment_id"], {})[row["state"]] = row["n"]
    owners = {WorkMode.TEAM: teams.count(), WorkMode.INDIVIDUAL: enrolments.count()}
    result = []
    for assignment in assignments:
        by_state = counts.get(assignment.pk, {})
        expected = owners.get(assignment.mode, 0)
        result.append(
            AssignmentStates(
                assignment=assignment,
                counts=by_state,
                not_handed_in=max(expected - sum(by_state.values()), 0),
            )
        )
    return result


def assignment_holds(*, assignment: Assignment) -> list[str]:
    """Why the assignment cannot be deleted: work was started on it (even a draft), or extensions were granted."""
    from django.utils.translation import ngettext

    reasons = []
    if started := assignment.submissions.count():
        reasons.append(
            ngettext(
                "%(count)s trainee or team has started work on it (drafts included).",
                "%(count)s trainees or teams have started work on it (drafts included).",
                started,
            )
            % {"count": started}
        )
    if extended := assignment.extensions.count():
        reasons.append(
            ngettext(
                "%(count)s extension has been granted for it.",
                "%(count)s extensions have been granted for it.",
                extended,
            )
            % {"count": extended}
        )
    return reasons
