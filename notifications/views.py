"""The notifications page and the e-mail preference page: a person sees and changes only its own."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lms.forms import form_error
from notifications import selectors, services
from notifications.forms import MarkReadForm, PreferenceForm
from notifications.models import Preference


@login_required
def notification_list(request):
    rows = selectors.notification_list(user=request.user)
    return render(request, "notifications/list.html", {"rows": rows})


@login_required
@require_POST
def notifications_mark_read(request):
    form = MarkReadForm(request.POST)
    if not form.is_valid():
        raise form_error(form)
    picked = form.cleaned_data["notification"]
    services.notifications_mark_read(user=request.user, notification_ids=[picked] if picked else None)
    return redirect("notifications:list")


@login_required
def preferences(request):
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if not form.is_valid():
            raise form_error(form)
        services.preference_save(user=request.user, email_enabled=form.cleaned_data["email_enabled"])
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:preferences")
    current = Preference.objects.filter(user=request.user).first()
    form = PreferenceForm(initial={"email_enabled": current.email_enabled if current else True})
    return render(request, "notifications/preferences.html", {"form": form, "has_email": bool(request.user.email)})
