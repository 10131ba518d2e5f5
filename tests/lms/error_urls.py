"""The app's URLs plus views that fail on purpose, to reach each error handler for real."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from config.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401
from lms.error_pages import too_many_requests


def bad(request):
    raise SuspiciousOperation("tampered")


def forbidden(request):
    raise PermissionDenied


def missing(request):
    raise Http404


def boom(request):
    raise RuntimeError("the server failed")


def removed(request):
    """A write naming a district deleted a moment before, as a lost race does: refused by the database at commit."""
    from django.db import transaction

    from lms.models import Town

    with transaction.atomic():
        Town.objects.create(district_id=2**31 - 1, name="竞态镇")


class RemovedView(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        removed(request)


def limited(request):
    return too_many_requests(request, retry_after_seconds=90)


failing = [
    path("fail/400/", bad),
    path("fail/403/", forbidden),
    path("fail/404/", missing),
    path("fail/429/", limited),
    path("fail/500/", boom),
]
urlpatterns = [
    *failing,
    *(path(f"api/v1/{route.pattern}", route.callback) for route in failing),
    path("fail/removed/", removed),
    path("api/v1/fail/removed/", RemovedView.as_view()),
    *urlpatterns,
]
