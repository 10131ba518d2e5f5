"""The course-delivery API under /api/v1/: thin viewsets over the same selectors, services and rules as the pages.

Every queryset is filtered by the `*_q` twin of the rule that guards its objects, so a row the user may not see
answers 404 like a row that does not exist; actions on an object ask `has_perm` through HasRulePermission.
"""

import django_filters
from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors, services
from courses.models import (
    Attendance,
    AttendanceStatus,
    Cohort,
    Course,
    Enrolment,
    Lesson,
    LessonKind,
    Module,
    Phase,
    Session,
    Team,
)
from lms.api import ScopedViewSet
from lms.errors import NotFound, ValidationFailed
from lms.models import Community, User
from lms.permissions import SIGNED_IN
from lms.predicates import (
    attendance_visible_q,
    cohort_visible_q,
    enrollable_trainees_q,
    enrolment_progress_visible_q,
)

# --- serializers (output)


class CourseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Course
        fields = ["id", "code", "title", "description", "issuing_body"]


class CohortSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cohort
        fields = ["id", "course", "district", "name", "year", "starts_on", "ends_on"]


class ModuleSerializer(serializers.ModelSerializer):
    requires = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Module
        fields = ["id", "cohort", "phase", "position", "title", "summary", "requires"]


class LessonSerializer(serializers.ModelSerializer):
    cohort = serializers.IntegerField(source="module.cohort_id", read_only=True)

    class Meta:
        model = Lesson
        fields = ["id", "module", "cohort", "position", "kind", "title", "body", "duration_minutes"]


class SessionSerializer(serializers.ModelSerializer):
    lesson_title = serializers.CharField(source="lesson.title", read_only=True)
    instructors = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Session
        fields = [
            "id",
            "cohort",
            "lesson",
            "lesson_title",
            "starts_at",
            "ends_at",
            "place",
            "address",
            "instructors",
            "check_in_opens_at",
            "check_in_closes_at",
        ]


class EnrolmentSerializer(serializers.ModelSerializer):
    trainee_name = serializers.CharField(source="trainee.full_name", read_only=True)

    class Meta:
        model = Enrolment
        fields = ["id", "cohort", "trainee", "trainee_name", "community", "team", "status", "withdrawn_reason"]


class AttendanceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attendance
        fields = ["id", "session", "enrolment", "status", "source", "recorded_by", "checked_in_at", "updated_at"]


class SheetRowSerializer(serializers.Serializer):
    enrolment = serializers.IntegerField(source="enrolment.pk")
    trainee = serializers.IntegerField(source="enrolment.trainee_id")
    trainee_name = serializers.CharField(source="enrolment.trainee.full_name")
    team = serializers.CharField(source="enrolment.team.name", default="")
    attendance = serializers.IntegerField(source="attendance.pk", default=None, allow_null=True)
    status = serializers.CharField(allow_null=True)


class PhaseDoneSerializer(serializers.Serializer):
    phase = serializers.CharField()
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()


class ProgressSerializer(serializers.Serializer):
    enrolment = serializers.IntegerField(source="enrolment.pk")
    cohort = serializers.IntegerField(source="enrolment.cohort_id")
    trainee = serializers.IntegerField(source="enrolment.trainee_id")
    trainee_name = serializers.CharField(source="enrolment.trainee.full_name")
    phases = PhaseDoneSerializer(many=True)
    attended = serializers.IntegerField(source="attendance.attended", help_text="Sessions held so far attended.")
    attendance_percent = serializers.IntegerField(
        source="attendance.percent", allow_null=True, help_text="Attended share; excused sessions left out."
    )


# --- serializers (input)


class SessionCreateSerializer(serializers.Serializer):
    lesson = serializers.IntegerField(min_value=1)
    date = serializers.DateField()
    start_time = serializers.TimeField()
    end_time = serializers.TimeField()
    place = serializers.CharField(max_length=128)
    address = serializers.CharField(max_length=256, required=False, allow_blank=True, default="")
    instructors = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, default=list)
    check_in_minutes_before = serializers.IntegerField(min_value=0, max_value=720, required=False, default=30)
    check_in_minutes_after = serializers.IntegerField(min_value=0, max_value=720, required=False, default=30)


