from django import forms
from django.utils.translation import gettext_lazy as _


class PreferenceForm(forms.Form):
    email_enabled = forms.BooleanField(label=_("Send me e-mail"), required=False)


class MarkReadForm(forms.Form):
    notification = forms.IntegerField(min_value=1, required=False)
