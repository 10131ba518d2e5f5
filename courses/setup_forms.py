"""Forms of the cohort set-up pages: they parse and offer only the caller's own rows; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from courses.models import Course, LessonKind, Module, Phase, Team
from lms.models import Community, District, User

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def governed_districts(user):
    from lms.predicates import roles_of

    districts = District.objects.order_by("name")
    return districts if user.is_superuser else districts.filter(pk__in=roles_of(user).staff_district_ids)


class CohortForm(forms.Form):
    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.order_by("title"))
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=District.objects.none(),
        error_messages={"invalid_choice": _("Choose a district you govern.")},
    )
    name = forms.CharField(label=_("Name"), max_length=128)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = governed_districts(user)


class CohortEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=128)
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE)
    # The version the form was loaded from: a save over a newer one is refused (lms/versions.py).
    version = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)


class ModuleForm(forms.Form):
    phase = forms.ChoiceField(label=_("Phase"), choices=Phase.choices)
    position = forms.IntegerField(label=_("Position within the phase"), min_value=1, max_value=999)
    title = forms.CharField(label=_("Title"), max_length=128)
    summary = forms.CharField(label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    requires = forms.ModelMultipleChoiceField(
        label=_("Requires (finished first)"),
        queryset=Module.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # The version the form was loaded from: a save over a newer one is refused (lms/versions.py).
    version = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)

    def __init__(self, *args, cohort, module=None, **kwargs):
        super().__init__(*args, **kwargs)
        others = Module.objects.filter(cohort=cohort).order_by("phase", "position")
        if module is not None:
            others = others.exclude(pk=module.pk)
        self.fields["requires"].queryset = others


class LessonForm(forms.Form):
    position = forms.IntegerField(label=_("Position within the module"), min_value=1, max_value=999)
    kind = forms.ChoiceField(label=_("Kind"), choices=LessonKind.choices)
    title = forms.CharField(label=_("Title"), max_length=128)
    body = forms.CharField(
        label=_("Content"),
        required=False,
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Markdown: headings, lists, links, emphasis."),
    )
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=1, max_value=24 * 60)
    # The version the form was loaded from: a save over a newer one is refused (lms/versions.py).
    version = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("Reading material (PDF or photo)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.webp"}),
    )


class SessionSetupForm(forms.Form):
    lesson = forms.ModelChoiceField(label=_("Lesson"), queryset=None)
    date = forms.DateField(label=_("Date"), widget=DATE)
    start_time = forms.TimeField(label=_("Starts at"), widget=TIME)
    end_time = forms.TimeField(label=_("Ends at"), widget=TIME)
    place = forms.CharField(label=_("Place"), max_length=128)
    address = forms.CharField(label=_("Address"), max_length=256, required=False)
    instructors = forms.ModelMultipleChoiceField(
        label=_("Instructors"), queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    team = forms.ModelChoiceField(label=_("Team served (field guidance)"), queryset=Team.objects.none(), required=False)
    community = forms.ModelChoiceField(
        label=_("Community served (field guidance)"), queryset=Community.objects.none(), required=False
    )
    # The version the form was loaded from: a save over a newer one is refused (lms/versions.py).
    version = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)

    def __init__(self, *args, cohort, user, **kwargs):
        from courses.models import Lesson
        from lms.selectors import choosable_communities

        super().__init__(*args, **kwargs)
        self.fields["lesson"].queryset = (
            Lesson.objects.in_person()
            .filter(module__cohort=cohort)
            .order_by("module__phase", "module__position", "position")
        )
        self.fields["instructors"].queryset = User.objects.filter(teachings__cohort=cohort).order_by("full_name")
        self.fields["team"].queryset = Team.objects.filter(cohort=cohort)
        self.fields["community"].queryset = choosable_communities(
            user=user, district_id=cohort.district_id, keep_id=self.initial.get("community")
        )


class CopyForm(forms.Form):
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=District.objects.none(),
        error_messages={"invalid_choice": _("Choose a district you govern.")},
    )
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    name = forms.CharField(label=_("Name of the new cohort"), max_length=128)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = governed_districts(user)
