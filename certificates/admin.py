from django.contrib import admin

from certificates.models import Certificate, CompletionRule, IssuanceBatch
from lms.admin import ReadOnlyScopedAdmin


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyScopedAdmin):
    list_display = ["serial", "trainee_name", "cohort", "status", "issued_on", "revoked_at"]
    list_filter = ["status", "cohort"]
    search_fields = ["serial", "trainee_name", "code"]


@admin.register(IssuanceBatch)
class IssuanceBatchAdmin(ReadOnlyScopedAdmin):
    list_display = ["cohort", "created_by", "created_at"]


@admin.register(CompletionRule)
class CompletionRuleAdmin(ReadOnlyScopedAdmin):
    list_display = ["cohort", "min_lesson_percent", "min_attendance_percent"]
