from django.urls import path

from courses import views

urlpatterns = [
    path("", views.home, name="home"),
    path("cohorts/<int:cohort_id>/learn/", views.cohort_learn, name="cohort-learn"),
    path("modules/<int:module_id>/", views.module_detail, name="module-detail"),
    path("lessons/<int:lesson_id>/", views.lesson_detail, name="lesson-detail"),
    path("lessons/<int:lesson_id>/done/", views.lesson_mark_done, name="lesson-mark-done"),
]
