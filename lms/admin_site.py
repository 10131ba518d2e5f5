"""The Django admin belongs to operators: it answers superusers only (see DESIGN.md)."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# Hidden column headers of Django's admin sidebar that its Chinese catalogue lacks: ours supplies them.
SIDEBAR_HEADERS = (gettext_noop("Model name"), gettext_noop("Add link"), gettext_noop("Change or view list link"))


class OperatorAdminSite(admin.AdminSite):
    site_header = _("Community planner training · administration")
    site_title = _("Community planner training")
    index_title = _("Administration")

    def has_permission(self, request):
        # District staff and instructors have pages of their own built on the services; the admin
        # edits rows below those services, so only an operator may open it.
        return request.user.is_active and request.user.is_superuser


class OperatorAdminConfig(AdminConfig):
    default_site = "lms.admin_site.OperatorAdminSite"
