import rules

from lms.predicates import (
    can_complete_lesson,
    can_manage_cohort,
    can_record_attendance,
    can_teach_cohort,
    can_view_attendance,
    can_view_cohort,
    can_view_progress,
    is_district_staff_for,
    is_superuser,
)

rules.add_perm("courses.view_cohort_content", can_view_cohort)
rules.add_perm("courses.teach_cohort", can_teach_cohort)
rules.add_perm("courses.manage_cohort", can_manage_cohort)
rules.add_perm("courses.view_progress", can_view_progress)
rules.add_perm("courses.complete_lesson", can_complete_lesson)
rules.add_perm("courses.schedule_session", can_teach_cohort)
rules.add_perm("courses.record_attendance", can_record_attendance)
rules.add_perm("courses.read_attendance", can_view_attendance)

# Admin: district staff manage their own district's course data; only a superuser deletes
# enrolments and completions, which carry history.
staff_or_superuser = is_superuser | is_district_staff_for
for model in ("course", "cohort", "teaching", "module", "lesson", "team", "enrolment", "lessoncompletion"):
    rules.add_perm(f"courses.view_{model}", staff_or_superuser)
for model in ("cohort", "teaching", "module", "lesson", "team", "enrolment"):
    rules.add_perm(f"courses.add_{model}", staff_or_superuser)
    rules.add_perm(f"courses.change_{model}", staff_or_superuser)
for model in ("teaching", "module", "lesson", "team"):
    rules.add_perm(f"courses.delete_{model}", staff_or_superuser)
for model in ("course", "enrolment", "lessoncompletion", "cohort"):
    rules.add_perm(f"courses.delete_{model}", is_superuser)
rules.add_perm("courses.add_course", is_superuser)
rules.add_perm("courses.change_course", is_superuser)
rules.add_perm("courses.add_lessoncompletion", is_superuser)
rules.add_perm("courses.change_lessoncompletion", is_superuser)

# Sessions and attendance are read in the admin; they change only through the services (pages and API),
# which set the check-in window and keep corrections.
for model in ("session", "attendance", "attendancecorrection"):
    rules.add_perm(f"courses.view_{model}", staff_or_superuser)
for model in ("session", "attendance", "attendancecorrection"):
    rules.add_perm(f"courses.delete_{model}", is_superuser)
