"""Page forms: they parse input; the services hold every rule, so pages and API refuse alike."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fieldwork.projects.models import (
    CASE_SECTIONS,
    PARTICIPANT_GROUPS,
    ActivityKind,
    CaseTheme,
    PartnerKind,
    ProjectStatus,
)
from lms import uploads

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotoField(forms.FileField):
    def to_python(self, data):
        if isinstance(data, uploads.RefusedUpload):
            return data  # dropped while streaming: the photo service answers why (too large)
        return super().to_python(data)


class MultiplePhotoField(PhotoField):
    widget = MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"})

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ProjectForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=128)
    goals = forms.CharField(label=_("Goals"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=ProjectStatus.choices)

    # Blank rows offered beyond the partners already recorded.
    BLANK_PARTNER_ROWS = 3

    def __init__(self, *args, partner_rows: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        data = self.data if self.is_bound else {}
        posted = sum(1 for key in data if key.startswith("partner_") and key.endswith("_name"))
        self.partner_count = max(partner_rows, posted) + self.BLANK_PARTNER_ROWS
        # Kinds and names are checked by the service, which names the row of any mistake.
        for i in range(self.partner_count):
            self.fields[f"partner_{i}_kind"] = forms.CharField(
                label=_("Partner %(row)d: kind") % {"row": i + 1},
                required=False,
                widget=forms.Select(choices=[("", "—"), *PartnerKind.choices]),
            )
            self.fields[f"partner_{i}_name"] = forms.CharField(
                label=_("Partner %(row)d: name") % {"row": i + 1}, required=False, max_length=128
            )

    partner_kinds = PartnerKind.choices

    def partner_fields(self):
        return [(i + 1, self[f"partner_{i}_kind"], self[f"partner_{i}_name"]) for i in range(self.partner_count)]

    def main_fields(self):
        return [self[name] for name in ("title", "goals", "status")]

    def partner_list(self) -> list[tuple[str, str]]:
        """Every row as (kind, name), blank rows included so that a row number stays the row's place."""
        data = self.cleaned_data
        return [
            (data.get(f"partner_{i}_kind", ""), data.get(f"partner_{i}_name", "")) for i in range(self.partner_count)
        ]


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    title = forms.CharField(label=_("Title"), max_length=128)
    held_on = forms.DateField(label=_("Date"), widget=DATE)
    place = forms.CharField(label=_("Place"), max_length=128)
    account = forms.CharField(label=_("Short account"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    photos = MultiplePhotoField(label=_("Photos"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Counts are parsed by the service, so a page and the API answer a bad count alike.
        for name, label in PARTICIPANT_GROUPS:
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                initial=0,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]*", "class": "count"}),
            )

    def counts(self) -> dict:
        return {name: self.cleaned_data.get(name, "") for name, _label in PARTICIPANT_GROUPS}

    def count_fields(self):
        return [self[name] for name, _label in PARTICIPANT_GROUPS]


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=_("Date"), widget=DATE)
    attendees = forms.CharField(label=_("Who came"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    discussion = forms.CharField(label=_("What was discussed"), widget=forms.Textarea(attrs={"rows": 4}))
    photos = MultiplePhotoField(label=_("Photos"), required=False)

    STEPS = 3

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(self.STEPS):
            self.fields[f"step_{i}_description"] = forms.CharField(label=_("Next step"), required=False, max_length=255)
            self.fields[f"step_{i}_owner"] = forms.CharField(label=_("Owner"), required=False, max_length=64)
            self.fields[f"step_{i}_due_on"] = forms.DateField(label=_("Due date"), required=False, widget=DATE)

    def step_rows(self):
        return [
            (self[f"step_{i}_description"], self[f"step_{i}_owner"], self[f"step_{i}_due_on"])
            for i in range(self.STEPS)
        ]

    def next_steps(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {
                "description": data.get(f"step_{i}_description", ""),
                "owner": data.get(f"step_{i}_owner", ""),
                "due_on": data.get(f"step_{i}_due_on"),
            }
            for i in range(self.STEPS)
        ]


class BeforeAfterForm(forms.Form):
    place = forms.CharField(label=_("Place"), max_length=128)
    caption = forms.CharField(label=_("Caption"), max_length=255, required=False)
    changed_on = forms.DateField(label=_("Date of the change"), required=False, widget=DATE)
    before = PhotoField(label=_("Before"), widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))
    after = PhotoField(label=_("After"), widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))


class CaseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=128)
    theme = forms.ChoiceField(label=_("Theme"), choices=CaseTheme.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in CASE_SECTIONS:
            self.fields[name] = forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": 5}))

    def sections(self) -> dict:
        return {name: self.cleaned_data.get(name, "") for name, _label in CASE_SECTIONS}

    def section_fields(self):
        return [self[name] for name, _label in CASE_SECTIONS]


class ReviewForm(forms.Form):
    comments = forms.CharField(label=_("Comments"), required=False, widget=forms.Textarea(attrs={"rows": 4}))


class LibraryForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    town = forms.CharField(label=_("Town"), required=False)
    theme = forms.ChoiceField(label=_("Theme"), required=False, choices=[("", _("All themes")), *CaseTheme.choices])
    year = forms.CharField(label=_("Year"), required=False)
