"""Completion criteria: one small function each, evaluated for all trainees of a cohort at once.

A criterion answers, per enrolment, met / unmet (with a reason such as "attendance 60% < 80%") /
not available. "Not available" means its data source (in-person attendance, graded assignments,
model cases) is not installed yet; it is shown on the page and does not block a certificate.
Each function costs a fixed number of queries, whatever the number of trainees.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import FieldError
from django.db.models import Count
from django.utils.translation import gettext as _

from certificates.models import Certificate, CertificateStatus, CompletionRule
from courses.models import Cohort, Enrolment, EnrolmentStatus, Lesson, LessonCompletion

logger = logging.getLogger(__name__)

MET, UNMET, UNAVAILABLE = "met", "unmet", "unavailable"


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
    if not apps.is_installed(app_label):
        return None
    try:
        return apps.get_model(app_label, name)
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
    """Share of the cohort's in-person sessions attended (from courses' attendance, once installed)."""
    if rule.min_attendance_percent is None:
        return None
    session_model = _model("courses", "InPersonSession") or _model("courses", "Session")
    attendance_model = _model("courses", "Attendance")
    if session_model is None or attendance_model is None:
        return _unavailable("attendance", enrolments, _("attendance: not available yet"))
    try:
        total = session_model.objects.filter(lesson__module__cohort=cohort).count()
        attended = dict(
            attendance_model.objects.filter(enrolment__in=[e.pk for e in enrolments])
            .values("enrolment_id")
            .annotate(n=Count("session_id", distinct=True))
            .values_list("enrolment_id", "n")
        )
    except FieldError:  # the attendance records are not shaped as expected yet
        logger.warning("Attendance models exist but do not match the certificate criterion.")
        return _unavailable("attendance", enrolments, _("attendance: not available yet"))
    results = {}
    for enrolment in enrolments:
        percent = _percent(attended.get(enrolment.pk, 0), total)
        values = {"percent": percent, "minimum": rule.min_attendance_percent}
        if percent < rule.min_attendance_percent:
            results[enrolment.pk] = CriterionResult(
                "attendance", UNMET, _("attendance %(percent)d%% < %(minimum)d%%") % values
            )
        else:
            results[enrolment.pk] = CriterionResult("attendance", MET, _("attendance %(percent)d%%") % values)
    return results


def assignments_criterion(rule, cohort, enrolments):
    """Required field assignments graded at or above their pass mark (from fieldwork, once installed)."""
    if not rule.require_assignments_passed:
        return None
    if _model("fieldwork", "Assignment") is None or _model("fieldwork", "Assessment") is None:
        return _unavailable("assignments", enrolments, _("assignments passed: not available yet"))
    # The grading data of fieldwork is being built; until its contract is settled this criterion
    # reports itself unavailable instead of guessing.
    return _unavailable("assignments", enrolments, _("assignments passed: not available yet"))


def model_case_criterion(rule, cohort, enrolments):
    """The trainee's (team's) model case approved (from fieldwork, once installed)."""
    if not rule.require_model_case_approved:
        return None
    if _model("fieldwork", "ModelCase") is None:
        return _unavailable("model_case", enrolments, _("model case approved: not available yet"))
    return _unavailable("model_case", enrolments, _("model case approved: not available yet"))


CRITERIA: list[Criterion] = [lessons_criterion, attendance_criterion, assignments_criterion, model_case_criterion]


def cohort_eligibility(*, cohort: Cohort, enrolment_ids=None) -> list[TraineeEligibility]:
    """Every active trainee of the cohort (or of `enrolment_ids`), eligible or not and why. Fixed queries."""
    rule = CompletionRule.objects.filter(cohort=cohort).first() or CompletionRule(cohort=cohort)
    enrolments = cohort.enrolments.filter(status=EnrolmentStatus.ACTIVE).select_related("trainee", "team")
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
