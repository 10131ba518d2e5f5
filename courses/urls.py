from django.urls import path

from courses.views import attendance, cohorts, enrol_sheet, learning, setup

urlpatterns = [
    path("learn/", learning.home, name="learning"),
    path("cohorts/<int:cohort_id>/learn/", learning.cohort_learn, name="cohort-learn"),
    path("modules/<int:module_id>/", learning.module_detail, name="module-detail"),
    path("lessons/<int:lesson_id>/", learning.lesson_detail, name="lesson-detail"),
    path("lesson-files/<int:attachment_id>/", setup.attachment_download, name="lesson-attachment"),
    path("lessons/<int:lesson_id>/done/", learning.lesson_mark_done, name="lesson-mark-done"),
    path("check-in/", attendance.check_in_list, name="check-in-list"),
    path("check-in/<int:session_id>/", attendance.check_in, name="check-in"),
    path("sessions/<int:session_id>/", attendance.attendance_sheet, name="attendance-sheet"),
    path("sessions/<int:session_id>/attendance/", attendance.attendance_record, name="attendance-record"),
    path("sessions/<int:session_id>/screen/", attendance.check_in_screen, name="check-in-screen"),
    path("sessions/<int:session_id>/screen.json", attendance.check_in_screen_state, name="check-in-screen-state"),
    path("attendance/<int:attendance_id>/correct/", attendance.attendance_correct, name="attendance-correct"),
    path("district/cohorts/", cohorts.district_overview, name="district-overview"),
    path("cohorts/<int:cohort_id>/", cohorts.cohort_detail, name="cohort-detail"),
    path("cohorts/<int:cohort_id>/enrol/", cohorts.cohort_enrol, name="cohort-enrol"),
    path("cohorts/<int:cohort_id>/attendance.<str:fmt>", cohorts.attendance_export, name="attendance-export"),
    path("cohorts/<int:cohort_id>/sessions/", cohorts.session_schedule, name="session-schedule"),
    path("cohorts/<int:cohort_id>/instructors/", cohorts.cohort_instructor_add, name="cohort-instructor-add"),
    path(
        "cohorts/<int:cohort_id>/instructors/<int:teaching_id>/remove/",
        cohorts.cohort_instructor_remove,
        name="cohort-instructor-remove",
    ),
    path("cohorts/<int:cohort_id>/enrol-sheet/", enrol_sheet.enrol_sheet, name="enrol-sheet"),
    path("cohorts/<int:cohort_id>/enrol-sheet/commit/", enrol_sheet.enrol_sheet_commit, name="enrol-sheet-commit"),
    path("cohorts/<int:cohort_id>/enrol-sheet/links.xlsx", enrol_sheet.enrol_sheet_links, name="enrol-sheet-links"),
    path(
        "cohorts/<int:cohort_id>/enrol-sheet/template.xlsx",
        enrol_sheet.enrol_sheet_template,
        name="enrol-sheet-template",
    ),
    path("enrolments/<int:enrolment_id>/withdraw/", cohorts.enrolment_withdraw, name="enrolment-withdraw"),
    path("enrolments/<int:enrolment_id>/move/", cohorts.enrolment_move, name="enrolment-move"),
]
