"""API of field projects and model cases under /api/v1/: thin views over the same selectors and services."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from courses.models import Cohort
from fieldwork.projects import photos, selectors, services
from fieldwork.projects.models import (
    CASE_SECTIONS,
    COUNT_FIELDS,
    BeforeAfterPair,
    EngagementActivity,
    ModelCase,
    SupportVisit,
)
from lms import tus, uploads
from lms.access import id_or_zero
from lms.api import ScopedViewSet
from lms.api_schema import ObjectListSchema
from lms.errors import NotFound
from lms.models import PreviewState
from lms.permissions import SIGNED_IN
from lms.predicates import cohort_visible_q


class PhotoUploadViewSet(uploads.UploadLimitsMixin):
    upload_max_body = photos.MAX_REQUEST_BYTES
    upload_max_file_size = photos.MAX_PHOTO_BYTES


# --- output


class PartnerOut(serializers.Serializer):
    kind = serializers.CharField()
    name = serializers.CharField()


class ProjectOut(serializers.Serializer):
    id = serializers.IntegerField()
    team = serializers.IntegerField(source="team_id")
    team_name = serializers.CharField(source="team.name")
    cohort = serializers.IntegerField(source="team.cohort_id")
    community = serializers.CharField(source="community.name")
    town = serializers.CharField(source="community.town.name")
    title = serializers.CharField()
    goals = serializers.CharField()
    status = serializers.CharField()


class PhotoOut(serializers.Serializer):
    """A photo; its two derived sizes are made by a worker after the upload, so their URLs are null until then."""

    id = serializers.IntegerField()
    original_name = serializers.CharField()
    preview_state = serializers.ChoiceField(choices=PreviewState.choices)
    thumbnail_url = serializers.SerializerMethodField()
    display_url = serializers.SerializerMethodField()

    def get_thumbnail_url(self, photo) -> str | None:
        return f"/projects/photos/{photo.pk}/thumb/" if photo.preview_state == PreviewState.READY else None

    def get_display_url(self, photo) -> str | None:
        return f"/projects/photos/{photo.pk}/display/" if photo.preview_state == PreviewState.READY else None


class ActivityOut(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    kind = serializers.CharField()
    title = serializers.CharField()
    held_on = serializers.DateField()
    place = serializers.CharField()
    account = serializers.CharField()
    counts = serializers.SerializerMethodField()

    def get_counts(self, activity) -> dict[str, int]:
        return {name: getattr(activity, name) for name in COUNT_FIELDS}


class NextStepOut(serializers.Serializer):
    id = serializers.IntegerField()
    description = serializers.CharField()
    owner = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)
    done = serializers.BooleanField()


class VisitOut(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    instructor = serializers.CharField(source="instructor.full_name")
    visited_on = serializers.DateField()
    attendees = serializers.CharField()
    discussion = serializers.CharField()
    next_steps = NextStepOut(many=True, source="next_steps.all")


class PairOut(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    place = serializers.CharField()
    caption = serializers.CharField()
    before = PhotoOut()
    after = PhotoOut()


class CaseOut(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    title = serializers.CharField()
    theme = serializers.CharField()
    status = serializers.CharField()
    background = serializers.CharField()
    problem = serializers.CharField()
    participants = serializers.CharField()
    process = serializers.CharField()
    lessons = serializers.CharField()
    results = serializers.JSONField()
    review_comments = serializers.CharField()
    town = serializers.CharField(source="project.community.town.name")
    community = serializers.CharField(source="project.community.name")
    year = serializers.IntegerField(source="project.team.cohort.year")
    approved_at = serializers.DateTimeField(allow_null=True)


TotalsOut = type(
    "TotalsOut",
    (serializers.Serializer,),
    {"activities": serializers.IntegerField(), **{name: serializers.IntegerField() for name in COUNT_FIELDS}},
)


class CohortTotalsOut(serializers.Serializer):
    cohort = serializers.IntegerField()
    totals = TotalsOut()
    per_project = serializers.ListField(child=serializers.DictField())
    per_community = serializers.ListField(child=serializers.DictField())


class LibraryOut(serializers.Serializer):
    count = serializers.IntegerField()
    query = serializers.CharField()
    results = CaseOut(many=True)


# --- input


class ProjectIn(serializers.Serializer):
    team = serializers.IntegerField(required=False)
    title = serializers.CharField(max_length=128)
    goals = serializers.CharField(required=False, allow_blank=True, default="")
    status = serializers.CharField(required=False, default="planning")
    partners = PartnerOut(
        many=True,
        required=False,
        help_text="The full new list of partners: an empty list removes them all; leave it out to keep them.",
    )


class ActivityIn(serializers.Serializer):
    project = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField(max_length=128)
    held_on = serializers.DateField()
    place = serializers.CharField(max_length=128)
    account = serializers.CharField(required=False, allow_blank=True, default="")
    # Values are checked by the service, so the API and the pages answer a bad count alike.
    counts = serializers.DictField(required=False, default=dict)
    uploads = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        default=list,
        max_length=photos.MAX_PHOTOS,
        help_text="Finished resumable uploads (/api/v1/uploads/, tus) to attach as photos, besides `photos`.",
    )


class NextStepIn(serializers.Serializer):
    description = serializers.CharField(allow_blank=True)
    owner = serializers.CharField(allow_blank=True)
    due_on = serializers.DateField(required=False, allow_null=True, default=None)


class VisitIn(serializers.Serializer):
    project = serializers.IntegerField()
    visited_on = serializers.DateField()
    attendees = serializers.CharField(required=False, allow_blank=True, default="")
    discussion = serializers.CharField()
    next_steps = NextStepIn(many=True, required=False, default=list)


class PairIn(serializers.Serializer):
    project = serializers.IntegerField()
    place = serializers.CharField(max_length=128)
    caption = serializers.CharField(required=False, allow_blank=True, default="")
    changed_on = serializers.DateField(required=False, allow_null=True, default=None)
    # An empty file passes here so that the photo service answers for it, as for one dropped while streaming.
    before = serializers.FileField(allow_empty_file=True)
    after = serializers.FileField(allow_empty_file=True)


class CaseIn(serializers.Serializer):
    project = serializers.IntegerField(required=False)
    title = serializers.CharField(max_length=128)
    theme = serializers.CharField(required=False, default="other")
    background = serializers.CharField(required=False, allow_blank=True)
    problem = serializers.CharField(required=False, allow_blank=True)
    participants = serializers.CharField(required=False, allow_blank=True)
    process = serializers.CharField(required=False, allow_blank=True)
    lessons = serializers.CharField(required=False, allow_blank=True)


class ReviewIn(serializers.Serializer):
    comments = serializers.CharField(required=False, allow_blank=True, default="")


def _valid(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ProjectViewSet(ScopedViewSet):
    """Field projects the user may see; team members create and edit their own."""

    permission_required = SIGNED_IN
    serializer_class = ProjectOut
    lookup_value_regex = r"\d+"

    def scoped_queryset(self, user):
        return selectors.visible_projects(user=user)

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ProjectOut(page, many=True).data)

    def retrieve(self, request, pk=None):
        project = selectors.access_project(user=request.user, project_id=pk)
        return Response(ProjectOut(project).data)

    @extend_schema(request=ProjectIn, responses=ProjectOut)
    def create(self, request):
        data = _valid(ProjectIn, request)
        team = selectors.access_team(user=request.user, team_id=data.get("team"))
        project = services.project_update(
            team=team,
            actor=request.user,
            title=data["title"],
            goals=data["goals"],
            status=data["status"],
            partners=[(p["kind"], p["name"]) for p in data["partners"]] if "partners" in data else None,
        )
        return Response(ProjectOut(project).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProjectIn, responses=ProjectOut)
    def partial_update(self, request, pk=None):
        project = selectors.access_project(user=request.user, project_id=pk)
        serializer = ProjectIn(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        project = services.project_update(
            team=project.team,
            actor=request.user,
            title=data.get("title", project.title),
            goals=data.get("goals", project.goals),
            status=data.get("status", project.status),
            partners=[(p["kind"], p["name"]) for p in data["partners"]] if "partners" in data else None,
        )
        return Response(ProjectOut(project).data)

    @extend_schema(responses=TotalsOut)
    @action(detail=True, methods=["get"])
    def totals(self, request, pk=None):
        project = selectors.access_project(user=request.user, project_id=pk)
        return Response(selectors.project_totals(project=project))


class ActivityViewSet(PhotoUploadViewSet, ScopedViewSet):
    permission_required = SIGNED_IN
    serializer_class = ActivityOut
    lookup_value_regex = r"\d+"

    def scoped_queryset(self, user):
        rows = selectors.visible_rows(user=user, model=EngagementActivity).order_by("-held_on", "-pk")
        if project := self.request.query_params.get("project"):
            rows = rows.filter(project_id=id_or_zero(project))
        return rows

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ActivityOut(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(ActivityOut(selectors.access_activity(user=request.user, activity_id=pk)).data)

    @extend_schema(request=ActivityIn, responses=ActivityOut)
    def create(self, request):
        data = _valid(ActivityIn, request)
        project = selectors.access_project(user=request.user, project_id=data["project"])
        resumed, upload_rows = tus.finished_files(user=request.user, ids=data["uploads"])
        activity = services.activity_record(
            project=project,
            actor=request.user,
            kind=data["kind"],
            title=data["title"],
            held_on=data["held_on"],
            place=data["place"],
            account=data["account"],
            counts=data["counts"],
            photo_files=[*request.FILES.getlist("photos"), *resumed],
        )
        tus.used(upload_rows)
        return Response(ActivityOut(activity).data, status=status.HTTP_201_CREATED)


class VisitViewSet(PhotoUploadViewSet, ScopedViewSet):
    permission_required = SIGNED_IN
    serializer_class = VisitOut
    lookup_value_regex = r"\d+"

    def scoped_queryset(self, user):
        rows = (
            selectors.visible_rows(user=user, model=SupportVisit)
            .select_related("instructor")
            .prefetch_related("next_steps")
            .order_by("-visited_on", "-pk")
        )
        if project := self.request.query_params.get("project"):
            rows = rows.filter(project_id=id_or_zero(project))
        return rows

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(VisitOut(page, many=True).data)

    @extend_schema(request=VisitIn, responses=VisitOut)
    def create(self, request):
        data = _valid(VisitIn, request)
        project = selectors.access_project(user=request.user, project_id=data["project"])
        visit = services.visit_log(
            project=project,
            actor=request.user,
            visited_on=data["visited_on"],
            attendees=data["attendees"],
            discussion=data["discussion"],
            next_steps=data["next_steps"],
            photo_files=request.FILES.getlist("photos"),
        )
        return Response(VisitOut(visit).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=NextStepOut)
    @action(detail=False, methods=["post"], url_path=r"next-steps/(?P<step_id>\d+)/close")
    def close_step(self, request, step_id=None):
        step = selectors.access_next_step(user=request.user, step_id=step_id)
        return Response(NextStepOut(services.next_step_close(step=step, actor=request.user)).data)


class BeforeAfterViewSet(PhotoUploadViewSet, ScopedViewSet):
    permission_required = SIGNED_IN
    serializer_class = PairOut
    lookup_value_regex = r"\d+"

    def scoped_queryset(self, user):
        return selectors.visible_rows(user=user, model=BeforeAfterPair).select_related("before", "after").order_by("pk")

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PairOut(page, many=True).data)

    @extend_schema(request=PairIn, responses=PairOut)
    def create(self, request):
        data = _valid(PairIn, request)
        project = selectors.access_project(user=request.user, project_id=data["project"])
        pair = services.before_after_add(
            project=project,
            actor=request.user,
            place=data["place"],
            caption=data["caption"],
            changed_on=data["changed_on"],
            before_file=data["before"],
            after_file=data["after"],
        )
        return Response(PairOut(pair).data, status=status.HTTP_201_CREATED)


class CaseViewSet(ScopedViewSet):
    """Model cases of the projects the user may see; submit, return and approve as actions."""

    permission_required = SIGNED_IN
    serializer_class = CaseOut
    lookup_value_regex = r"\d+"

    def scoped_queryset(self, user):
        return (
            selectors.visible_rows(user=user, model=ModelCase)
            .select_related("project__community__town", "project__team__cohort")
            .order_by("pk")
        )

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CaseOut(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(CaseOut(selectors.access_case(user=request.user, case_id=pk)).data)

    def _save(self, request, project):
        data = _valid(CaseIn, request)
        sections = {name: data[name] for name, _label in CASE_SECTIONS if name in data}
        return services.case_save(
            project=project, actor=request.user, title=data["title"], theme=data["theme"], **sections
        )

    @extend_schema(request=CaseIn, responses=CaseOut)
    def create(self, request):
        project_id = _valid(CaseIn, request).get("project") or 0  # an integer, never the raw body's value
        project = selectors.access_project(user=request.user, project_id=project_id)
        return Response(CaseOut(self._save(request, project)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CaseIn, responses=CaseOut)
    def partial_update(self, request, pk=None):
        case = selectors.access_case(user=request.user, case_id=pk)
        return Response(CaseOut(self._save(request, case.project)).data)

    @extend_schema(request=None, responses=CaseOut)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        case = selectors.access_case(user=request.user, case_id=pk)
        return Response(CaseOut(services.case_submit(case=case, actor=request.user)).data)

    @extend_schema(request=ReviewIn, responses=CaseOut)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        case = selectors.access_case(user=request.user, case_id=pk)
        data = _valid(ReviewIn, request)
        return Response(CaseOut(services.case_return(case=case, actor=request.user, comments=data["comments"])).data)

    @extend_schema(request=ReviewIn, responses=CaseOut)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        case = selectors.access_case(user=request.user, case_id=pk)
        data = _valid(ReviewIn, request)
        return Response(CaseOut(services.case_approve(case=case, actor=request.user, comments=data["comments"])).data)


class LibraryViewSet(ScopedViewSet):
    """Search the library of approved model cases (q, town, theme, year)."""

    schema = ObjectListSchema()
    permission_required = SIGNED_IN

    def scoped_queryset(self, user):
        if not user.has_perm("projects.read_library"):
            return ModelCase.objects.none()
        return selectors.library_cases(filters=selectors.LibraryFilters())

    @extend_schema(responses=LibraryOut)
    def list(self, request):
        if not request.user.has_perm("projects.read_library"):
            raise NotFound()
        params = request.query_params
        filters = selectors.clean_library_filters(
            query=params.get("q", ""), town=params.get("town"), theme=params.get("theme", ""), year=params.get("year")
        )
        page = selectors.library_search(filters=filters)
        return Response(
            {"count": page.count, "query": page.filters.query, "results": CaseOut(page.cases, many=True).data}
        )


class CohortTotalsViewSet(ScopedViewSet):
    """Participant totals of a cohort (by cohort id): overall, per project and per community."""

    lookup_value_regex = r"\d+"
    serializer_class = CohortTotalsOut
    permission_required = SIGNED_IN

    def scoped_queryset(self, user):
        return Cohort.objects.filter(cohort_visible_q(user, Cohort))

    @extend_schema(responses=CohortTotalsOut, parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)])
    def retrieve(self, request, pk=None):
        cohort = selectors.access_cohort_for_totals(user=request.user, cohort_id=pk)
        data = selectors.cohort_totals(cohort=cohort)
        return Response(
            {
                "cohort": cohort.pk,
                "totals": data.totals,
                "per_project": data.per_project,
                "per_community": data.per_community,
            }
        )


def register(router) -> None:
    """Add the field-project routes to the API router; more specific prefixes first."""
    router.register("projects/activities", ActivityViewSet, basename="project-activity")
    router.register("projects/visits", VisitViewSet, basename="project-visit")
    router.register("projects/before-after", BeforeAfterViewSet, basename="project-before-after")
    router.register("projects/cases", CaseViewSet, basename="project-case")
    router.register("projects/library", LibraryViewSet, basename="project-library")
    router.register("projects/cohort-totals", CohortTotalsViewSet, basename="project-cohort-totals")
    router.register("projects", ProjectViewSet, basename="project")
