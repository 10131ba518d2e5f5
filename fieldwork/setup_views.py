"""Set-up pages of field assignments for district staff: the assignment's terms and the rubric editor."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from courses.views.setup import access_managed_module, delete_page, form_page, overview_url
from fieldwork.models import MB, Assignment, WorkMode
from fieldwork.selectors import assignment_holds
from fieldwork.services import setup as services
from lms.access import access
from lms.errors import ApplicationError, NotFound, ValidationFailed
from lms.versions import version_of

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
MAX_CRITERIA = 20
MAX_LEVELS = 10


class AssignmentForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=128)
    instructions = forms.CharField(
        label=gettext_lazy("Instructions"), required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 6})
    )
    mode = forms.ChoiceField(label=gettext_lazy("Individual or team"), choices=WorkMode.choices)
    opens_at = forms.DateTimeField(label=gettext_lazy("Opens at"), widget=DATETIME)
    due_at = forms.DateTimeField(label=gettext_lazy("Due at"), widget=DATETIME)
    closes_at = forms.DateTimeField(
        label=gettext_lazy("Closes at (empty: late work always accepted)"), widget=DATETIME, required=False
    )
    allowed_extensions = forms.MultipleChoiceField(
        label=gettext_lazy("Allowed file types"),
        choices=[(e, e.upper()) for e in services.EXTENSION_CHOICES],
        widget=forms.CheckboxSelectMultiple,
    )
    max_file_mb = forms.IntegerField(
        label=gettext_lazy("Largest file (MB)"), min_value=1, max_value=services.MAX_FILE_MB
    )
    max_total_mb = forms.IntegerField(
        label=gettext_lazy("Largest total (MB)"), min_value=1, max_value=services.MAX_FILE_MB * services.MAX_FILES
    )
    max_files = forms.IntegerField(label=gettext_lazy("Most files"), min_value=1, max_value=services.MAX_FILES)
    pass_mark = forms.DecimalField(
        label=gettext_lazy("Pass mark (points)"),
        max_digits=6,
        decimal_places=1,
        min_value=0,
        max_value=services.MAX_POINTS,
    )
    counts_toward_completion = forms.BooleanField(label=gettext_lazy("Counts toward completion"), required=False)
    objection_window_days = forms.IntegerField(
        label=gettext_lazy("Objection window (days)"), min_value=0, max_value=365
    )
    # The version the form was loaded from: a save over a newer one is refused (lms/versions.py).
    version = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)


def access_managed_assignment(*, user, assignment_id: int) -> Assignment:
    assignment = (
        Assignment.objects.select_related("module__cohort__district", "module__cohort__course")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None or not user.has_perm("courses.manage_cohort", assignment.module.cohort):
        raise NotFound(_("This page does not exist, or you do not have access to it."))
    return assignment


def _assignment_page(request, module, assignment=None):
    if assignment is not None:
        initial = {
            key: getattr(assignment, key)
            for key in (
                "title",
                "instructions",
                "mode",
                "opens_at",
                "due_at",
                "closes_at",
                "allowed_extensions",
                "max_files",
                "pass_mark",
                "counts_toward_completion",
                "objection_window_days",
            )
        }
        initial["max_file_mb"] = max(1, assignment.max_file_size // MB)
        initial["version"] = version_of(assignment)
        initial["max_total_mb"] = max(1, assignment.max_total_size // MB)
    else:
        initial = {
            "allowed_extensions": ["jpg", "jpeg", "png", "pdf", "docx"],
            "max_file_mb": 20,
            "max_total_mb": 100,
            "max_files": 10,
            "pass_mark": Decimal("60"),
            "counts_toward_completion": True,
            "objection_window_days": 7,
        }
    form = AssignmentForm(request.POST or None, initial=initial)
    context = {
        "form": form,
        "title": _("Change the assignment") if assignment else _("New assignment"),
        "cohort": module.cohort,
        "module": module,
        "assignment": assignment,
        "hint": _("Within the cohort's run: %(start)s to %(end)s.")
        % {"start": module.cohort.starts_on, "end": module.cohort.ends_on},
        "delete_url": reverse("setup-assignment-delete", args=[assignment.pk]) if assignment else "",
    }
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.assignment_save(
                module=module, assignment=assignment, actor=request.user, **form.cleaned_data
            )
        except ApplicationError as error:
            return form_page(request, "courses/setup/form.html", context, error=error)
        messages.success(request, _("The assignment %(title)s is saved.") % {"title": saved.title})
        return redirect("setup-rubric", assignment_id=saved.pk)
    return form_page(request, "courses/setup/form.html", context)


@login_required
def assignment_create(request, cohort_id: int, module_id: int):
    module = access_managed_module(user=request.user, cohort_id=cohort_id, module_id=module_id)
    return _assignment_page(request, module)


@login_required
def assignment_edit(request, assignment_id: int):
    assignment = access_managed_assignment(user=request.user, assignment_id=assignment_id)
    return _assignment_page(request, assignment.module, assignment)


# --- rubric editor: every criterion and level as plain fields, plus empty rows to add one; no script needed


def _points(raw: str, where: str) -> Decimal:
    try:
        value = Decimal((raw or "").strip())
    except InvalidOperation:
        raise ValidationFailed(
            _("%(where)s: “%(raw)s” is not a number of points.") % {"where": where, "raw": raw[:20]}, code="bad_points"
        ) from None
    if not value.is_finite():
        raise ValidationFailed(_("%(where)s: points must be a number.") % {"where": where}, code="bad_points")
    return value


def parse_rubric(post) -> list[services.CriterionInput]:
    """Criteria and levels from the editor's fields; rows left entirely empty are skipped."""
    criteria = []
    for i in range(MAX_CRITERIA):
        title = post.get(f"c{i}-title", "").strip()
        description = post.get(f"c{i}-description", "").strip()
        levels = []
        for j in range(MAX_LEVELS):
            fields = [post.get(f"c{i}-l{j}-{k}", "").strip() for k in ("title", "description", "min", "max")]
            if not any(fields):
                continue
            where = _("Criterion %(c)s, level %(l)s") % {"c": i + 1, "l": j + 1}
            levels.append(
                services.LevelInput(
                    title=fields[0],
                    description=fields[1],
                    min_points=_points(fields[2], where),
                    max_points=_points(fields[3], where),
                )
            )
        if title or description or levels:
            criteria.append(services.CriterionInput(title=title, description=description, levels=levels))
    return criteria


