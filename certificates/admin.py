from django.contrib import admin

from certificates.models import Certificate, CompletionRule, IssuanceBatch
from lms.admin import DistrictScopedAdmin


class ReadOnlyAdmin(DistrictScopedAdmin):
    """Certificates change only through their services (pages, API, command); the admin shows them."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ["serial", "trainee_name", "cohort", "status", "issued_on", "revoked_at"]
    list_filter = ["status", "cohort"]
    search_fields = ["serial", "trainee_name", "code"]


@admin.register(IssuanceBatch)
class IssuanceBatchAdmin(ReadOnlyAdmin):
    list_display = ["cohort", "created_by", "created_at"]


@admin.register(CompletionRule)
class CompletionRuleAdmin(ReadOnlyAdmin):
    list_display = ["cohort", "min_lesson_percent", "min_attendance_percent"]
