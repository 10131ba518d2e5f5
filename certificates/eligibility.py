"""Completion criteria: one small function each, evaluated for all trainees of a cohort at once.

A criterion answers, per enrolment, met / unmet (with a reason such as "attendance 60% < 80%") /
not available. "Not available" means its data source (in-person attendance, graded assignments,
model cases) is not installed yet; it is shown on the page and does not block a certificate.
Each function costs a fixed number of queries, whatever the number of trainees.
"""

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates.models import Certificate, CertificateStatus, CompletionRule
from courses.models import Cohort, Enrolment, EnrolmentStatus, Lesson, LessonCompletion

logger = logging.getLogger(__name__)

MET, UNMET, UNAVAILABLE = "met", "unmet", "unavailable"
# The values other apps use for these states (courses.AttendanceStatus, fieldwork.SubmissionState), by
# value so that this module imports even where those apps are not installed.
ATTENDED_STATUSES = {"present", "late"}
RELEASED_SUBMISSION_STATES = {"released", "objected", "final"}


@dataclass(frozen=True)
class CriterionResult:
    key: str
    status: str
    reason: str = ""


@dataclass
class TraineeEligibility:
    enrolment: Enrolment
    results: list[CriterionResult] = field(default_factory=list)
    certificate: Certificate | None = None

    @property
    def eligible(self) -> bool:
        return all(r.status != UNMET for r in self.results)

    @property
    def reasons(self) -> list[str]:
        return [r.reason for r in self.results if r.status == UNMET]

    @property
    def unavailable(self) -> list[str]:
        return [r.reason for r in self.results if r.status == UNAVAILABLE]

    @property
    def can_be_issued(self) -> bool:
        return self.eligible and self.certificate is None


Criterion = Callable[[CompletionRule, Cohort, list[Enrolment]], dict[int, CriterionResult] | None]


def _model(app_label: str, name: str):
    """A model of another part of the system, or None while that part is not installed."""
    try:
        return apps.get_model(app_label, name)  # LookupError for an app or model that is not installed
    except LookupError:
        return None


def _percent(done: int, total: int) -> int:
    return round(100 * done / total) if total else 100


def _unavailable(key: str, enrolments: list[Enrolment], reason: str) -> dict[int, CriterionResult]:
    return {e.pk: CriterionResult(key, UNAVAILABLE, reason) for e in enrolments}


def lessons_criterion(rule, cohort, enrolments):
    """Required lessons done, and the share of all the cohort's lessons done. 3 queries."""
    required_ids = set(rule.required_lessons.values_list("id", flat=True)) if rule.pk else set()
    if not required_ids and rule.min_lesson_percent == 0:
        return None
    total = Lesson.objects.filter(module__cohort=cohort).count()
    done: dict[int, set[int]] = {e.pk: set() for e in enrolments}
    for enrolment_id, lesson_id in LessonCompletion.objects.filter(
        enrolment__in=[e.pk for e in enrolments], lesson__module__cohort=cohort
    ).values_list("enrolment_id", "lesson_id"):
        done[enrolment_id].add(lesson_id)
    results = {}
    for enrolment in enrolments:
        lessons = done[enrolment.pk]
        percent = _percent(len(lessons), total)
        missing = len(required_ids - lessons)
        if missing:
            reason = _("required lessons: %(missing)d of %(total)d not done") % {
                "missing": missing,
                "total": len(required_ids),
            }
            results[enrolment.pk] = CriterionResult("lessons", UNMET, reason)
        elif percent < rule.min_lesson_percent:
            reason = _("lessons done %(percent)d%% < %(minimum)d%%") % {
                "percent": percent,
                "minimum": rule.min_lesson_percent,
            }
            results[enrolment.pk] = CriterionResult("lessons", UNMET, reason)
        else:
            results[enrolment.pk] = CriterionResult(
                "lessons", MET, _("lessons done %(percent)d%%") % {"percent": percent}
            )
    return results


def attendance_criterion(rule, cohort, enrolments):
    """Share of the cohort's sessions held so far that the trainee attended (present or late). 2 queries.

    A session excused for the trainee counts neither for nor against it.
    """
    if rule.min_attendance_percent is None:
        return None
    session_model = _model("courses", "Session")
    attendance_model = _model("courses", "Attendance")
    if session_model is None or attendance_model is None:
        return _unavailable("attendance", enrolments, _("attendance: not available yet"))
    held = list(session_model.objects.filter(cohort=cohort, starts_at__lte=timezone.now()).values_list("pk", flat=True))
    attended: Counter = Counter()
    excused: Counter = Counter()
    for enrolment_id, status in attendance_model.objects.filter(
        session_id__in=held, enrolment__in=[e.pk for e in enrolments]
    ).values_list("enrolment_id", "status"):
        if status in ATTENDED_STATUSES:
            attended[enrolment_id] += 1
        elif status == "excused":
            excused[enrolment_id] += 1
    results = {}
    for enrolment in enrolments:
        percent = _percent(attended[enrolment.pk], len(held) - excused[enrolment.pk])
        values = {"percent": percent, "minimum": rule.min_attendance_percent}
        if percent < rule.min_attendance_percent:
            reason = _("attendance %(percent)d%% < %(minimum)d%%") % values
            results[enrolment.pk] = CriterionResult("attendance", UNMET, reason)
        else:
            results[enrolment.pk] = CriterionResult("attendance", MET, _("attendance %(percent)d%%") % values)
    return results


