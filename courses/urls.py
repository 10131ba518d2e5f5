from django.urls import path

from courses import views

urlpatterns = [
    path("", views.home, name="home"),
    path("cohorts/<int:cohort_id>/learn/", views.cohort_learn, name="cohort-learn"),
    path("modules/<int:module_id>/", views.module_detail, name="module-detail"),
    path("lessons/<int:lesson_id>/", views.lesson_detail, name="lesson-detail"),
    path("lessons/<int:lesson_id>/done/", views.lesson_mark_done, name="lesson-mark-done"),
]

from courses import views_delivery  # noqa: E402

urlpatterns += [
    path("check-in/", views_delivery.check_in_list, name="check-in-list"),
    path("check-in/<int:session_id>/", views_delivery.check_in, name="check-in"),
    path("sessions/<int:session_id>/", views_delivery.attendance_sheet, name="attendance-sheet"),
    path("sessions/<int:session_id>/attendance/", views_delivery.attendance_record, name="attendance-record"),
    path("sessions/<int:session_id>/screen/", views_delivery.check_in_screen, name="check-in-screen"),
    path("sessions/<int:session_id>/screen.json", views_delivery.check_in_screen_state, name="check-in-screen-state"),
    path("attendance/<int:attendance_id>/correct/", views_delivery.attendance_correct, name="attendance-correct"),
    path("district/cohorts/", views_delivery.district_overview, name="district-overview"),
    path("cohorts/<int:cohort_id>/", views_delivery.cohort_detail, name="cohort-detail"),
    path("cohorts/<int:cohort_id>/enrol/", views_delivery.cohort_enrol, name="cohort-enrol"),
    path("cohorts/<int:cohort_id>/sessions/", views_delivery.session_schedule, name="session-schedule"),
    path("enrolments/<int:enrolment_id>/withdraw/", views_delivery.enrolment_withdraw, name="enrolment-withdraw"),
]
