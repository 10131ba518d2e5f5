import rules

from lms.predicates import (
    can_grade_submission,
    can_release_grade,
    can_teach_cohort,
    can_view_cohort,
    can_view_grade,
    can_view_submission,
    is_district_staff_for,
    is_submission_owner,
    is_superuser,
)

rules.add_perm("fieldwork.view_assignment_content", can_view_cohort)
rules.add_perm("fieldwork.view_submission_content", can_view_submission)
rules.add_perm("fieldwork.work_on_submission", is_submission_owner)
rules.add_perm("fieldwork.grade_submission", can_grade_submission)
rules.add_perm("fieldwork.release_grades", can_release_grade)
rules.add_perm("fieldwork.correct_grade", can_release_grade)  # instructors and staff, never a member of the work
rules.add_perm("fieldwork.grant_extension", can_teach_cohort)
rules.add_perm("fieldwork.view_grade", can_view_grade)
rules.add_perm("fieldwork.view_gradebook", can_teach_cohort)
rules.add_perm("fieldwork.manage_assignments", can_teach_cohort)

# Admin: staff manage assignments and rubrics of their district; history rows are read-only.
staff_or_superuser = is_superuser | is_district_staff_for
for model in ("assignment", "rubriccriterion", "rubriclevel", "extension"):
    for action in ("view", "add", "change"):
        rules.add_perm(f"fieldwork.{action}_{model}", staff_or_superuser)
for model in ("rubriccriterion", "rubriclevel"):
    rules.add_perm(f"fieldwork.delete_{model}", staff_or_superuser)
rules.add_perm("fieldwork.delete_assignment", is_superuser)
for model in ("submission", "submissionversion", "submissionfile", "assessment", "gradechange", "objection"):
    rules.add_perm(f"fieldwork.view_{model}", staff_or_superuser)
