"""Admin for operators: field records are written by the services behind the pages and API.

A project is set up here (its team and community chosen once); the records that hang off it
(activities, visits, photos, the model case) are shown read-only, because the services that
write them check the cohort's run, the instructor's teaching and the photo pipeline.
"""

from django.contrib import admin

from fieldwork.projects.models import (
    BeforeAfterPair,
    EngagementActivity,
    FieldProject,
    ModelCase,
    NextStep,
    Partner,
    SupportVisit,
)
from lms.admin import DistrictScopedAdmin, ReadOnlyScopedAdmin


class PartnerInline(admin.TabularInline):
    model = Partner
    extra = 0


@admin.register(FieldProject)
class FieldProjectAdmin(DistrictScopedAdmin):
    fixed_on_change = ("team", "community")
    list_display = ["title", "team", "community", "status"]
    list_filter = ["status", "team__cohort"]
    search_fields = ["title", "team__name", "community__name"]
    list_select_related = ["team", "community__town"]
    inlines = [PartnerInline]


@admin.register(EngagementActivity)
class EngagementActivityAdmin(ReadOnlyScopedAdmin):
    list_display = ["title", "project", "kind", "held_on", "residents", "parent_child_pairs", "party_branches"]
    list_filter = ["kind", "project__team__cohort"]
    search_fields = ["title", "place", "project__title"]
    list_select_related = ["project"]
    date_hierarchy = "held_on"


class NextStepInline(admin.TabularInline):
    model = NextStep
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SupportVisit)
class SupportVisitAdmin(ReadOnlyScopedAdmin):
    list_display = ["project", "instructor", "visited_on"]
    list_filter = ["project__team__cohort"]
    list_select_related = ["project", "instructor"]
    inlines = [NextStepInline]


@admin.register(BeforeAfterPair)
class BeforeAfterPairAdmin(ReadOnlyScopedAdmin):
    list_display = ["place", "project", "created_at"]
    list_select_related = ["project"]


@admin.register(ModelCase)
class ModelCaseAdmin(ReadOnlyScopedAdmin):
    list_display = ["title", "project", "theme", "status", "approved_by", "approved_at"]
    list_filter = ["status", "theme", "project__team__cohort"]
    search_fields = ["title", "background", "process"]
    list_select_related = ["project", "approved_by"]
    readonly_fields = ["results", "approved_by", "approved_at", "submitted_at"]
