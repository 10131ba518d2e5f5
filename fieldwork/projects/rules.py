import rules

from lms.predicates import (
    can_edit_field_project,
    can_export_case_booklet,
    can_log_support_visit,
    can_read_case_library,
    can_review_model_case,
    can_teach_cohort,
    can_view_field_project,
    is_district_staff_for,
    is_superuser,
)

rules.add_perm("projects.view_project", can_view_field_project)
rules.add_perm("projects.edit_project", can_edit_field_project)
rules.add_perm("projects.log_visit", can_log_support_visit)
rules.add_perm("projects.review_case", can_review_model_case)
rules.add_perm("projects.view_totals", can_teach_cohort)
rules.add_perm("projects.read_library", can_read_case_library)
rules.add_perm("projects.export_booklet", can_export_case_booklet)

# Admin: district staff view their district's records; only a superuser changes or deletes them,
# since pages and API go through the services.
staff_or_superuser = is_superuser | is_district_staff_for
for model in (
    "fieldproject",
    "partner",
    "projectphoto",
    "supportvisit",
    "nextstep",
    "engagementactivity",
    "beforeafterpair",
    "modelcase",
):
    rules.add_perm(f"projects.view_{model}", staff_or_superuser)
    rules.add_perm(f"projects.add_{model}", is_superuser)
    rules.add_perm(f"projects.change_{model}", is_superuser)
    rules.add_perm(f"projects.delete_{model}", is_superuser)