def rubric_rows(criteria) -> list[dict]:
    """The editor's rows: the given criteria with one empty level each, and one empty criterion to add."""
    blank = services.LevelInput("", "", "", "")
    rows = [{"criterion": c, "levels": [*c.levels, blank][:MAX_LEVELS]} for c in criteria]
    rows.append({"criterion": services.CriterionInput(title=""), "levels": [blank] * 4})
    return rows[:MAX_CRITERIA]


@login_required
def rubric_edit(request, assignment_id: int):
    assignment = access_managed_assignment(user=request.user, assignment_id=assignment_id)
    current = [
        services.CriterionInput(
            title=c.title,
            description=c.description,
            levels=[
                services.LevelInput(lv.title, lv.description, lv.min_points, lv.max_points) for lv in c.levels.all()
            ],
        )
        for c in assignment.criteria.prefetch_related("levels")
    ]
    context = {
        "assignment": assignment,
        "cohort": assignment.module.cohort,
        "rows": rubric_rows(current),
        "max_points": services.rubric_max_points(assignment),
    }
    if request.method == "POST":
        try:
            criteria = parse_rubric(request.POST)
            context["rows"] = rubric_rows(criteria)
            services.rubric_save(assignment=assignment, criteria=criteria, actor=request.user)
        except ApplicationError as error:
            return form_page(request, "fieldwork/setup/rubric.html", context, error=error)
        messages.success(request, _("The rubric is saved."))
        return redirect("setup-rubric", assignment_id=assignment.pk)
    return form_page(request, "fieldwork/setup/rubric.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def assignment_delete(request, assignment_id):
    assignment = access(
        Assignment.objects.select_related("module__cohort"),
        assignment_id,
        user=request.user,
        perm="courses.manage_cohort",
        on=lambda a: a.module.cohort,
    )
    return delete_page(
        request,
        kind="assignment",
        name=assignment.title,
        holds=assignment_holds(assignment=assignment),
        back=reverse("setup-assignment", args=[assignment.pk]),
        delete=lambda: services.assignment_delete(assignment=assignment, actor=request.user),
        done=overview_url(assignment.module.cohort_id, f"module-{assignment.module_id}"),
        message=_("The assignment %(title)s is deleted.") % {"title": assignment.title},
    )