class EnrolmentCreateSerializer(serializers.Serializer):
    cohort = serializers.IntegerField(min_value=1)
    trainee = serializers.IntegerField(min_value=1)
    community = serializers.IntegerField(min_value=1)
    team = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    confirm = serializers.BooleanField(
        required=False, default=False, help_text="Enrol even if the trainee is in another cohort of this course."
    )


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class MoveSerializer(serializers.Serializer):
    community = serializers.IntegerField(min_value=1)
    team = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    effective_on = serializers.DateField(required=False)
    reason = serializers.CharField(max_length=500)


class AttendanceRecordSerializer(serializers.Serializer):
    session = serializers.IntegerField(min_value=1)
    enrolment = serializers.IntegerField(min_value=1)
    status = serializers.ChoiceField(choices=AttendanceStatus.choices)


class AttendanceCorrectSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=AttendanceStatus.choices)
    reason = serializers.CharField(max_length=500)


class CheckInSerializer(serializers.Serializer):
    session = serializers.IntegerField(min_value=1)
    code = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    token = serializers.CharField(max_length=256, required=False, allow_blank=True, default="")
    scanned_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When the phone scanned the QR code without a network; an older token of this session then "
        "counts at its own signed moment if that lay in the check-in window and it arrives within 2 hours.",
    )

    def validate(self, data):
        if not data["code"] and not data["token"]:
            raise serializers.ValidationError({"code": [_("Type the code or scan the QR code.")]})
        return data


class CheckInResultSerializer(serializers.Serializer):
    created = serializers.BooleanField()
    message = serializers.CharField()
    attendance = AttendanceSerializer()


