"""State changes of field assignments: one transactional function each, checked against TRANSITIONS."""

from fieldwork.services.grading import (
    AdjustmentInput,
    ScoreInput,
    assignment_release_grades,
    grade_correct,
    grade_release,
    grades_finalise_due,
    objection_raise,
    objection_resolve,
    submission_grade,
    submission_return,
    uploads_default_extensions,
)
from fieldwork.services.submissions import (
    effective_due,
    extension_grant,
    submission_file_add,
    submission_file_remove,
    submission_save_draft,
    submission_start,
    submission_submit,
)

__all__ = [
    "AdjustmentInput",
    "ScoreInput",
    "assignment_release_grades",
    "effective_due",
    "extension_grant",
    "grade_correct",
    "grade_release",
    "grades_finalise_due",
    "objection_raise",
    "objection_resolve",
    "submission_file_add",
    "submission_file_remove",
    "submission_grade",
    "submission_return",
    "submission_save_draft",
    "submission_start",
    "submission_submit",
    "uploads_default_extensions",
]