def assignments_criterion(rule, cohort, enrolments):
    """Every assignment that counts toward completion graded (released) at or above its pass mark. 2 queries.

    Team assignments are passed by the trainee's team's submission.
    """
    if not rule.require_assignments_passed:
        return None
    assignment_model = _model("fieldwork", "Assignment")
    submission_model = _model("fieldwork", "Submission")
    if assignment_model is None or submission_model is None:
        return _unavailable("assignments", enrolments, _("assignments passed: not available yet"))
    required = {
        a["pk"]: a
        for a in assignment_model.objects.filter(module__cohort=cohort, counts_toward_completion=True).values(
            "pk", "mode", "pass_mark"
        )
    }
    team_ids = {e.team_id for e in enrolments if e.team_id}
    passed = set()
    for assignment_id, enrolment_id, team_id, score in (
        submission_model.objects.filter(assignment_id__in=list(required), state__in=RELEASED_SUBMISSION_STATES)
        .filter(Q(enrolment__in=[e.pk for e in enrolments]) | Q(team_id__in=team_ids))
        .exclude(score=None)
        .values_list("assignment_id", "enrolment_id", "team_id", "score")
    ):
        if score >= required[assignment_id]["pass_mark"]:
            passed.add((assignment_id, "team", team_id) if team_id else (assignment_id, "trainee", enrolment_id))
    results = {}
    for enrolment in enrolments:
        done = sum(
            1
            for a in required.values()
            if (a["pk"], "team", enrolment.team_id) in passed or (a["pk"], "trainee", enrolment.pk) in passed
        )
        values = {"passed": done, "total": len(required)}
        if done < len(required):
            reason = _("assignments passed %(passed)d of %(total)d") % values
            results[enrolment.pk] = CriterionResult("assignments", UNMET, reason)
        else:
            results[enrolment.pk] = CriterionResult(
                "assignments", MET, _("assignments passed %(passed)d of %(total)d") % values
            )
    return results


def model_case_criterion(rule, cohort, enrolments):
    """The trainee's team's model case approved. 1 query."""
    if not rule.require_model_case_approved:
        return None
    case_model = _model("projects", "ModelCase")
    if case_model is None:
        return _unavailable("model_case", enrolments, _("model case approved: not available yet"))
    approved = set(
        case_model.objects.filter(project__team__cohort=cohort, status="approved").values_list(
            "project__team_id", flat=True
        )
    )
    results = {}
    for enrolment in enrolments:
        if enrolment.team_id in approved:
            results[enrolment.pk] = CriterionResult("model_case", MET, _("model case approved"))
        elif enrolment.team_id is None:
            results[enrolment.pk] = CriterionResult("model_case", UNMET, _("no team, so no model case"))
        else:
            results[enrolment.pk] = CriterionResult("model_case", UNMET, _("model case not approved yet"))
    return results


CRITERIA: list[Criterion] = [lessons_criterion, attendance_criterion, assignments_criterion, model_case_criterion]


def cohort_eligibility(*, cohort: Cohort, enrolment_ids=None) -> list[TraineeEligibility]:
    """Every active trainee of the cohort (or of `enrolment_ids`), eligible or not and why. Fixed queries."""
    rule = CompletionRule.objects.filter(cohort=cohort).first() or CompletionRule(cohort=cohort)
    enrolments = cohort.enrolments.filter(status=EnrolmentStatus.ACTIVE).select_related("trainee", "team", "community")
    if enrolment_ids is not None:
        enrolments = enrolments.filter(pk__in=list(enrolment_ids))
    enrolments = list(enrolments.order_by("trainee__full_name", "pk"))
    valid = {
        c.enrolment_id: c
        for c in Certificate.objects.filter(enrolment__in=[e.pk for e in enrolments]).exclude(
            status=CertificateStatus.REVOKED
        )
    }
    rows = {e.pk: TraineeEligibility(enrolment=e, certificate=valid.get(e.pk)) for e in enrolments}
    if rule.pk is None:
        # No rule saved: nothing but the default (every lesson) applies.
        rule.min_lesson_percent = 100
    for criterion in CRITERIA:
        if rule.pk is None and criterion is not lessons_criterion:
            continue
        results = criterion(rule, cohort, enrolments) if enrolments else None
        if results is None:
            continue
        for enrolment_id, result in results.items():
            rows[enrolment_id].results.append(result)
    return list(rows.values())
