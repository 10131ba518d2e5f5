"""Fieldwork's part of a cohort's set-up pages and of "copy this cohort" (courses/services/copy.py,
courses/views/setup.py), registered as hooks in FieldworkConfig.ready() since courses imports no fieldwork."""

from django.db.models import Count, Prefetch

from courses.services.copy import shift_years
from fieldwork.models import Assignment, RubricCriterion, RubricLevel, Submission


def copy_plan(cohort) -> dict:
    """The assignments, criteria and levels a copy takes along; the submissions it leaves behind."""
    return {
        "assignments": Assignment.objects.filter(module__cohort=cohort).count(),
        "criteria": RubricCriterion.objects.filter(assignment__module__cohort=cohort).count(),
        "levels": RubricLevel.objects.filter(criterion__assignment__module__cohort=cohort).count(),
        "left_behind": {"submissions": Submission.objects.filter(assignment__module__cohort=cohort).count()},
    }


def copy_assignments(*, source, cohort, years: int, new_modules: dict, new_lessons: dict, actor) -> None:
    """Each assignment of `source` with its rubric, dates moved by `years`, under the copied modules."""
    for assignment in Assignment.objects.filter(module__cohort=source).prefetch_related("criteria__levels"):
        copy = Assignment.objects.create(
            module=new_modules[assignment.module_id],
            title=assignment.title,
            instructions=assignment.instructions,
            opens_at=shift_years(assignment.opens_at, years),
            due_at=shift_years(assignment.due_at, years),
            closes_at=shift_years(assignment.closes_at, years) if assignment.closes_at else None,
            mode=assignment.mode,
            allowed_extensions=list(assignment.allowed_extensions),
            max_file_size=assignment.max_file_size,
            max_total_size=assignment.max_total_size,
            max_files=assignment.max_files,
            pass_mark=assignment.pass_mark,
            counts_toward_completion=assignment.counts_toward_completion,
            objection_window_days=assignment.objection_window_days,
        )
        for criterion in assignment.criteria.all():
            new_criterion = RubricCriterion.objects.create(
                assignment=copy, position=criterion.position, title=criterion.title, description=criterion.description
            )
            RubricLevel.objects.bulk_create(
                RubricLevel(
                    criterion=new_criterion,
                    position=level.position,
                    title=level.title,
                    description=level.description,
                    min_points=level.min_points,
                    max_points=level.max_points,
                )
                for level in criterion.levels.all()
            )


def setup_prefetches() -> list:
    """The assignments each module of the set-up page lists, with their rubric's size."""
    return [
        Prefetch(
            "assignments",
            queryset=Assignment.objects.annotate(criterion_count=Count("criteria")).order_by("due_at", "pk"),
        )
    ]
