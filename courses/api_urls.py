"""Course-delivery routes under /api/v1/ (included from config/api_urls.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from courses import api

router = SimpleRouter()
router.register("courses", api.CourseViewSet, basename="api-course")
router.register("cohorts", api.CohortViewSet, basename="api-cohort")
router.register("modules", api.ModuleViewSet, basename="api-module")
router.register("lessons", api.LessonViewSet, basename="api-lesson")
router.register("sessions", api.SessionViewSet, basename="api-session")
router.register("enrolments", api.EnrolmentViewSet, basename="api-enrolment")
router.register("progress", api.ProgressViewSet, basename="api-progress")
router.register("attendance", api.AttendanceViewSet, basename="api-attendance")

urlpatterns = [
    path("check-in/", api.CheckInView.as_view(), name="api-check-in"),
    *router.urls,
]