def _valid(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _get_or_invalid(queryset, pk, field: str):
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise ValidationFailed(
            _("Unknown %(field)s.") % {"field": field}, code="unknown_id", fields={field: [_("Unknown ID.")]}
        )
    return obj


# --- filters


class CohortFilter(django_filters.FilterSet):
    class Meta:
        model = Cohort
        fields = ["course", "district", "year"]


class ModuleFilter(django_filters.FilterSet):
    phase = django_filters.ChoiceFilter(choices=Phase.choices)

    class Meta:
        model = Module
        fields = ["cohort", "phase"]


class LessonFilter(django_filters.FilterSet):
    cohort = django_filters.NumberFilter(field_name="module__cohort")
    kind = django_filters.ChoiceFilter(choices=LessonKind.choices)

    class Meta:
        model = Lesson
        fields = ["module", "cohort", "kind"]


class SessionFilter(django_filters.FilterSet):
    starts_after = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lte")

    class Meta:
        model = Session
        fields = ["cohort", "lesson", "starts_after", "starts_before"]


class EnrolmentFilter(django_filters.FilterSet):
    class Meta:
        model = Enrolment
        fields = ["cohort", "status", "team", "trainee"]


class AttendanceFilter(django_filters.FilterSet):
    cohort = django_filters.NumberFilter(field_name="session__cohort")
    status = django_filters.ChoiceFilter(choices=AttendanceStatus.choices)

    class Meta:
        model = Attendance
        fields = ["session", "enrolment", "status", "cohort"]


# --- viewsets


class CourseViewSet(mixins.RetrieveModelMixin, mixins.ListModelMixin, ScopedViewSet):
    """Courses that have a cohort the user may view."""

    permission_required = SIGNED_IN
    serializer_class = CourseSerializer

    def scoped_queryset(self, user):
        visible = Cohort.objects.filter(cohort_visible_q(user, Cohort))
        return Course.objects.filter(cohorts__in=visible).distinct().order_by("title", "pk")


class CohortViewSet(mixins.RetrieveModelMixin, mixins.ListModelMixin, ScopedViewSet):
    serializer_class = CohortSerializer
    filterset_class = CohortFilter
    permission_required = "courses.view_cohort_content"

    def scoped_queryset(self, user):
        return Cohort.objects.filter(cohort_visible_q(user, Cohort)).order_by("-year", "name", "pk")


class ModuleViewSet(mixins.RetrieveModelMixin, mixins.ListModelMixin, ScopedViewSet):
    permission_required = SIGNED_IN
    serializer_class = ModuleSerializer
    filterset_class = ModuleFilter

    def scoped_queryset(self, user):
        return (
            Module.objects.filter(cohort_visible_q(user, Module))
            .prefetch_related(Prefetch("requires", queryset=Module.objects.only("id")))
            .order_by("cohort", "phase", "position", "pk")
        )


class LessonViewSet(mixins.RetrieveModelMixin, mixins.ListModelMixin, ScopedViewSet):
    permission_required = SIGNED_IN
    serializer_class = LessonSerializer
    filterset_class = LessonFilter

    def scoped_queryset(self, user):
        return (
            Lesson.objects.filter(cohort_visible_q(user, Lesson))
            .select_related("module")
            .order_by("module", "position", "pk")
        )


class SessionViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin, ScopedViewSet):
    serializer_class = SessionSerializer
    filterset_class = SessionFilter
    permission_required = {"attendance": "courses.record_attendance"}

    def scoped_queryset(self, user):
        return (
            Session.objects.filter(cohort_visible_q(user, Session))
            .select_related("lesson")
            .prefetch_related(Prefetch("instructors", queryset=User.objects.only("id")))
            .order_by("starts_at", "pk")
        )

    @extend_schema(request=SessionCreateSerializer, responses={201: SessionSerializer})
    def create(self, request):
        data = _valid(SessionCreateSerializer, request.data)
        lesson = Lesson.objects.select_related("module__cohort").filter(pk=data["lesson"]).first()
        if lesson is None or not request.user.has_perm("courses.view_cohort_content", lesson.module.cohort):
            raise ValidationFailed(_("Unknown lesson."), code="unknown_id", fields={"lesson": [_("Unknown ID.")]})
        instructors = list(User.objects.filter(pk__in=data["instructors"]))
        if len(instructors) != len(set(data["instructors"])):
            raise ValidationFailed(
                _("Unknown instructor."), code="unknown_id", fields={"instructors": [_("Unknown ID.")]}
            )
        session = services.session_create(
            lesson=lesson,
            date=data["date"],
            start_time=data["start_time"],
            end_time=data["end_time"],
            place=data["place"],
            address=data["address"],
            instructors=instructors,
            actor=request.user,
            check_in_minutes_before=data["check_in_minutes_before"],
            check_in_minutes_after=data["check_in_minutes_after"],
        )
        return Response(SessionSerializer(self.get_queryset().get(pk=session.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=SheetRowSerializer(many=True))
    @action(detail=True, methods=["get"])
    def attendance(self, request, pk=None):
        """The session's attendance sheet: every active trainee with its status (null when not recorded)."""
        session = self.get_object()
        rows = selectors.attendance_sheet(session=session)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(SheetRowSerializer(page, many=True).data)


class EnrolmentViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin, ScopedViewSet):
    serializer_class = EnrolmentSerializer
    filterset_class = EnrolmentFilter
    permission_required = {"withdraw": "courses.manage_cohort", "move": "courses.manage_cohort"}

    def scoped_queryset(self, user):
        return (
            Enrolment.objects.filter(enrolment_progress_visible_q(user))
            .select_related("trainee")
            .order_by("cohort", "trainee__full_name", "pk")
        )

    @extend_schema(request=EnrolmentCreateSerializer, responses={201: EnrolmentSerializer})
    def create(self, request):
        data = _valid(EnrolmentCreateSerializer, request.data)
        cohort = Cohort.objects.filter(pk=data["cohort"]).first()
        if cohort is None or not request.user.has_perm("courses.view_cohort_content", cohort):
            raise NotFound(_("Unknown cohort."))
        trainee = _get_or_invalid(
            User.objects.filter(enrollable_trainees_q(request.user), is_active=True), data["trainee"], "trainee"
        )
        # Another district's community answers as an unknown one: its existence is not staff's to learn.
        communities = Community.objects.select_related("town").filter(town__district_id=cohort.district_id)
        community = _get_or_invalid(communities, data["community"], "community")
        team = _get_or_invalid(Team.objects.all(), data["team"], "team") if data.get("team") else None
        enrolment = services.enrolment_create(
            cohort=cohort, trainee=trainee, community=community, team=team, actor=request.user, confirm=data["confirm"]
        )
        return Response(EnrolmentSerializer(enrolment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WithdrawSerializer, responses=EnrolmentSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        enrolment = self.get_object()
        data = _valid(WithdrawSerializer, request.data)
        enrolment = services.enrolment_withdraw(enrolment=enrolment, reason=data["reason"], actor=request.user)
        return Response(EnrolmentSerializer(enrolment).data)

    @extend_schema(request=MoveSerializer, responses=EnrolmentSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the trainee to another team and/or community of its cohort, with a reason (and a date)."""
        from courses.services.moves import enrolment_move

        enrolment = self.get_object()
        data = _valid(MoveSerializer, request.data)
        communities = Community.objects.select_related("town").filter(town__district_id=enrolment.cohort.district_id)
        community = _get_or_invalid(communities, data["community"], "community")
        # Another district's team answers as unknown; one of another cohort of this district is named as such.
        teams = Team.objects.filter(cohort__district_id=enrolment.cohort.district_id)
        team = _get_or_invalid(teams, data["team"], "team") if data.get("team") else None
        enrolment_move(
            enrolment=enrolment,
            team=team,
            community=community,
            effective_on=data.get("effective_on"),
            reason=data["reason"],
            actor=request.user,
        )
        enrolment.refresh_from_db()
        return Response(EnrolmentSerializer(enrolment).data)


class ProgressViewSet(mixins.ListModelMixin, ScopedViewSet):
    """Each visible enrolment's lessons done per phase and sessions attended. Filter with ?cohort=."""

    permission_required = SIGNED_IN
    serializer_class = ProgressSerializer
    filterset_class = EnrolmentFilter

    def scoped_queryset(self, user):
        done = {
            value: Count("completions", filter=Q(completions__lesson__module__phase=value), distinct=True)
            for value in Phase.values
        }
        return (
            Enrolment.objects.active()
            .filter(enrolment_progress_visible_q(user))
            .select_related("trainee")
            .annotate(
                **{f"done_{value}": expr for value, expr in done.items()},
            )
            .order_by("cohort", "trainee__full_name", "pk")
        )

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        totals = selectors._lesson_totals({e.cohort_id for e in page})
        shares = selectors.attendance_shares(enrolments=page)
        rows = []
        for e in page:
            phases = []
            for value in Phase.values:
                total, done = totals.get((e.cohort_id, value), 0), getattr(e, f"done_{value}")
                phases.append(
                    {"phase": value, "done": done, "total": total, "percent": round(100 * done / total) if total else 0}
                )
            rows.append({"enrolment": e, "phases": phases, "attendance": shares[e.pk]})
        return self.get_paginated_response(ProgressSerializer(rows, many=True).data)


class AttendanceViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin, ScopedViewSet):
    serializer_class = AttendanceSerializer
    filterset_class = AttendanceFilter
    permission_required = {"correct": "courses.record_attendance"}

    def scoped_queryset(self, user):
        return (
            Attendance.objects.filter(attendance_visible_q(user))
            .select_related("session", "enrolment")
            .order_by("session", "enrolment", "pk")
        )

    @extend_schema(request=AttendanceRecordSerializer, responses={201: AttendanceSerializer})
    def create(self, request):
        """Record one trainee's attendance at a session (instructors and staff of the cohort)."""
        data = _valid(AttendanceRecordSerializer, request.data)
        session = Session.objects.filter(pk=data["session"]).first()
        if session is None or not request.user.has_perm("courses.view_cohort_content", session):
            raise NotFound(_("Unknown session."))
        enrolment = _get_or_invalid(Enrolment.objects.all(), data["enrolment"], "enrolment")
        attendance = services.attendance_record(
            session=session, enrolment=enrolment, status=data["status"], actor=request.user
        )
        return Response(AttendanceSerializer(attendance).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AttendanceCorrectSerializer, responses=AttendanceSerializer)
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        attendance = self.get_object()
        data = _valid(AttendanceCorrectSerializer, request.data)
        services.attendance_correct(
            attendance=attendance, status=data["status"], reason=data["reason"], actor=request.user
        )
        attendance.refresh_from_db()
        return Response(AttendanceSerializer(attendance).data)


class CheckInView(APIView):
    """Check the signed-in trainee in at a session with the screen's code or the QR code's token."""

    permission_required = SIGNED_IN

    @extend_schema(request=CheckInSerializer, responses={200: CheckInResultSerializer, 201: CheckInResultSerializer})
    def post(self, request):
        data = _valid(CheckInSerializer, request.data)
        session = Session.objects.filter(pk=data["session"]).first()
        if session is None:
            raise NotFound(_("This session does not exist."))
        attendance, created = services.attendance_check_in(
            session=session,
            user=request.user,
            token=data["token"],
            code=data["code"],
            offline=data["scanned_at"] is not None,
        )
        message = _("You are checked in.") if created else _("You are already checked in.")
        body = {"created": created, "message": message, "attendance": AttendanceSerializer(attendance).data}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
