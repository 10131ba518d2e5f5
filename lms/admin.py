from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from lms.models import AuditEntry, Community, District, DistrictStaff, Town, User
from lms.predicates import district_scope_q, governed_users_q


class DistrictScopedAdmin(admin.ModelAdmin):
    """Admin whose rows, choices and permissions are limited to the districts the user staffs.

    Permissions come from the rules registered in each app's rules.py, so the admin asks the
    same predicates as pages and API. Foreign-key choices are scoped too, so a staff member
    cannot attach a row to another district's cohort.

    `fixed_on_change` names the fields that tie a row to its cohort or district: they are chosen
    when the row is added and shown read-only afterwards, since changing one would carry the row
    (and everything hanging off it: submissions, files, attendance) into another cohort.
    """

    fixed_on_change: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += [name for name in self.fixed_on_change if name not in fields]
        return fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(district_scope_q(request.user, self.model))

    def get_list_filter(self, request):
        # A plain related filter lists every row of the related table, other districts' included.
        return [
            (entry, admin.RelatedOnlyFieldListFilter)
            if isinstance(entry, str) and get_fields_from_path(self.model, entry)[-1].is_relation
            else entry
            for entry in super().get_list_filter(request)
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if getattr(related, "district_lookup", None):
            kwargs["queryset"] = related._default_manager.filter(district_scope_q(request.user, related))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        related = db_field.related_model
        if getattr(related, "district_lookup", None):
            kwargs["queryset"] = related._default_manager.filter(district_scope_q(request.user, related))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _perm(self, request, action, obj=None):
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}", obj)

    def has_view_permission(self, request, obj=None):
        return self._perm(request, "view", obj) or self._perm(request, "change", obj)

    def has_add_permission(self, request):
        return self._perm(request, "add")

    def has_change_permission(self, request, obj=None):
        return self._perm(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._perm(request, "delete", obj)

    def has_module_permission(self, request):
        return self.has_view_permission(request)


class ReadOnlyScopedAdmin(DistrictScopedAdmin):
    """Rows that change only through their services (which record who and why): the admin shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(District)
class DistrictAdmin(DistrictScopedAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Town)
class TownAdmin(DistrictScopedAdmin):
    fixed_on_change = ("district",)
    readonly_fields = ["retired_at"]  # retiring is audited: staff do it at /places/
    list_display = ["name", "district", "retired_at"]
    list_filter = ["district"]
    search_fields = ["name"]


@admin.register(Community)
class CommunityAdmin(DistrictScopedAdmin):
    fixed_on_change = ("town",)
    readonly_fields = ["retired_at"]  # retiring is audited: staff do it at /places/
    list_display = ["name", "town", "retired_at"]
    list_filter = ["town__district", "town"]
    search_fields = ["name", "town__name"]
    list_select_related = ["town"]


@admin.register(DistrictStaff)
class DistrictStaffAdmin(DistrictScopedAdmin):
    list_display = ["user", "district", "created_at"]
    list_select_related = ["user", "district"]
    autocomplete_fields = ["user"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "mobile", "email", "is_active"]
    search_fields = ["username", "full_name", "mobile", "email"]
    ordering = ["full_name"]
    list_filter = ["is_active", "is_staff"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Personal information"), {"fields": ["full_name", "mobile", "email"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "full_name", "mobile", "password1", "password2"]})
    ]

    def get_queryset(self, request):
        # Staff see only the accounts they govern, so the password form is out of reach for the rest.
        return super().get_queryset(request).filter(governed_users_q(request.user))

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return ["last_login", "date_joined"]
        return ["is_staff", "is_superuser", "groups", "user_permissions", "last_login", "date_joined"]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("lms.view_user")

    def has_add_permission(self, request):
        return request.user.has_perm("lms.add_user")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("lms.change_user", obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_module_permission(self, request):
        return self.has_view_permission(request)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "verb", "target_type", "target_id"]
    list_filter = ["verb"]
    list_select_related = ["actor", "target_type"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
