"""Everything under /api/v1/. Each app adds its routes to `router` (or its own paths) here."""

from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from fieldwork import api as fieldwork_api
from fieldwork.projects.api import register as register_project_routes
from lms import tus
from lms.api import AuthTokenView, MeView, SchemaView
from notifications.sign_in_views import SmsCodeView, SmsTokenView

router = DefaultRouter()
# No `<id>.json` twins of every route: the API speaks JSON only, and the suffix routes reached views
# that take no `format` argument (a 500 each, issue 26).
router.include_format_suffixes = False
fieldwork_api.register(router)
register_project_routes(router)

from certificates.api import register as register_certificates  # noqa: E402

register_certificates(router)

urlpatterns = [
    path("auth/token/", AuthTokenView.as_view(), name="api-token"),
    path("auth/sms/code/", SmsCodeView.as_view(), name="api-sms-code"),
    path("auth/sms/token/", SmsTokenView.as_view(), name="api-sms-token"),
    path("me/", MeView.as_view(), name="api-me"),
    path("uploads/", tus.uploads, name="api-uploads"),
    path("uploads/<uuid:upload_id>/", tus.uploads, name="api-upload"),
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    *router.urls,
    path("", include("courses.api_urls")),
]
