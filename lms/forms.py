"""Forms of the people pages; they parse, the services decide."""

import datetime

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from lms.errors import ValidationFailed

# Dates people type: a course's records lie well inside these years. 9999-12-31 parses as a date, but
# a day added to it (the end of a period) overflows Python's calendar: refused here, with a message.
EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2199, 12, 31)


class CalendarDateField(forms.DateField):
    """A date between EARLIEST_DATE and LATEST_DATE."""

    def __init__(self, **kwargs):
        message = _("Choose a date between 1900 and 2199.")
        kwargs.setdefault("validators", [])
        kwargs["validators"] = [
            *kwargs["validators"],
            MinValueValidator(EARLIEST_DATE, message=message),
            MaxValueValidator(LATEST_DATE, message=message),
        ]
        super().__init__(**kwargs)


class PersonForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=50)
    mobile = forms.CharField(label=_("Mobile number"), max_length=32)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    community = forms.IntegerField(label=_("Community"), min_value=1, required=False)


class PersonCreateForm(PersonForm):
    cohort = forms.IntegerField(label=_("Cohort"), min_value=1)
    role = forms.ChoiceField(label=_("Role"), choices=[("trainee", _("Trainee")), ("instructor", _("Instructor"))])


class ResetForm(PasswordResetForm):
    """Also reaches accounts made from a sheet, which have no usable password until the first one is set."""

    def get_users(self, email):
        from lms.models import User

        return User._default_manager.filter(email__iexact=email, is_active=True).exclude(email="")


def form_error(form: forms.Form):
    """The domain error for a bound, invalid form: its first error as the message, every error by field."""
    return ValidationFailed(first_error(form), fields={k: [str(e) for e in v] for k, v in form.errors.items()})


def first_error(form: forms.Form) -> str:
    """The first error of a bound, invalid form, as one sentence for the page or the API."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        return f"{label}: {errors[0]}" if label else str(errors[0])
    return ""
