from django import forms
from django.utils.translation import gettext_lazy as _

from certificates.models import CompletionRule, RevocationReason
from courses.models import Lesson


class CompletionRuleForm(forms.ModelForm):
    class Meta:
        model = CompletionRule
        fields = [
            "required_lessons",
            "min_lesson_percent",
            "min_attendance_percent",
            "require_assignments_passed",
            "require_model_case_approved",
        ]
        widgets = {"required_lessons": forms.CheckboxSelectMultiple}

    # The version of the rule the form was loaded from: a save over a newer one is refused (lms/versions.py).
    version = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)

    def __init__(self, *args, cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["required_lessons"].queryset = (
            Lesson.objects.filter(module__cohort=cohort)
            .select_related("module")
            .order_by("module__phase", "module__position", "position")
        )


class RevokeForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"), choices=[("", _("Choose a reason")), *list(RevocationReason.choices)], required=False
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000)


class TemplateForm(forms.Form):
    html = forms.CharField(label=_("HTML"), widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false"}))
    css = forms.CharField(
        label=_("CSS"), widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}), required=False
    )


class IssuerForm(TemplateForm):
    name = forms.CharField(label=_("Issuing body (full name)"), max_length=128)
    short_name = forms.CharField(label=_("Short name"), max_length=32, required=False)
    seal = forms.FileField(
        label=_("Red seal (PNG or JPEG)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    remove_seal = forms.BooleanField(label=_("Remove the seal"), required=False)
    html = forms.CharField(
        label=_("HTML"),
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false"}),
        required=False,
        help_text=_("Empty: the built-in wording."),
    )
    field_order = ["name", "short_name", "seal", "remove_seal", "html", "css"]
