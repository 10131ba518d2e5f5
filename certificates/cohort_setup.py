"""Certificates' part of a cohort's set-up pages, of "copy this cohort" and of what holds a lesson
(courses/services/copy.py, courses/views/setup.py, courses/selectors.py), registered as hooks in
CertificatesConfig.ready() since courses imports no certificates."""

from django.utils.translation import gettext as _

from certificates.models import Certificate, CompletionRule, IssuerProfile


def lesson_holds(lesson) -> list[str]:
    if CompletionRule.objects.filter(required_lessons=lesson).exists():
        return [_("The completion rules require it: take it out of the rules first.")]
    return []


def copy_plan(cohort) -> dict:
    return {
        "has_completion_rule": CompletionRule.objects.filter(cohort=cohort).exists(),
        "has_certificate_template": IssuerProfile.objects.filter(district_id=cohort.district_id)
        .exclude(html="")
        .exists(),
        "left_behind": {"certificates": Certificate.objects.filter(cohort=cohort).count()},
    }


def copy_completion_rule(*, source, cohort, years: int, new_modules: dict, new_lessons: dict, actor) -> None:
    """The completion rule of `source`, its required lessons mapped onto the copied ones."""
    rule = CompletionRule.objects.filter(cohort=source).first()
    if rule is not None:
        new_rule = CompletionRule.objects.create(
            cohort=cohort,
            min_lesson_percent=rule.min_lesson_percent,
            min_attendance_percent=rule.min_attendance_percent,
            require_assignments_passed=rule.require_assignments_passed,
            require_model_case_approved=rule.require_model_case_approved,
            updated_by=actor,
        )
        new_rule.required_lessons.set(
            [new_lessons[pk] for pk in rule.required_lessons.values_list("pk", flat=True) if pk in new_lessons]
        )


def setup_context(cohort) -> dict:
    """The completion rule and the district's certificate (issuer, seal, wording) the set-up page shows."""
    return {
        "rule": CompletionRule.objects.filter(cohort=cohort).first(),
        "template": IssuerProfile.objects.filter(district_id=cohort.district_id).select_related("updated_by").first(),
    }
