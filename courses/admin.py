from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from courses import services
from courses.models import (
    Attendance,
    AttendanceCorrection,
    Cohort,
    Course,
    Enrolment,
    Lesson,
    LessonCompletion,
    Module,
    Session,
    Teaching,
    Team,
)
from lms.admin import DistrictScopedAdmin, ReadOnlyScopedAdmin
from lms.errors import ApplicationError
from lms.predicates import district_people_q, enrollable_trainees_q, is_enrolled_in_cohort, roles_of, teaches_cohort


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    """Courses are a shared catalogue: staff read them, a superuser edits them."""

    list_display = ["title", "code", "issuing_body"]
    search_fields = ["title", "code"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or bool(roles_of(request.user).staff_district_ids)

    def has_module_permission(self, request):
        return self.has_view_permission(request)


class TeachingInlineForm(forms.ModelForm):
    class Meta:
        model = Teaching
        fields = ["instructor"]

    def clean(self):
        cleaned = super().clean()
        instructor, cohort = cleaned.get("instructor"), self.instance.cohort if self.instance.cohort_id else None
        # The inline writes rows itself, so the services' rule is asked here: never trainee and instructor at once.
        if instructor and cohort and is_enrolled_in_cohort(instructor, cohort):
            self.add_error("instructor", services.trainee_cannot_be_instructor(instructor))
        return cleaned


class TeachingInline(admin.TabularInline):
    model = Teaching
    form = TeachingInlineForm
    extra = 0
    autocomplete_fields = ["instructor"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # The autocomplete posts any user id: the field accepts only people of the staff member's districts.
        if db_field.name == "instructor":
            kwargs["queryset"] = db_field.related_model._default_manager.filter(district_people_q(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Cohort)
class CohortAdmin(DistrictScopedAdmin):
    fixed_on_change = ("course", "district")
    list_display = ["name", "course", "district", "year", "starts_on", "ends_on"]
    list_filter = ["year", "district", "course"]
    search_fields = ["name"]
    list_select_related = ["course", "district"]
    inlines = [TeachingInline]


class ModuleAdminForm(forms.ModelForm):
    class Meta:
        model = Module
        fields = ["cohort", "phase", "position", "title", "summary", "requires"]

    def clean(self):
        cleaned = super().clean()
        cohort = cleaned.get("cohort") or (self.instance.cohort if self.instance.pk else None)
        requires = cleaned.get("requires")
        if cohort and requires:
            if any(m.cohort_id != cohort.pk for m in requires):
                self.add_error("requires", _("Required modules must belong to the same cohort."))
            if self.instance.pk and any(m.pk == self.instance.pk for m in requires):
                self.add_error("requires", _("A module cannot require itself."))
        return cleaned


class LessonInline(admin.StackedInline):
    model = Lesson
    extra = 0
    fields = ["position", "kind", "title", "duration_minutes", "body"]


@admin.register(Module)
class ModuleAdmin(DistrictScopedAdmin):
    fixed_on_change = ("cohort",)
    form = ModuleAdminForm
    list_display = ["title", "cohort", "phase", "position"]
    list_filter = ["cohort", "phase"]
    search_fields = ["title"]
    list_select_related = ["cohort"]
    filter_horizontal = ["requires"]
    inlines = [LessonInline]


@admin.register(Lesson)
class LessonAdmin(DistrictScopedAdmin):
    fixed_on_change = ("module",)
    list_display = ["title", "module", "kind", "position"]
    list_filter = ["kind", "module__cohort"]
    search_fields = ["title", "body"]
    list_select_related = ["module"]


@admin.register(Team)
class TeamAdmin(DistrictScopedAdmin):
    fixed_on_change = ("cohort",)
    list_display = ["name", "cohort", "community"]
    list_filter = ["cohort"]
    search_fields = ["name"]
    list_select_related = ["cohort", "community__town"]


class EnrolmentAdminForm(forms.ModelForm):
    class Meta:
        model = Enrolment
        fields = ["cohort", "trainee", "community", "team"]

    def clean(self):
        cleaned = super().clean()
        trainee, cohort = cleaned.get("trainee"), cleaned.get("cohort")
        if trainee and cohort and teaches_cohort(trainee, cohort):
            self.add_error("trainee", services.instructor_cannot_be_trainee(trainee))
        return cleaned


@admin.register(Enrolment)
class EnrolmentAdmin(DistrictScopedAdmin):
    """Enrolment goes through the enrolment service, so its rules hold here as on the pages.

    An existing enrolment is read-only: its cohort, community and team change only through pages
    whose services check that they belong together.
    """

    form = EnrolmentAdminForm
    list_display = ["trainee", "cohort", "community", "team", "status"]
    list_filter = ["status", "cohort", "team"]
    search_fields = ["trainee__full_name", "trainee__username", "trainee__mobile"]
    list_select_related = ["trainee", "cohort", "community__town", "team"]
    autocomplete_fields = ["trainee"]
    readonly_fields = ["status", "withdrawn_reason", "withdrawn_at"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "trainee":
            kwargs["queryset"] = db_field.related_model._default_manager.filter(enrollable_trainees_q(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        fields = ["cohort", "trainee", "community", "team"]
        return [*fields, *self.readonly_fields] if obj else fields

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        try:
            created = services.enrolment_create(
                cohort=obj.cohort, trainee=obj.trainee, community=obj.community, team=obj.team, actor=request.user
            )
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            raise
        obj.pk = created.pk

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except ApplicationError:
            from django.http import HttpResponseRedirect

            return HttpResponseRedirect(request.get_full_path())


@admin.register(LessonCompletion)
class LessonCompletionAdmin(ReadOnlyScopedAdmin):
    """Completions are recorded by the lesson service, which checks the lesson belongs to the cohort."""

    list_display = ["enrolment", "lesson", "created_at"]
    list_select_related = ["enrolment__trainee", "enrolment__cohort", "lesson"]
    list_filter = ["enrolment__cohort"]


class AttendanceCorrectionInline(admin.TabularInline):
    model = AttendanceCorrection
    extra = 0
    can_delete = False
    fields = ["corrected_at", "corrected_by", "old_status", "new_status", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Session)
class SessionAdmin(ReadOnlyScopedAdmin):
    list_display = ["lesson", "cohort", "starts_at", "ends_at", "place"]
    list_filter = ["cohort"]
    search_fields = ["lesson__title", "place"]
    list_select_related = ["lesson", "cohort"]
    date_hierarchy = "starts_at"


@admin.register(Attendance)
class AttendanceAdmin(ReadOnlyScopedAdmin):
    list_display = ["enrolment", "session", "status", "source", "checked_in_at"]
    list_filter = ["status", "source", "session__cohort"]
    list_select_related = ["enrolment__trainee", "enrolment__cohort", "session__lesson"]
    search_fields = ["enrolment__trainee__full_name", "enrolment__trainee__username"]
    inlines = [AttendanceCorrectionInline]
