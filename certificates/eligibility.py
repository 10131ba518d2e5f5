"""Completion criteria: one small function each, evaluated for all trainees of a cohort at once.

A criterion answers, per enrolment, met or unmet (with a reason such as "attendance 60% < 80%").
It never re-derives another app's rule: "attended" comes from courses.selectors.attendance_shares,
"passed" from fieldwork.selectors.completion_assignments, "case approved" from
fieldwork.projects.selectors.approved_case_team_ids. Each costs a fixed number of queries.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from certificates.models import Certificate, CertificateStatus, CompletionRule
from courses.models import Cohort, Enrolment, Lesson, LessonCompletion
from courses.selectors import attendance_shares, cohort_roster
from fieldwork.projects.selectors import approved_case_team_ids
from fieldwork.selectors import completion_assignments

MET, UNMET = "met", "unmet"


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
    def can_be_issued(self) -> bool:
        return self.eligible and self.certificate is None


Criterion = Callable[[CompletionRule, Cohort, list[Enrolment]], dict[int, CriterionResult] | None]


def _percent(done: int, total: int) -> int:
    return round(100 * done / total) if total else 100


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
    """The attendance share as courses defines it (excused sessions left out). 2 queries."""
    if rule.min_attendance_percent is None:
        return None
    shares = attendance_shares(enrolments=enrolments)
    results = {}
    for enrolment in enrolments:
        share = shares[enrolment.pk]
        percent = 100 if share.percent is None else share.percent
        values = {"percent": percent, "minimum": rule.min_attendance_percent}
        if percent < rule.min_attendance_percent:
            reason = _("attendance %(percent)d%% < %(minimum)d%%") % values
            results[enrolment.pk] = CriterionResult("attendance", UNMET, reason)
        else:
            results[enrolment.pk] = CriterionResult("attendance", MET, _("attendance %(percent)d%%") % values)
    return results


def assignments_criterion(rule, cohort, enrolments):
    """Every assignment counting toward completion passed, as fieldwork defines it. 4 queries."""
    if not rule.require_assignments_passed:
        return None
    completion = completion_assignments(cohort=cohort)
    total = len(completion.required)
    results = {}
    for enrolment in enrolments:
        values = {"passed": completion.passed_count(enrolment.pk), "total": total}
        status = MET if values["passed"] >= total else UNMET
        results[enrolment.pk] = CriterionResult(
            "assignments", status, _("assignments passed %(passed)d of %(total)d") % values
        )
    return results


def model_case_criterion(rule, cohort, enrolments):
    """The trainee's team's model case approved, as fieldwork.projects defines it. 1 query."""
    if not rule.require_model_case_approved:
        return None
    approved = approved_case_team_ids(cohort_id=cohort.pk)
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
    enrolments = cohort_roster(cohort)
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
