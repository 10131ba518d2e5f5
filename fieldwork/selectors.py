"""Reads of field assignments for pages and API, each with a fixed number of queries."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext as _

from courses.models import Cohort, Enrolment, EnrolmentStatus, Module, Team
from fieldwork.models import (
    RELEASED_STATES,
    Assessment,
    AssessmentOutcome,
    Assignment,
    CriterionScore,
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
from lms.errors import NotFound
from lms.predicates import cohort_visible_q, roles_of, submission_visible_q


def _not_found():
    return NotFound(_("This page does not exist, or you do not have access to it."))


# --- fetch and authorise together: missing and forbidden both answer "not found"


def access_assignment(*, user, assignment_id: int) -> Assignment:
    assignment = (
        Assignment.objects.select_related("module__cohort__course", "module__cohort__district")
        .prefetch_related(_rubric_prefetch())
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None or not user.has_perm("fieldwork.view_assignment_content", assignment):
        raise _not_found()
    return assignment


def _submission_base():
    return Submission.objects.select_related(
        "assignment__module__cohort__district", "enrolment__trainee", "enrolment__community", "team__community"
    )


def access_submission(*, user, submission_id: int) -> Submission:
    submission = _submission_base().filter(pk=submission_id).first()
    if submission is None or not user.has_perm("fieldwork.view_submission_content", submission):
        raise _not_found()
    return submission


def access_submission_file(*, user, file_id: int) -> SubmissionFile:
    file = SubmissionFile.objects.filter(pk=file_id).first()
    if file is None:
        raise _not_found()
    access_submission(user=user, submission_id=file.submission_id)
    return file


def access_feedback_file(*, user, file_id: int) -> FeedbackFile:
    """A feedback file, which a trainee sees only once the grade is released (or the work returned)."""
    file = FeedbackFile.objects.select_related("assessment__version").filter(pk=file_id).first()
    if file is None:
        raise _not_found()
    submission = access_submission(user=user, submission_id=file.assessment.version.submission_id)
    if not _assessment_visible(user, submission, file.assessment):
        raise _not_found()
    return file


def access_objection(*, user, objection_id: int) -> Objection:
    objection = Objection.objects.filter(pk=objection_id).first()
    if objection is None:
        raise _not_found()
    objection.submission = access_submission(user=user, submission_id=objection.submission_id)
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


def module_assignments(*, module: Module, enrolment: Enrolment | None) -> list[AssignmentRow]:
    """The module's assignments with the enrolment's (or its team's) submission. 2 queries."""
    assignments = list(Assignment.objects.filter(module=module).order_by("due_at", "pk"))
    mine: dict[int, Submission] = {}
    if enrolment is not None:
        owner = Q(enrolment=enrolment)
        if enrolment.team_id:
            owner |= Q(team_id=enrolment.team_id)
        for submission in Submission.objects.filter(owner, assignment__module=module):
            mine[submission.assignment_id] = submission
    return [AssignmentRow(a, mine.get(a.pk)) for a in assignments]


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
    """Everything a page shows about one submission; grades hidden from trainees before release. 8 queries."""
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
    changes = (
        list(
            GradeChange.objects.filter(submission=submission).select_related("changed_by").order_by("changed_at", "pk")
        )
        if teaches
        else []
    )
    return SubmissionDetail(
        submission=submission,
        draft_files=draft_files,
        versions=[VersionView(v, list(v.files.all()), list(v.assessments.all())) for v in versions],
        grade_visible=grade_visible,
        objection=objection,
        grade_changes=changes,
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
    """Trainees × assignments with state and score (a member's adjustment replacing its team's). 5 queries."""
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
    latest_graded: dict[int, int] = {}
    for submission_id, assessment_id in (
        Assessment.objects.filter(
            version__submission__assignment__module__cohort=cohort, outcome=AssessmentOutcome.GRADED
        )
        .order_by("created_at", "pk")
        .values_list("version__submission_id", "pk")
    ):
        latest_graded[submission_id] = assessment_id
    adjustments = {
        (a.assessment_id, a.enrolment_id): a.total
        for a in MemberAdjustment.objects.filter(assessment_id__in=set(latest_graded.values()))
    }
    labels = dict(SubmissionState.choices)
    rows = []
    for enrolment in enrolments:
        cells = []
        for assignment in assignments:
            if assignment.mode == WorkMode.TEAM:
                submission = by_team.get((assignment.pk, enrolment.team_id))
            else:
                submission = by_enrolment.get((assignment.pk, enrolment.pk))
            if submission is None:
                cells.append(Cell())
                continue
            score, adjusted = submission.score, False
            key = (latest_graded.get(submission.pk), enrolment.pk)
            if key in adjustments:
                score, adjusted = adjustments[key], True
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


def released(submission: Submission) -> bool:
    return submission.state in RELEASED_STATES


def passed_assignments(*, cohort: Cohort) -> dict[int, set[int]]:
    """For completion rules: enrolment id → ids of assignments counting toward completion that it passed.

    Passed means a released (or final) grade at or above the pass mark, a member's adjustment
    replacing its team's score. 5 queries, whatever the cohort's size.
    """
    book = gradebook(cohort=cohort)
    passed: dict[int, set[int]] = {}
    for row in book.rows:
        passed[row.enrolment.pk] = {
            assignment.pk
            for assignment, cell in zip(book.assignments, row.cells, strict=True)
            if assignment.counts_toward_completion
            and cell.state in RELEASED_STATES
            and cell.score is not None
            and cell.score >= assignment.pass_mark
        }
    return passed
