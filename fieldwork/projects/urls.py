from django.urls import path

from fieldwork.projects import views

app_name = "projects"

urlpatterns = [
    path("", views.home, name="home"),
    path("teams/<int:team_id>/edit/", views.project_edit, name="edit"),
    path("<int:project_id>/", views.project_detail, name="detail"),
    path("<int:project_id>/activities/new/", views.activity_new, name="activity-new"),
    path("<int:project_id>/visits/new/", views.visit_new, name="visit-new"),
    path("<int:project_id>/before-after/new/", views.before_after_new, name="before-after-new"),
    path("<int:project_id>/case/", views.case_edit, name="case-edit"),
    path("next-steps/<int:step_id>/close/", views.next_step_close, name="next-step-close"),
    path("cases/<int:case_id>/", views.case_detail, name="case-detail"),
    path("cases/<int:case_id>/review/", views.case_review, name="case-review"),
    path("cohorts/<int:cohort_id>/totals/", views.cohort_totals, name="cohort-totals"),
    path("cohorts/<int:cohort_id>/totals.<str:fmt>", views.cohort_totals_export, name="cohort-totals-export"),
    path("library/", views.library, name="library"),
    path("library/booklet.pdf", views.library_booklet, name="library-booklet"),
    path("photos/<int:photo_id>/status/", views.photo_status, name="photo-status"),
    path("photos/<int:photo_id>/<str:variant>/", views.photo_file, name="photo"),
]
