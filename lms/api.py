"""API pieces shared by every app."""

import threading

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from lms import second_factor
from lms.audit_events import audit_token_issued
from lms.authentication import login_locked_error
from lms.errors import NotAllowed, ValidationFailed
from lms.json_input import BoundedJSONParser
from lms.permissions import SIGNED_IN
from lms.predicates import roles_of


class ScopedViewSet(viewsets.GenericViewSet):
    """The base of every API viewset: `scoped_queryset(user)` alone decides which rows a user reaches.

    A subclass must define `scoped_queryset` and may not override `get_queryset`, so list, detail
    and `get_object()` all start from the scoped rows and scoping cannot be forgotten or bypassed.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__ or "queryset" in cls.__dict__:
            raise TypeError(f"{cls.__name__}: define scoped_queryset(user), not get_queryset or queryset")
        if cls.scoped_queryset is ScopedViewSet.scoped_queryset:
            raise TypeError(f"{cls.__name__}: define scoped_queryset(user)")

    def scoped_queryset(self, user):
        raise NotImplementedError

    def get_queryset(self):
        return self.scoped_queryset(self.request.user)


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

    permission_required = SIGNED_IN

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


class AuthTokenView(ObtainAuthToken):
    """Exchange a username (or mobile) and password for an API token; throttled like the login page.

    django-axes counts the failures through the authentication backend; DRF passes its own request
    object there, so the lockout it records is read back here and answered in the API's error shape.
    """

    # ObtainAuthToken names its own parsers, DRF's unbounded JSON parser among them.
    parser_classes = (BoundedJSONParser, FormParser, MultiPartParser)

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        valid = serializer.is_valid()
        if getattr(request, "axes_locked_out", False):
            raise login_locked_error(request)
        if not valid:
            raise serializers.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        if second_factor.required_for(user):
            self._second_factor(request, user)
        token, _created = Token.objects.get_or_create(user=user)
        audit_token_issued(request=request, user=user)
        return Response({"token": token.key})

    @staticmethod
    def _second_factor(request, user):
        """Privileged roles add `code`: the authenticator's current code, or a recovery code."""
        if not second_factor.has_device(user):
            raise NotAllowed(
                _("Your role signs in with a second factor: set it up by signing in on the web first."),
                code="second_factor_not_set_up",
            )
        code = str(request.data.get("code", ""))[:64]
        if not code:
            raise ValidationFailed(
                _("Your role signs in with a second factor: send the current code as `code`."),
                code="second_factor_required",
                fields={"code": [_("This field is required.")]},
            )
        second_factor.second_factor_verify(user=user, code=code, request=request)


class SchemaView(SpectacularAPIView):
    """The schema, generated one request at a time within a process.

    drf-spectacular loads its extensions lazily and not thread-safely: two threads generating the
    schema at once in a fresh process (gunicorn with --threads) made one of them answer 500.
    """

    _generating = threading.Lock()

    def _get_schema_response(self, request):
        with self._generating:
            return super()._get_schema_response(request)
