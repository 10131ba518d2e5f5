"""API for field assignments under /api/v1/: thin viewsets calling the same selectors and services as the pages."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from courses import selectors as course_selectors
from courses.models import Cohort, Enrolment, Team
from fieldwork import selectors, services
from fieldwork.models import Assignment, Objection, Submission, SubmissionFile
from lms import uploads
from lms.access import id_or_zero, parse_id
from lms.api import ScopedViewSet
from lms.bodies import UPLOAD_CEILING
from lms.downloads import serve_stored
from lms.errors import NotAllowed, NotFound, ValidationFailed
from lms.models import PreviewState
from lms.permissions import SIGNED_IN
from lms.predicates import cohort_visible_q

# --- output serializers


class LevelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    min_points = serializers.DecimalField(max_digits=6, decimal_places=1)
    max_points = serializers.DecimalField(max_digits=6, decimal_places=1)


class RubricCriterionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    levels = LevelSerializer(many=True, source="levels.all")


class AssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    module = serializers.IntegerField(source="module_id")
    title = serializers.CharField()
    instructions = serializers.CharField()
    opens_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField(allow_null=True)
    mode = serializers.CharField()
    allowed_extensions = serializers.ListField(child=serializers.CharField())
    max_file_size = serializers.IntegerField()
    max_total_size = serializers.IntegerField()
    max_files = serializers.IntegerField()
    pass_mark = serializers.DecimalField(max_digits=6, decimal_places=1)
    counts_toward_completion = serializers.BooleanField()
    objection_window_days = serializers.IntegerField()


class AssignmentDetailSerializer(AssignmentSerializer):
    criteria = RubricCriterionSerializer(many=True, source="criteria.all")


class FileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    content_type = serializers.CharField()
    kind = serializers.CharField()
    # Previews are made by a worker after the upload: pending, then ready (or failed); none for documents.
    preview_state = serializers.ChoiceField(choices=PreviewState.choices)
    has_preview = serializers.SerializerMethodField()

    def get_has_preview(self, obj) -> bool:
        return obj.preview_state == PreviewState.READY


class ScoreSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(source="criterion_id")
    level = serializers.IntegerField(source="level_id")
    points = serializers.DecimalField(max_digits=6, decimal_places=1)


class AdjustmentSerializer(serializers.Serializer):
    enrolment = serializers.IntegerField(source="enrolment_id")
    total = serializers.DecimalField(max_digits=7, decimal_places=1)
    reason = serializers.CharField()


class AssessmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField(source="version.number")
    outcome = serializers.CharField()
    total = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True)
    feedback = serializers.CharField()
    grader = serializers.CharField(source="grader.full_name")
    created_at = serializers.DateTimeField()
    scores = ScoreSerializer(many=True, source="scores.all")
    adjustments = AdjustmentSerializer(many=True, source="adjustments.all")
    files = FileSerializer(many=True, source="files.all")


class VersionSerializer(serializers.Serializer):
    number = serializers.IntegerField(source="version.number")
    submitted_at = serializers.DateTimeField(source="version.submitted_at")
    is_late = serializers.BooleanField(source="version.is_late")
    note = serializers.CharField(source="version.note")
    files = FileSerializer(many=True)


class SubmissionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    assignment = serializers.IntegerField(source="assignment_id")
    enrolment = serializers.IntegerField(source="enrolment_id", allow_null=True)
    team = serializers.IntegerField(source="team_id", allow_null=True)
    owner = serializers.CharField(source="owner_name")
    state = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    is_late = serializers.BooleanField()
    score = serializers.SerializerMethodField()
    released_at = serializers.DateTimeField(allow_null=True)

    def get_score(self, obj) -> str | None:
        # The caller passes `scores` from selectors.viewer_scores: a member sees its own adjusted total.
        score = self.context["scores"][obj.pk]
        return None if score is None else str(score)


class SubmissionDetailSerializer(serializers.Serializer):
    submission = SubmissionSerializer()
    draft_files = FileSerializer(many=True)
    versions = VersionSerializer(many=True)
    assessments = serializers.SerializerMethodField()

    def get_assessments(self, obj) -> list:
        items = [a for v in obj.versions for a in v.assessments]
        return AssessmentSerializer(items, many=True).data


class ReleasedSerializer(serializers.Serializer):
    released = serializers.IntegerField()


class ExtensionOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    due_at = serializers.DateTimeField()


class ObjectionOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.CharField()
    outcome = serializers.CharField()


class GradebookCellSerializer(serializers.Serializer):
    state = serializers.CharField(allow_null=True)
    score = serializers.CharField(allow_null=True)
    late = serializers.BooleanField()
    submission = serializers.IntegerField(allow_null=True)


class GradebookRowSerializer(serializers.Serializer):
    enrolment = serializers.IntegerField()
    trainee = serializers.CharField()
    team = serializers.CharField(allow_null=True)
    community = serializers.CharField()
    cells = GradebookCellSerializer(many=True)


class GradebookAssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class GradebookSerializer(serializers.Serializer):
    cohort = serializers.IntegerField()
    assignments = GradebookAssignmentSerializer(many=True)
    rows = GradebookRowSerializer(many=True)


# --- input serializers


class ScoreInputSerializer(serializers.Serializer):
    criterion = serializers.IntegerField()
    level = serializers.IntegerField()
    points = serializers.DecimalField(max_digits=6, decimal_places=1)


class AdjustmentInputSerializer(serializers.Serializer):
    enrolment = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=7, decimal_places=1)
    reason = serializers.CharField(allow_blank=True)


class GradeInputSerializer(serializers.Serializer):
    scores = ScoreInputSerializer(many=True)
    feedback = serializers.CharField(allow_blank=True, required=False, default="")
    reason = serializers.CharField(allow_blank=True, required=False, default="")
    adjustments = AdjustmentInputSerializer(many=True, required=False, default=list)


class FeedbackInputSerializer(serializers.Serializer):
    feedback = serializers.CharField(allow_blank=True)


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class ResolveInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["upheld", "regraded"])
    response = serializers.CharField(allow_blank=True)
    scores = ScoreInputSerializer(many=True, required=False, default=list)
    feedback = serializers.CharField(allow_blank=True, required=False, default="")


class ExtensionInputSerializer(serializers.Serializer):
    enrolment = serializers.IntegerField(required=False)
    team = serializers.IntegerField(required=False)
    due_at = serializers.DateTimeField()
    reason = serializers.CharField(allow_blank=True, required=False, default="")


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _scores(items) -> list[services.ScoreInput]:
    return [services.ScoreInput(i["criterion"], i["level"], i["points"]) for i in items]


def _adjustments(items) -> list[services.AdjustmentInput]:
    return [services.AdjustmentInput(i["enrolment"], i["total"], i["reason"]) for i in items]


def _detail(request, submission) -> Response:
    detail = selectors.submission_detail(submission=submission, user=request.user)
    context = {"request": request, "scores": {submission.pk: detail.score}}
    return Response(SubmissionDetailSerializer(detail, context=context).data)


def _submissions(request, submissions) -> list:
    scores = selectors.viewer_scores(submissions=submissions, user=request.user)
    return SubmissionSerializer(submissions, many=True, context={"request": request, "scores": scores}).data


# --- viewsets


class AssignmentViewSet(ScopedViewSet):
    """Field assignments of the cohorts the user takes part in, with their rubric."""

    lookup_value_regex = r"\d+"  # a non-numeric id is a 404 from the resolver, like projects' routes
    serializer_class = AssignmentSerializer
    permission_required = SIGNED_IN

    def scoped_queryset(self, user):
        return selectors.visible_assignments(user=user).order_by("due_at", "pk")

    def list(self, request):
        queryset = selectors.visible_assignments(user=request.user).order_by("due_at", "pk")
        if module := request.query_params.get("module"):
            queryset = queryset.filter(module_id=id_or_zero(module))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(AssignmentSerializer(page, many=True).data)

    @extend_schema(responses=AssignmentDetailSerializer)
    def retrieve(self, request, pk=None):
        assignment = selectors.access_assignment(user=request.user, assignment_id=pk)
        return Response(AssignmentDetailSerializer(assignment).data)

    @extend_schema(request=None, responses=SubmissionDetailSerializer)
    @action(detail=True, methods=["post"])
    def submission(self, request, pk=None):
        """Start (or fetch) the caller's own submission for this assignment."""
        assignment = selectors.access_assignment(user=request.user, assignment_id=pk)
        enrolment = course_selectors.trainee_enrolment(user=request.user, cohort=assignment.module.cohort)
        if enrolment is None:
            raise NotAllowed(_("Only trainees of this cohort can hand in work."))
        submission = services.submission_start(assignment=assignment, enrolment=enrolment, actor=request.user)
        return _detail(request, selectors.access_submission(user=request.user, submission_id=submission.pk))

    @extend_schema(request=None, responses=ReleasedSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        """Release every graded submission of the assignment."""
        assignment = selectors.access_assignment(user=request.user, assignment_id=pk)
        count = services.assignment_release_grades(assignment=assignment, actor=request.user)
        return Response({"released": count})

    @extend_schema(request=ExtensionInputSerializer, responses={201: ExtensionOutSerializer})
    @action(detail=True, methods=["post"])
    def extensions(self, request, pk=None):
        assignment = selectors.access_assignment(user=request.user, assignment_id=pk)
        data = _valid(ExtensionInputSerializer, request.data)
        cohort_id = assignment.module.cohort_id
        enrolment = Enrolment.objects.filter(cohort_id=cohort_id, pk=data.get("enrolment") or 0).first()
        team = Team.objects.filter(cohort_id=cohort_id, pk=data.get("team") or 0).first()
        if enrolment is None and team is None:
            raise NotFound(_("Choose a trainee or team of this cohort."))
        extension = services.extension_grant(
            assignment=assignment,
            enrolment=enrolment,
            team=team if enrolment is None else None,
            due_at=data["due_at"],
            reason=data["reason"],
            actor=request.user,
        )
        return Response({"id": extension.pk, "due_at": extension.due_at}, status=status.HTTP_201_CREATED)


class SubmissionViewSet(ScopedViewSet):
    """Submissions the user may see; grades appear to trainees only once released."""

    lookup_value_regex = r"\d+"  # a non-numeric id is a 404 from the resolver, like projects' routes
    serializer_class = SubmissionSerializer
    # Read by lms.bodies before any middleware: the assignment's own total is checked in `initial`.
    upload_max_body = UPLOAD_CEILING
    upload_actions = frozenset({"files"})
    permission_required = SIGNED_IN

    def scoped_queryset(self, user):
        return selectors.visible_submissions(user=user).order_by("pk")

    def initial(self, request, *args, **kwargs):
        # Limits must be in place before anything (authentication's CSRF check included) reads the body.
        if getattr(self, "action", None) == "files" and request.method == "POST":
            pk = kwargs.get("pk", "")
            limits = (
                Assignment.objects.filter(submissions__pk=pk).values("max_file_size", "max_total_size").first()
                if parse_id(pk) is not None
                else None
            )
            if limits:
                uploads.guard_content_length(request, max_body=limits["max_total_size"])
                uploads.install_upload_limits(request, max_file_size=limits["max_file_size"])
        super().initial(request, *args, **kwargs)

    def _get(self, request, pk) -> Submission:
        return selectors.access_submission(user=request.user, submission_id=pk)

    def list(self, request):
        queryset = selectors.visible_submissions(user=request.user).order_by("pk")
        if assignment := request.query_params.get("assignment"):
            queryset = queryset.filter(assignment_id=id_or_zero(assignment))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(_submissions(request, page))

    @extend_schema(responses=SubmissionDetailSerializer)
    def retrieve(self, request, pk=None):
        return _detail(request, self._get(request, pk))

    @extend_schema(request={"multipart/form-data": {"type": "object"}}, responses={201: FileSerializer(many=True)})
    @action(detail=True, methods=["post"])
    def files(self, request, pk=None):
        """Upload files (form field `files`, repeatable) into the draft."""
        submission = self._get(request, pk)
        created = services.submission_file_add(
            submission=submission, uploads_=request.FILES.getlist("files"), actor=request.user
        )
        return Response(FileSerializer(created, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReasonInputSerializer, responses=SubmissionDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        submission = self._get(request, pk)
        if "note" in request.data:
            services.submission_save_draft(submission=submission, note=request.data["note"], actor=request.user)
        services.submission_submit(submission=submission, actor=request.user)
        return _detail(request, self._get(request, pk))

    @extend_schema(request=FeedbackInputSerializer, responses=SubmissionDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_for_revision(self, request, pk=None):
        submission = self._get(request, pk)  # first: a foreign or malformed id answers 404 whatever the body
        data = _valid(FeedbackInputSerializer, request.data)
        services.submission_return(submission=submission, feedback=data["feedback"], actor=request.user)
        return _detail(request, self._get(request, pk))

    @extend_schema(request=GradeInputSerializer, responses=AssessmentSerializer)
    @action(detail=True, methods=["post"])
    def grade(self, request, pk=None):
        submission = self._get(request, pk)
        data = _valid(GradeInputSerializer, request.data)
        assessment = services.submission_grade(
            submission=submission,
            scores=_scores(data["scores"]),
            feedback=data["feedback"],
            adjustments=_adjustments(data["adjustments"]),
            reason=data["reason"],
            actor=request.user,
        )
        return Response(AssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=AssessmentSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def assessments(self, request, pk=None):
        detail = selectors.submission_detail(submission=self._get(request, pk), user=request.user)
        return Response(AssessmentSerializer([a for v in detail.versions for a in v.assessments], many=True).data)

    @extend_schema(request=None, responses=SubmissionSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        submission = services.grade_release(submission=self._get(request, pk), actor=request.user)
        return Response(_submissions(request, [submission])[0])

    @extend_schema(request=ReasonInputSerializer, responses={201: ObjectionOutSerializer})
    @action(detail=True, methods=["post"])
    def objection(self, request, pk=None):
        submission = self._get(request, pk)
        data = _valid(ReasonInputSerializer, request.data)
        objection = services.objection_raise(submission=submission, reason=data["reason"], actor=request.user)
        return Response(ObjectionOutSerializer(objection).data, status=status.HTTP_201_CREATED)


class ObjectionViewSet(ScopedViewSet):
    lookup_value_regex = r"\d+"  # a non-numeric id is a 404 from the resolver, like projects' routes
    permission_required = SIGNED_IN

    def scoped_queryset(self, user):
        return Objection.objects.filter(submission__in=selectors.visible_submissions(user=user))

    serializer_class = ResolveInputSerializer

    @extend_schema(request=ResolveInputSerializer, responses=ObjectionOutSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        objection = selectors.access_objection(user=request.user, objection_id=pk)
        data = _valid(ResolveInputSerializer, request.data)
        objection = services.objection_resolve(
            objection=objection,
            outcome=data["outcome"],
            response=data["response"],
            scores=_scores(data["scores"]),
            feedback=data["feedback"],
            actor=request.user,
        )
        return Response(ObjectionOutSerializer(objection).data)


class FileViewSet(ScopedViewSet):
    lookup_value_regex = r"\d+"  # a non-numeric id is a 404 from the resolver, like projects' routes
    permission_required = SIGNED_IN

    def scoped_queryset(self, user):
        return SubmissionFile.objects.filter(submission__in=selectors.visible_submissions(user=user))

    serializer_class = FileSerializer

    def destroy(self, request, pk=None):
        file = selectors.access_submission_file(user=request.user, file_id=pk)
        services.submission_file_remove(file=file, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={(200, "*/*"): OpenApiResponse(bytes, description="The file, in its own type.")})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        file = selectors.access_submission_file(user=request.user, file_id=pk)
        return serve_stored(file, variant="inline" if request.query_params.get("inline") else "", audit_request=request)


class GradingQueueViewSet(ScopedViewSet):
    permission_required = SIGNED_IN

    def scoped_queryset(self, user):
        return selectors.visible_submissions(user=user).filter(state__in=selectors.WAITING_STATES)

    serializer_class = SubmissionSerializer
    pagination_class = None  # the whole queue, oldest first: an instructor works through all of it

    def list(self, request):
        queue = selectors.grading_queue(user=request.user)
        return Response(_submissions(request, queue))


class GradebookViewSet(ScopedViewSet):
    """A cohort's gradebook (by cohort id): trainees × assignments, filterable by team and community."""

    lookup_value_regex = r"\d+"  # a non-numeric id is a 404 from the resolver, like projects' routes
    permission_required = SIGNED_IN

    def scoped_queryset(self, user):
        return Cohort.objects.filter(cohort_visible_q(user, Cohort))

    @extend_schema(responses=GradebookSerializer)
    def retrieve(self, request, pk=None):
        cohort = course_selectors.access_cohort(user=request.user, cohort_id=pk)
        if not request.user.has_perm("fieldwork.view_gradebook", cohort):
            raise NotFound(_("This page does not exist, or you do not have access to it."))
        team, community = request.query_params.get("team", ""), request.query_params.get("community", "")
        team_id, community_id = parse_id(team), parse_id(community)
        if (team and team_id is None) or (community and community_id is None):
            raise ValidationFailed(_("Filter by a team or community id."))
        book = selectors.gradebook(cohort=cohort, team_id=team_id, community_id=community_id)
        return Response(
            {
                "cohort": cohort.pk,
                "assignments": [{"id": a.pk, "title": a.title} for a in book.assignments],
                "rows": [
                    {
                        "enrolment": row.enrolment.pk,
                        "trainee": row.enrolment.trainee.full_name,
                        "team": row.enrolment.team.name if row.enrolment.team else None,
                        "community": row.enrolment.community.name,
                        "cells": [
                            {
                                "state": c.state,
                                "score": None if c.score is None else str(c.score),
                                "late": c.is_late,
                                "submission": c.submission_id,
                            }
                            for c in row.cells
                        ],
                    }
                    for row in book.rows
                ],
            }
        )


def register(router) -> None:
    router.register("assignments", AssignmentViewSet, basename="assignment")
    router.register("submissions", SubmissionViewSet, basename="submission")
    router.register("submission-files", FileViewSet, basename="submission-file")
    router.register("objections", ObjectionViewSet, basename="objection")
    router.register("grading-queue", GradingQueueViewSet, basename="grading-queue")
    router.register("gradebooks", GradebookViewSet, basename="gradebook")
