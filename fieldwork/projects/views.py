"""Pages of field projects and model cases: parse, one access call, one service call, answer."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from courses.models import Team
from fieldwork.projects import exports, forms, photos, selectors, services
from fieldwork.projects.models import CaseStatus, FieldProject, ModelCase
from lms import uploads
from lms.audit_events import audit_personal_data_read
from lms.downloads import PREVIEW_VARIANTS, preview_pending, preview_status
from lms.errors import NotAllowed, NotFound, ValidationFailed
from lms.models import PreviewState
from lms.predicates import roles_of, team_ids_of
from lms.spreadsheets import table_response
from lms.storage import open_stream


def _apply(form, call):
    """Run a service; on ValidationFailed put its messages on the form and return None."""
    try:
        return call()
    except ValidationFailed as error:
        placed = False
        for field, errors in error.fields.items():
            # Messages of rows the form lays out itself (partners) go above the form, each naming its row.
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
            placed = True
        if not placed or (error.code != "invalid" and error.message not in form.non_field_errors()):
            form.add_error(None, error.message)
        return None


@login_required
def home(request):
    """Projects the user may see, teams of its own still without a project, and its cohorts' totals."""
    projects = list(selectors.visible_projects(user=request.user))
    have = {p.team_id for p in projects}
    teams_without = list(
        Team.objects.filter(pk__in=team_ids_of(request.user)).exclude(pk__in=have).select_related("cohort")
    )
    roles = roles_of(request.user)
    from courses.models import Cohort

    cohorts = list(
        Cohort.objects.filter(pk__in=roles.instructor_cohort_ids)
        | Cohort.objects.filter(district_id__in=roles.staff_district_ids)
    )
    to_review = list(
        ModelCase.objects.filter(status=CaseStatus.SUBMITTED, project__team__cohort_id__in=roles.instructor_cohort_ids)
        .select_related("project__team")
        .order_by("submitted_at")
    )
    return render(
        request,
        "projects/home.html",
        {
            "to_review": to_review,
            "projects": projects,
            "teams_without": teams_without,
            "cohorts": cohorts,
            "can_read_library": request.user.has_perm("projects.read_library"),
        },
    )


@login_required
def project_edit(request, team_id: int):
    team = selectors.access_team(user=request.user, team_id=team_id)
    if not request.user.has_perm("projects.edit_project", team):
        raise NotAllowed(_("Only members of this team can edit its project."))
    project = FieldProject.objects.filter(team=team).prefetch_related("partners").first()
    initial = {}
    partners = list(project.partners.all()) if project else []
    if project:
        initial = {"title": project.title, "goals": project.goals, "status": project.status}
        for i, partner in enumerate(partners):
            initial |= {f"partner_{i}_kind": partner.kind, f"partner_{i}_name": partner.name}
    form = forms.ProjectForm(request.POST or None, initial=initial, partner_rows=len(partners))
    if request.method == "POST" and form.is_valid():
        saved = _apply(
            form,
            lambda: services.project_update(
                team=team,
                actor=request.user,
                title=form.cleaned_data["title"],
                goals=form.cleaned_data["goals"],
                status=form.cleaned_data["status"],
                partners=form.partner_list(),
            ),
        )
        if saved:
            messages.success(request, _("The project is saved."))
            return redirect("projects:detail", project_id=saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "projects/project_form.html", {"form": form, "team": team}, status=status)


@login_required
def project_detail(request, project_id: int):
    project = selectors.access_project(user=request.user, project_id=project_id)
    log = selectors.project_log(project=project)
    case = ModelCase.objects.filter(project=project).first()
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "log": log,
            "case": case,
            "can_edit": request.user.has_perm("projects.edit_project", project),
            "can_log_visit": request.user.has_perm("projects.log_visit", project),
        },
    )


