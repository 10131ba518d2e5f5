"""URLs of the set-up pages, all under /setup/: cohorts, modules, lessons, sessions, the copy
(assignments: fieldwork/setup_urls.py, under /setup/ too)."""

from django.urls import path

from courses.views import setup

urlpatterns = [
    path("cohorts/", setup.cohort_list, name="setup-cohorts"),
    path("cohorts/new/", setup.cohort_create, name="setup-cohort-create"),
    path("cohorts/<int:cohort_id>/", setup.cohort_overview, name="setup-cohort"),
    path("cohorts/<int:cohort_id>/edit/", setup.cohort_edit, name="setup-cohort-edit"),
    path("cohorts/<int:cohort_id>/copy/", setup.cohort_copy, name="setup-cohort-copy"),
    path("cohorts/<int:cohort_id>/modules/new/", setup.module_create, name="setup-module-create"),
    path("cohorts/<int:cohort_id>/modules/<int:module_id>/", setup.module_edit, name="setup-module"),
    path(
        "cohorts/<int:cohort_id>/modules/<int:module_id>/lessons/new/", setup.lesson_create, name="setup-lesson-create"
    ),
    path("cohorts/<int:cohort_id>/sessions/new/", setup.session_create, name="setup-session-create"),
    path("lessons/<int:lesson_id>/", setup.lesson_edit, name="setup-lesson"),
    path("lessons/<int:lesson_id>/attachments/", setup.attachment_upload, name="setup-attachment-upload"),
    path("attachments/<int:attachment_id>/remove/", setup.attachment_remove, name="setup-attachment-remove"),
    path("sessions/<int:session_id>/", setup.session_edit, name="setup-session"),
    path("sessions/<int:session_id>/delete/", setup.session_delete, name="setup-session-delete"),
    path("modules/<int:module_id>/move/", setup.module_move, name="setup-module-move"),
    path("modules/<int:module_id>/delete/", setup.module_delete, name="setup-module-delete"),
    path("lessons/<int:lesson_id>/move/", setup.lesson_move, name="setup-lesson-move"),
    path("lessons/<int:lesson_id>/delete/", setup.lesson_delete, name="setup-lesson-delete"),
]
