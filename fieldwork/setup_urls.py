"""URLs of the assignments' set-up pages, under /setup/ beside the cohort's (courses/setup_urls.py)."""

from django.urls import path

from fieldwork import setup_views as assignments

urlpatterns = [
    path(
        "cohorts/<int:cohort_id>/modules/<int:module_id>/assignments/new/",
        assignments.assignment_create,
        name="setup-assignment-create",
    ),
    path("assignments/<int:assignment_id>/delete/", assignments.assignment_delete, name="setup-assignment-delete"),
    path("assignments/<int:assignment_id>/", assignments.assignment_edit, name="setup-assignment"),
    path("assignments/<int:assignment_id>/rubric/", assignments.rubric_edit, name="setup-rubric"),
]
