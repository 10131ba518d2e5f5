"""Fail closed: a view that names no permission is refused; every API viewset's rows come from its scoping."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from lms.api import ScopedViewSet
from lms.permissions import PUBLIC, SIGNED_IN, HasRulePermission
from tests.lms.factories import UserFactory


def _api_views():
    """(route, view class, actions) of every view under /api/v1/."""

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                cls = getattr(pattern.callback, "cls", None)
                if cls is not None:
                    yield prefix + str(pattern.pattern), cls, getattr(pattern.callback, "actions", None)

    return [view for view in walk(get_resolver().url_patterns, "") if view[0].startswith("api/v1/")]


API_VIEWS = _api_views()
ROUTED = sorted(
    {cls: route for route, cls, actions in API_VIEWS if actions is not None}.items(), key=lambda item: item[1]
)
ROUTED = [(route, cls) for cls, route in ROUTED]
# Views of libraries with their own permission classes: the token login and the schema pages.
LIBRARY_VIEWS = {"ObtainAuthToken", "SpectacularAPIView", "SpectacularSwaggerView", "APIRootView"}


def test_the_api_has_routed_viewsets_to_check():
    assert len({cls for _route, cls in ROUTED}) >= 20


@pytest.mark.parametrize(("route", "cls"), ROUTED, ids=[route for route, _cls in ROUTED])
def test_every_routed_viewset_is_scoped_and_names_its_permission(route, cls):
    assert issubclass(cls, ScopedViewSet), f"{route}: {cls.__name__} must derive from lms.api.ScopedViewSet"
    assert cls.scoped_queryset is not ScopedViewSet.scoped_queryset
    assert cls.get_queryset is ScopedViewSet.get_queryset
    assert getattr(cls, "permission_required", None), f"{cls.__name__} names no permission_required"


def test_every_other_api_view_names_its_permission():
    for route, cls, _actions in API_VIEWS:
        if cls.__name__ in LIBRARY_VIEWS:
            continue
        if HasRulePermission in [p for p in cls.permission_classes]:
            assert getattr(cls, "permission_required", None), f"{route}: {cls.__name__} names no permission"


def test_a_scoped_viewset_without_scoping_cannot_be_declared():
    with pytest.raises(TypeError, match="scoped_queryset"):

        class Forgetful(ScopedViewSet):
            permission_required = SIGNED_IN

    with pytest.raises(TypeError, match="not get_queryset"):

        class Bypassing(ScopedViewSet):
            permission_required = SIGNED_IN

            def scoped_queryset(self, user):
                return []

            def get_queryset(self):
                return []


class Unnamed(APIView):
    def get(self, request):
        return Response({"secret": 1})


class SignedIn(Unnamed):
    permission_required = SIGNED_IN


class Public(Unnamed):
    permission_required = PUBLIC
    authentication_classes = []


@pytest.mark.django_db
def test_a_view_naming_no_permission_is_refused_even_to_a_superuser():
    request = APIRequestFactory().get("/api/v1/anything/")
    force_authenticate(request, user=UserFactory(is_superuser=True))
    response = Unnamed.as_view()(request)
    assert response.status_code == 403 and "secret" not in response.data


@pytest.mark.django_db
def test_signed_in_and_public_views_answer_as_declared():
    factory = APIRequestFactory()
    assert SignedIn.as_view()(factory.get("/x/")).status_code in (401, 403)
    request = factory.get("/x/")
    force_authenticate(request, user=UserFactory())
    assert SignedIn.as_view()(request).status_code == 200
    assert Public.as_view()(factory.get("/x/")).status_code == 200
