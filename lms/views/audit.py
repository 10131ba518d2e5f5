"""The audit page for staff (their districts) and instructors (their cohorts): read-only, filtered, exported."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from lms import audit_trail
from lms.audit_events import audit_personal_data_read
from lms.errors import NotAllowed, ValidationFailed
from lms.forms import CalendarDateField
from lms.models import District
from lms.predicates import roles_of
from lms.spreadsheets import table_response

PAGE_SIZE = 50
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class AuditFilterForm(forms.Form):
    person = forms.TypedChoiceField(label=gettext_lazy("Person"), required=False, coerce=int, empty_value=None)
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    since = CalendarDateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = CalendarDateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000, widget=forms.HiddenInput)

    def __init__(self, *args, actors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", _("Everyone"))] + [(str(a.pk), a.full_name or a.username) for a in actors]
        self.fields["action"].choices = [("", _("Every action"))] + [
            (verb, str(label)) for verb, label in sorted(audit_trail.ACTION_LABELS.items(), key=lambda kv: str(kv[1]))
        ]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise forms.ValidationError(_("The end of the period cannot be before its start."))
        return data


def _filtered(request):
    if not request.user.has_perm("lms.view_audit"):
        raise NotAllowed(_("Only district staff and instructors see the audit trail."))
    form = AuditFilterForm(request.GET or None, actors=audit_trail.audit_actors(user=request.user))
    if form.is_bound and not form.is_valid():
        from lms.forms import form_error

        raise form_error(form)
    data = form.cleaned_data if form.is_bound else {}
    rows = audit_trail.audit_entries(
        user=request.user,
        actor_id=data.get("person"),
        verb=data.get("action") or "",
        since=data.get("since"),
        until=data.get("until"),
    )
    return form, data, rows


@login_required
@require_GET
def audit_list(request):
    form, data, rows = _filtered(request)
    paginator = Paginator(rows, PAGE_SIZE)
    number = data.get("page") or 1
    if number > max(paginator.num_pages, 1):
        raise ValidationFailed(_("There is no page %(number)s.") % {"number": number}, code="bad_page")
    page = paginator.page(number)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "lms/audit.html",
        {
            "form": form,
            "page": page,
            "lines": audit_trail.audit_lines(list(page.object_list)),
            "query": query.urlencode(),
        },
    )


def _data_text(data: dict) -> dict:
    return {key: str(value) for key, value in data.items() if value not in (None, "")}


@login_required
@require_GET
def audit_export(request, fmt: str):
    _form, _data, rows = _filtered(request)
    lines = audit_trail.audit_lines(list(rows[: audit_trail.EXPORT_LIMIT]))
    # Scoped to the exporter's own district when it is staff, so that district's staff read this row too.
    staff_districts = sorted(roles_of(request.user).staff_district_ids)
    target = District.objects.get(pk=staff_districts[0]) if staff_districts else request.user
    audit_personal_data_read(
        request=request, verb="export.audit", target=target, format=fmt, rows=len(lines), **_data_text(_data)
    )
    name = _("audit-%(date)s") % {"date": timezone.localdate().isoformat()}
    return table_response(audit_trail.audit_table(lines), fmt=fmt, name=name)
