from django.urls import path

from fieldwork import views

app_name = "fieldwork"

urlpatterns = [
    path("modules/<int:module_id>/assignments/", views.module_assignments, name="module-assignments"),
    path("assignments/<int:assignment_id>/", views.assignment_detail, name="assignment-detail"),
    path("assignments/<int:assignment_id>/files/", views.assignment_upload, name="assignment-upload"),
    path("assignments/<int:assignment_id>/release/", views.assignment_release, name="assignment-release"),
    path("assignments/<int:assignment_id>/extensions/", views.extension_grant, name="extension-grant"),
    path("submission-files/<int:file_id>/", views.file_download, name="file-download"),
    path("submission-files/<int:file_id>/preview/", views.file_preview_status, name="file-preview-status"),
    path("submission-files/<int:file_id>/remove/", views.submission_file_remove, name="file-remove"),
    path("feedback-files/<int:file_id>/", views.feedback_file_download, name="feedback-file-download"),
    path("submissions/<int:submission_id>/submit/", views.submission_submit, name="submission-submit"),
    path("submissions/<int:submission_id>/objection/", views.objection_raise, name="objection-raise"),
    path("submissions/<int:submission_id>/grade/", views.submission_grade, name="submission-grade"),
    path("submissions/<int:submission_id>/release/", views.grade_release, name="grade-release"),
    path("grading/", views.grading_queue, name="grading-queue"),
    path("cohorts/<int:cohort_id>/gradebook/", views.gradebook, name="gradebook"),
    path("cohorts/<int:cohort_id>/gradebook.<str:fmt>", views.gradebook_export, name="gradebook-export"),
]
