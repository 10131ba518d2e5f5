from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Courses")

    def ready(self):
        from courses.models import (
            Attendance,
            AttendanceStatus,
            Cohort,
            Enrolment,
            EnrolmentChange,
            EnrolmentStatus,
            Session,
            Teaching,
            Team,
        )
        from courses.services import enrolment_create
        from courses.services.teaching import teaching_add
        from lms import registry

        # The rows that make roles and what the floor's rules and people pages read of them (lms/registry.py).
        registry.provide(
            Attendance=Attendance,
            AttendanceStatus=AttendanceStatus,
            Cohort=Cohort,
            Enrolment=Enrolment,
            EnrolmentChange=EnrolmentChange,
            EnrolmentStatus=EnrolmentStatus,
            Session=Session,
            Team=Team,
            Teaching=Teaching,
            enrolment_create=enrolment_create,
            teaching_add=teaching_add,
        )
