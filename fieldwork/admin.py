from django.contrib import admin

from fieldwork.models import (
    Assessment,
    Assignment,
    Extension,
    GradeChange,
    Objection,
    RubricCriterion,
    RubricLevel,
    Submission,
    SubmissionVersion,
)
from lms.admin import DistrictScopedAdmin, ReadOnlyScopedAdmin


class RubricCriterionInline(admin.TabularInline):
    model = RubricCriterion
    extra = 0
    show_change_link = True
    fields = ["position", "title", "description"]


class RubricLevelInline(admin.TabularInline):
    model = RubricLevel
    extra = 0
    fields = ["position", "title", "min_points", "max_points", "description"]


@admin.register(Assignment)
class AssignmentAdmin(DistrictScopedAdmin):
    fixed_on_change = ("module",)
    list_display = ["title", "module", "mode", "opens_at", "due_at", "closes_at", "counts_toward_completion"]
    list_filter = ["mode", "module__cohort"]
    search_fields = ["title"]
    list_select_related = ["module"]
    inlines = [RubricCriterionInline]


@admin.register(RubricCriterion)
class RubricCriterionAdmin(DistrictScopedAdmin):
    fixed_on_change = ("assignment",)
    list_display = ["title", "assignment", "position"]
    list_select_related = ["assignment"]
    inlines = [RubricLevelInline]

    def has_module_permission(self, request):
        return False  # reached from its assignment


@admin.register(Extension)
class ExtensionAdmin(DistrictScopedAdmin):
    list_display = ["assignment", "enrolment", "team", "due_at", "granted_by"]
    list_select_related = ["assignment", "enrolment__trainee", "team", "granted_by"]
    readonly_fields = ["granted_by"]

    def has_add_permission(self, request):
        return False  # granted through the service (pages or API), which records who and why

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyHistoryAdmin(ReadOnlyScopedAdmin):
    """Submissions and grades change only through services, and their history is never deleted."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyHistoryAdmin):
    list_display = ["assignment", "enrolment", "team", "state", "is_late", "score", "submitted_at", "released_at"]
    list_filter = ["state", "is_late", "assignment__module__cohort"]
    list_select_related = ["assignment", "enrolment__trainee", "team"]


@admin.register(SubmissionVersion)
class SubmissionVersionAdmin(ReadOnlyHistoryAdmin):
    list_display = ["submission", "number", "submitted_at", "is_late"]
    list_select_related = ["submission__assignment", "submission__enrolment__trainee", "submission__team"]

    def has_module_permission(self, request):
        return False


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyHistoryAdmin):
    list_display = ["version", "outcome", "total", "grader", "created_at"]
    list_select_related = ["version__submission__assignment", "grader"]


@admin.register(GradeChange)
class GradeChangeAdmin(ReadOnlyHistoryAdmin):
    list_display = ["submission", "old_score", "new_score", "old_state", "new_state", "changed_by", "changed_at"]
    list_select_related = ["submission__assignment", "submission__enrolment__trainee", "submission__team", "changed_by"]


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyHistoryAdmin):
    list_display = ["submission", "outcome", "raised_by", "created_at", "resolved_at"]
    list_select_related = ["submission__assignment", "submission__enrolment__trainee", "submission__team", "raised_by"]
