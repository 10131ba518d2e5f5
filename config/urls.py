from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from homes import dashboard_views
from homes import views as homes_views
from lms import health
from lms.views import audit as audit_views

admin.site.site_header = _("Community planner training · administration")
admin.site.site_title = _("Community planner training")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("", homes_views.landing, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("operations/status/", health.status, name="operations-status"),
    path("operations/", health.operations, name="operations"),
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("notifications.sign_in_urls")),
    path("", include("lms.page_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("config.api_urls")),
    path("projects/", include("fieldwork.projects.urls")),
    path("setup/", include("courses.setup_urls")),
    path("setup/", include("fieldwork.setup_urls")),
    path("audit/", audit_views.audit_list, name="audit"),
    path("audit/export.csv", audit_views.audit_export, {"fmt": "csv"}, name="audit-export-csv"),
    path("audit/export.xlsx", audit_views.audit_export, {"fmt": "xlsx"}, name="audit-export-xlsx"),
    path("notifications/", include("notifications.urls")),
    path("todo/", include("homes.urls")),
    path("cohorts/<int:cohort_id>/dashboard/", dashboard_views.cohort_dashboard, name="cohort-dashboard"),
    path("", include("fieldwork.urls")),
    path("", include("courses.urls")),
    path("", include("certificates.urls")),
]

handler400 = "lms.error_pages.bad_request"
handler403 = "lms.error_pages.permission_denied"
handler404 = "lms.error_pages.page_not_found"
handler500 = "lms.error_pages.server_error"
