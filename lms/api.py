"""API pieces shared by every app."""

import threading

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.predicates import roles_of


def get_visible_or_404(queryset, **lookup):
    """Fetch from an already-scoped queryset: missing and forbidden rows both answer 404."""
    return get_object_or_404(queryset, **lookup)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    staff_district_ids = serializers.ListField(child=serializers.IntegerField())
    instructor_cohort_ids = serializers.ListField(child=serializers.IntegerField())
    trainee_cohort_ids = serializers.ListField(child=serializers.IntegerField())


class MeView(APIView):
    """The signed-in user and the roles it holds."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        roles = roles_of(request.user)
        data = {
            "id": request.user.pk,
            "username": request.user.username,
            "full_name": request.user.full_name,
            "staff_district_ids": sorted(roles.staff_district_ids),
            "instructor_cohort_ids": sorted(roles.instructor_cohort_ids),
            "trainee_cohort_ids": sorted(roles.trainee_cohort_ids),
        }
        return Response(MeSerializer(data).data)


class SchemaView(SpectacularAPIView):
    """The schema, generated one request at a time within a process.

    drf-spectacular loads its extensions lazily and not thread-safely: two threads generating the
    schema at once in a fresh process (gunicorn with --threads) made one of them answer 500.
    """

    _generating = threading.Lock()

    def _get_schema_response(self, request):
        with self._generating:
            return super()._get_schema_response(request)
