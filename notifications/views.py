"""The notifications page and the e-mail preference page: a person sees and changes only its own."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lms.forms import form_error
from lms.predicates import roles_of
from notifications import preferences, selectors, services
from notifications.channels import channels
from notifications.forms import MarkReadForm, PreferenceForm
from notifications.models import ChannelChoice, Kind, Preference


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


def _grid(user) -> tuple[list[str], list[str]]:
    """(channels offered, kinds offered) on this person's page: its roles' kinds, the configured channels."""
    roles = roles_of(user)
    kinds = preferences.kinds_for(trainee=bool(roles.trainee_cohort_ids), instructor=bool(roles.instructor_cohort_ids))
    configured = [name for name in preferences.CHOOSABLE_CHANNELS if name in channels()]
    return configured, kinds


@login_required
def preferences_page(request):
    offered_channels, kinds = _grid(request.user)
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if not form.is_valid():
            raise form_error(form)
        choices = None
        if request.POST.get("grid"):  # the per-kind table was on the page: every box not sent is off
            choices = {(c, k): f"choice:{c}:{k}" in request.POST for c in offered_channels for k in kinds}
        services.preference_save(user=request.user, email_enabled=form.cleaned_data["email_enabled"], choices=choices)
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:preferences")
    current = Preference.objects.filter(user=request.user).first()
    form = PreferenceForm(initial={"email_enabled": current.email_enabled if current else True})
    chosen = {(row.channel, row.kind): row.enabled for row in ChannelChoice.objects.filter(user=request.user)}
    labels = dict(Kind.choices)
    rows = [
        {
            "label": labels[kind],
            "cells": [
                {
                    "name": f"choice:{c}:{kind}",
                    "on": preferences.enabled(channel=c, kind=kind, choices=chosen),
                    "label": f"{labels[kind]} · {channels()[c].label}",
                }
                for c in offered_channels
            ],
        }
        for kind in kinds
    ]
    context = {
        "form": form,
        "has_email": bool(request.user.email),
        "has_mobile": bool(request.user.mobile),
        "columns": [channels()[c].label for c in offered_channels],
        "rows": rows,
    }
    return render(request, "notifications/preferences.html", context)
