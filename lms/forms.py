"""Forms of the people pages; they parse, the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from lms.errors import ValidationFailed


class PersonForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=50)
    mobile = forms.CharField(label=_("Mobile number"), max_length=32)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    community = forms.IntegerField(label=_("Community"), min_value=1, required=False)


class PersonCreateForm(PersonForm):
    cohort = forms.IntegerField(label=_("Cohort"), min_value=1)
    role = forms.ChoiceField(label=_("Role"), choices=[("trainee", _("Trainee")), ("instructor", _("Instructor"))])


def form_error(form: forms.Form):
    """The domain error for a bound, invalid form: its first error as the message, every error by field."""
    return ValidationFailed(first_error(form), fields={k: [str(e) for e in v] for k, v in form.errors.items()})


def first_error(form: forms.Form) -> str:
    """The first error of a bound, invalid form, as one sentence for the page or the API."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        return f"{label}: {errors[0]}" if label else str(errors[0])
    return ""
