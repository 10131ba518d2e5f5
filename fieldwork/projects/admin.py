"""Admin: district staff read their district's field records; changes go through the pages and API."""

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
from lms.admin import DistrictScopedAdmin


class PartnerInline(admin.TabularInline):
    model = Partner
    extra = 0


@admin.register(FieldProject)
class FieldProjectAdmin(DistrictScopedAdmin):
    list_display = ["title", "team", "community", "status"]
    list_filter = ["status", "team__cohort"]
    search_fields = ["title", "team__name", "community__name"]
    list_select_related = ["team", "community__town"]
    inlines = [PartnerInline]


@admin.register(EngagementActivity)
class EngagementActivityAdmin(DistrictScopedAdmin):
    list_display = ["title", "project", "kind", "held_on", "residents", "parent_child_pairs", "party_branches"]
    list_filter = ["kind", "project__team__cohort"]
    search_fields = ["title", "place", "project__title"]
    list_select_related = ["project"]
    date_hierarchy = "held_on"


class NextStepInline(admin.TabularInline):
    model = NextStep
    extra = 0


@admin.register(SupportVisit)
class SupportVisitAdmin(DistrictScopedAdmin):
    list_display = ["project", "instructor", "visited_on"]
    list_filter = ["project__team__cohort"]
    list_select_related = ["project", "instructor"]
    inlines = [NextStepInline]


@admin.register(BeforeAfterPair)
class BeforeAfterPairAdmin(DistrictScopedAdmin):
    list_display = ["place", "project", "created_at"]
    list_select_related = ["project"]


@admin.register(ModelCase)
class ModelCaseAdmin(DistrictScopedAdmin):
    list_display = ["title", "project", "theme", "status", "approved_by", "approved_at"]
    list_filter = ["status", "theme", "project__team__cohort"]
    search_fields = ["title", "background", "process"]
    list_select_related = ["project", "approved_by"]
    readonly_fields = ["results", "approved_by", "approved_at", "submitted_at"]