@login_required
@uploads.upload_view(max_body=photos.MAX_REQUEST_BYTES, max_file_size=photos.MAX_PHOTO_BYTES)
def activity_new(request, project_id: int):
    project = selectors.access_project(user=request.user, project_id=project_id)
    if not request.user.has_perm("projects.edit_project", project):
        raise NotAllowed(_("Only members of this team can record its activities."))
    form = forms.ActivityForm(request.POST or None, request.FILES or None, initial={"held_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        activity = _apply(
            form,
            lambda: services.activity_record(
                project=project,
                actor=request.user,
                kind=data["kind"],
                title=data["title"],
                held_on=data["held_on"],
                place=data["place"],
                account=data["account"],
                counts=form.counts(),
                photo_files=data["photos"],
            ),
        )
        if activity:
            messages.success(request, _("The activity “%(title)s” is recorded.") % {"title": activity.title})
            return redirect("projects:detail", project_id=project.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "projects/activity_form.html", {"form": form, "project": project}, status=status)


@login_required
@uploads.upload_view(max_body=photos.MAX_REQUEST_BYTES, max_file_size=photos.MAX_PHOTO_BYTES)
def visit_new(request, project_id: int):
    project = selectors.access_project(user=request.user, project_id=project_id)
    if not request.user.has_perm("projects.log_visit", project):
        raise NotAllowed(_("Only instructors of this cohort can log support visits."))
    form = forms.VisitForm(request.POST or None, request.FILES or None, initial={"visited_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        visit = _apply(
            form,
            lambda: services.visit_log(
                project=project,
                actor=request.user,
                visited_on=data["visited_on"],
                attendees=data["attendees"],
                discussion=data["discussion"],
                next_steps=form.next_steps(),
                photo_files=data["photos"],
            ),
        )
        if visit:
            messages.success(request, _("The support visit is logged."))
            return redirect("projects:detail", project_id=project.pk)
    status = 400 if request.method == "POST" else 200
    open_steps = selectors.last_visit_open_steps(project=project)
    return render(
        request, "projects/visit_form.html", {"form": form, "project": project, "open_steps": open_steps}, status=status
    )


@login_required
@require_POST
def next_step_close(request, step_id: int):
    step = selectors.access_next_step(user=request.user, step_id=step_id)
    services.next_step_close(step=step, actor=request.user)
    messages.success(request, _("“%(step)s” is done.") % {"step": step.description})
    back = request.POST.get("next", "")
    if back.startswith("/projects/") and "//" not in back:
        return redirect(back)
    return redirect("projects:detail", project_id=step.visit.project_id)


@login_required
@uploads.upload_view(max_body=photos.MAX_REQUEST_BYTES, max_file_size=photos.MAX_PHOTO_BYTES)
def before_after_new(request, project_id: int):
    project = selectors.access_project(user=request.user, project_id=project_id)
    if not request.user.has_perm("projects.edit_project", project):
        raise NotAllowed(_("Only members of this team can add before and after photos."))
    form = forms.BeforeAfterForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        pair = _apply(
            form,
            lambda: services.before_after_add(
                project=project,
                actor=request.user,
                place=data["place"],
                caption=data["caption"],
                changed_on=data["changed_on"],
                before_file=data["before"],
                after_file=data["after"],
            ),
        )
        if pair:
            messages.success(request, _("The before and after photos are added."))
            return redirect("projects:detail", project_id=project.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "projects/before_after_form.html", {"form": form, "project": project}, status=status)


@login_required
def case_edit(request, project_id: int):
    project = selectors.access_project(user=request.user, project_id=project_id)
    if not request.user.has_perm("projects.edit_project", project):
        raise NotAllowed(_("Only members of this team can edit its model case."))
    case = ModelCase.objects.filter(project=project).first()
    if case and case.status in (CaseStatus.SUBMITTED, CaseStatus.APPROVED) and request.method == "GET":
        return redirect("projects:case-detail", case_id=case.pk)  # locked while under review or approved
    initial = {"title": project.title}
    if case:
        initial = {
            "title": case.title,
            "theme": case.theme,
            **{n: getattr(case, n) for n, _l in selectors.CASE_SECTIONS},
        }
    form = forms.CaseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():

        def save_and_maybe_submit():
            saved = services.case_save(
                project=project,
                actor=request.user,
                title=form.cleaned_data["title"],
                theme=form.cleaned_data["theme"],
                **form.sections(),
            )
            if "submit" in request.POST:
                saved = services.case_submit(case=saved, actor=request.user)
            return saved

        from django.db import transaction

        with transaction.atomic():
            saved = _apply(form, save_and_maybe_submit)
            if saved is None:
                transaction.set_rollback(True)
        if saved:
            if saved.status == CaseStatus.SUBMITTED:
                messages.success(request, _("The case is submitted for review."))
            else:
                messages.success(request, _("The draft is saved."))
            return redirect("projects:case-detail", case_id=saved.pk)
    status = 400 if request.method == "POST" else 200
    totals = selectors.project_totals(project=project)
    return render(
        request,
        "projects/case_form.html",
        {
            "form": form,
            "project": project,
            "case": case,
            "rows": selectors.participant_rows(totals),
            "totals": totals,
        },
        status=status,
    )


@login_required
def case_detail(request, case_id: int):
    case = selectors.access_case(user=request.user, case_id=case_id)
    results = case.results if case.status in (CaseStatus.SUBMITTED, CaseStatus.APPROVED) else None
    if results is None:
        results = selectors.project_totals(project=case.project)
    can_review = case.status == CaseStatus.SUBMITTED and request.user.has_perm("projects.review_case", case)
    return render(
        request,
        "projects/case_detail.html",
        {
            "case": case,
            "sections": selectors.case_sections(case),
            "rows": selectors.participant_rows(results),
            "results": results,
            "can_review": can_review,
            "can_edit": request.user.has_perm("projects.edit_project", case),
            "review_form": forms.ReviewForm(),
        },
    )


@login_required
@require_POST
def case_review(request, case_id: int):
    case = selectors.access_case(user=request.user, case_id=case_id)
    form = forms.ReviewForm(request.POST)
    form.is_valid()
    comments = form.cleaned_data.get("comments", "")
    if request.POST.get("decision") == "approve":
        services.case_approve(case=case, actor=request.user, comments=comments)
        messages.success(request, _("The case is approved and now in the case library."))
    else:
        services.case_return(case=case, actor=request.user, comments=comments)
        messages.success(request, _("The case is returned to the team with your comments."))
    return redirect("projects:case-detail", case_id=case.pk)


@login_required
def cohort_totals(request, cohort_id: int):
    cohort = selectors.access_cohort_for_totals(user=request.user, cohort_id=cohort_id)
    return render(request, "projects/cohort_totals.html", {"data": selectors.cohort_totals(cohort=cohort)})


@login_required
def cohort_totals_export(request, cohort_id: int, fmt: str):
    cohort = selectors.access_cohort_for_totals(user=request.user, cohort_id=cohort_id)
    table = exports.totals_table(selectors.cohort_totals(cohort=cohort))
    return table_response(table, fmt=fmt, name=f"{cohort.name}-{_('participation')}")


def _library_filters(request):
    form = forms.LibraryForm(request.GET or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {}) or {}
    return form, selectors.clean_library_filters(
        query=data.get("q", "") or request.GET.get("q", "")[: selectors.MAX_QUERY_LENGTH],
        town=data.get("town", ""),
        theme=data.get("theme", ""),
        year=data.get("year", ""),
    )


@login_required
def library(request):
    if not request.user.has_perm("projects.read_library"):
        raise NotFound(_("This page does not exist, or you do not have access to it."))
    form, filters = _library_filters(request)
    page = selectors.library_search(filters=filters)
    return render(
        request,
        "projects/library.html",
        {
            "form": form,
            "page": page,
            "can_export": request.user.has_perm("projects.export_booklet"),
            "query_string": request.GET.urlencode(),
        },
    )


@login_required
def library_booklet(request):
    """The booklet from storage, rendered beforehand by a worker; while it is being made, a page that says so."""
    if not request.user.has_perm("projects.export_booklet"):
        raise NotAllowed(_("Only district staff can export the case booklet."))
    from fieldwork.projects import booklet, tasks

    _form, filters = _library_filters(request)
    language = translation.get_language()
    name = booklet.booklet_name(filters=filters, language=language)
    if default_storage.exists(name):
        response = FileResponse(open_stream(name), content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="model-cases.pdf"'
        response["X-Content-Type-Options"] = "nosniff"
        return response
    params = {"query": filters.query, "town": filters.town_id or "", "theme": filters.theme, "year": filters.year or ""}
    tasks.queue_booklet(params=params, language=language)
    return render(request, "projects/booklet_pending.html", {"query_string": request.GET.urlencode()}, status=202)


@login_required
@require_GET
def photo_status(request, photo_id: int):
    """JSON for the page script: pending, ready (with the copies' URLs) or failed."""
    photo = selectors.access_photo(user=request.user, photo_id=photo_id)
    return preview_status(
        photo,
        thumbnail_url=reverse("projects:photo", args=[photo.pk, "thumb"]),
        display_url=reverse("projects:photo", args=[photo.pk, "display"]),
    )


@login_required
def photo_file(request, photo_id: int, variant: str):
    photo = selectors.access_photo(user=request.user, photo_id=photo_id)
    if variant in PREVIEW_VARIANTS and photo.preview_state == PreviewState.PENDING:
        return preview_pending()
    path, content_type = {
        "thumb": (photo.thumbnail_path, "image/jpeg"),
        "display": (photo.display_path, "image/jpeg"),
        "original": (photo.path, photo.content_type),
    }.get(variant, (None, None))
    if not path:  # an unknown variant, or copies that could not be made
        raise NotFound()
    if variant == "original":
        audit_personal_data_read(request=request, verb="download.photo", target=photo)
    response = FileResponse(open_stream(path), content_type=content_type)
    # Stored types are checked by magic bytes; nosniff keeps the browser to the declared one.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    if variant == "original":
        response["Content-Disposition"] = f'attachment; filename="photo-{photo.pk}.{path.rsplit(".", 1)[-1]}"'
    return response
