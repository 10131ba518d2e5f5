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
