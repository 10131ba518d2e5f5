"""Forms of the people pages; they parse, the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _


class PersonForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=50)
    mobile = forms.CharField(label=_("Mobile number"), max_length=32)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    community = forms.IntegerField(label=_("Community"), min_value=1, required=False)


class PersonCreateForm(PersonForm):
    cohort = forms.IntegerField(label=_("Cohort"), min_value=1)
    role = forms.ChoiceField(label=_("Role"), choices=[("trainee", _("Trainee")), ("instructor", _("Instructor"))])
