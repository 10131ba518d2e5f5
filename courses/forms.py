"""Small input forms of the course-delivery pages; they parse, the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from courses.models import AttendanceStatus
from lms.forms import first_error, form_error  # noqa: F401 -- their home is lms.forms


class CheckInForm(forms.Form):
    code = forms.CharField(label=_("Check-in code"), max_length=32, required=False)
    token = forms.CharField(max_length=256, required=False, widget=forms.HiddenInput)
    # Set by the field outbox when it kept the scan on a phone without a network (its clock, shown only to
    # the trainee): the server judges the token by its own signed moment (courses.checkin_codes.OFFLINE_GRACE).
    scanned_at = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)


class AttendanceRecordForm(forms.Form):
    enrolment = forms.IntegerField(min_value=1)
    status = forms.ChoiceField(choices=AttendanceStatus.choices)


class AttendanceCorrectForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=AttendanceStatus.choices)
    reason = forms.CharField(label=_("Reason"), max_length=500)


class EnrolForm(forms.Form):
    trainee = forms.CharField(label=_("Username or mobile number"), max_length=150)
    community = forms.IntegerField(label=_("Community"), min_value=1)
    team = forms.IntegerField(label=_("Team"), min_value=1, required=False)
    confirm = forms.BooleanField(label=_("Enrol even if already in another cohort of this course"), required=False)


class InstructorForm(forms.Form):
    instructor = forms.IntegerField(label=_("Instructor"), min_value=1, required=False)
    handle = forms.CharField(label=_("Username or mobile number"), max_length=150, required=False)


class MoveForm(forms.Form):
    community = forms.IntegerField(label=_("Community"), min_value=1)
    team = forms.IntegerField(label=_("Team"), min_value=1, required=False)
    effective_on = forms.DateField(label=_("Moves on"))
    reason = forms.CharField(label=_("Reason for the move"), max_length=500)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason for withdrawal"), max_length=500)


class SessionForm(forms.Form):
    lesson = forms.IntegerField(label=_("Lesson"), min_value=1)
    date = forms.DateField(label=_("Date"))
    start_time = forms.TimeField(label=_("Starts at"))
    end_time = forms.TimeField(label=_("Ends at"))
    place = forms.CharField(label=_("Place"), max_length=128)
    address = forms.CharField(label=_("Address"), max_length=256, required=False)
    check_in_minutes_before = forms.IntegerField(
        label=_("Check-in opens (minutes before the start)"), min_value=0, max_value=720, required=False
    )
    check_in_minutes_after = forms.IntegerField(
        label=_("Check-in closes (minutes after the start)"), min_value=0, max_value=720, required=False
    )
