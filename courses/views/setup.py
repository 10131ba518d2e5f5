"""Cohort set-up pages for district staff: cohorts, modules, lessons with reading material, sessions, the copy.

Each page fetches and authorises in one call ("not found" for a foreign or missing id), parses a form
and calls one service. A form or service error shows the form again with the message and a 4xx.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courses import selectors
from courses.models import Cohort, Lesson, LessonAttachment, Module, Session
from courses.services import copy as copy_services
from courses.services import setup as services
from courses.setup_forms import (
    AttachmentForm,
    CohortEditForm,
    CohortForm,
    CopyForm,
    LessonForm,
    ModuleForm,
    SessionSetupForm,
)
from lms.access import access
from lms.bodies import MULTIPART_MARGIN, accepts_body
from lms.errors import ApplicationError, NotAllowed, NotFound
from lms.predicates import district_scope_q, roles_of
from lms.registry import hooks
from lms.versions import StaleVersion, version_of


def _not_found():
    return NotFound(_("This page does not exist, or you do not have access to it."))


def require_staff(user) -> None:
    if not (user.is_superuser or roles_of(user).staff_district_ids):
        raise NotAllowed(_("Only district staff set up cohorts."))


def access_managed_cohort(*, user, cohort_id: int) -> Cohort:
    """The cohort if the user manages it (staff of its district); "not found" otherwise."""
    cohort = Cohort.objects.select_related("course", "district").filter(pk=cohort_id).first()
    if cohort is None or not user.has_perm("courses.manage_cohort", cohort):
        raise _not_found()
    return cohort


def access_managed_module(*, user, cohort_id: int, module_id: int) -> Module:
    module = Module.objects.select_related("cohort__course", "cohort__district").filter(pk=module_id).first()
    if module is None or module.cohort_id != cohort_id or not user.has_perm("courses.manage_cohort", module.cohort):
        raise _not_found()
    return module


def access_managed_lesson(*, user, lesson_id: int) -> Lesson:
    lesson = (
        Lesson.objects.select_related("module__cohort__course", "module__cohort__district").filter(pk=lesson_id).first()
    )
    if lesson is None or not user.has_perm("courses.manage_cohort", lesson.module.cohort):
        raise _not_found()
    return lesson


def form_page(request, template: str, context: dict, *, error: ApplicationError | None = None):
    """The form page; with a form's errors 400, with a service's error its status and message."""
    form = context.get("form")
    status = 200
    if error is not None:
        status = error.status_code
        context["error"] = error.message
        if isinstance(error, StaleVersion) and form is not None and form.is_bound:
            # The form stays as typed and now carries the current version: a second save replaces it.
            form.data = form.data.copy()
            form.data["version"] = error.current
            error.fields = {}
        if form is not None and form.is_bound and error.fields:
            for name, field_errors in error.fields.items():
                for text in field_errors:
                    form.add_error(name if name in form.fields else None, text)
    elif form is not None and form.is_bound and form.errors:
        status = 400
        context["error"] = _("Please correct the marked fields.")
    return render(request, template, context, status=status)


# --- cohorts


@login_required
@require_GET
def cohort_list(request):
    require_staff(request.user)
    cohorts = (
        Cohort.objects.filter(district_scope_q(request.user, Cohort))
        .select_related("course", "district")
        .annotate(module_count=Count("modules", distinct=True))
        .order_by("-year", "name")
    )
    return render(request, "courses/setup/cohort_list.html", {"cohorts": cohorts})


@login_required
def cohort_create(request):
    require_staff(request.user)
    form = CohortForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            cohort = services.cohort_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            return form_page(request, "courses/setup/form.html", {"form": form, "title": _("New cohort")}, error=error)
        messages.success(request, _("The cohort %(name)s is created.") % {"name": cohort.name})
        return redirect("setup-cohort", cohort_id=cohort.pk)
    return form_page(request, "courses/setup/form.html", {"form": form, "title": _("New cohort")})


@login_required
@require_GET
def cohort_overview(request, cohort_id: int):
    cohort = access_managed_cohort(user=request.user, cohort_id=cohort_id)
    modules = (
        Module.objects.filter(cohort=cohort)
        .prefetch_related(
            "requires",
            # Meta.ordering is dropped from aggregating queries: the order is spelled out.
            Prefetch(
                "lessons",
                queryset=Lesson.objects.annotate(attachment_count=Count("attachments")).order_by("position", "pk"),
            ),
            *[prefetch for part in hooks("cohort_setup_prefetches") for prefetch in part()],  # assignments
        )
        .order_by("phase", "position")
    )
    sessions = (
        Session.objects.filter(cohort=cohort)
        .select_related("lesson", "team", "community")
        .prefetch_related("instructors")
        .order_by("starts_at")
    )
    modules = list(modules)
    for index, module in enumerate(modules):  # the arrows a module shows: neighbours within its phase only
        module.first_in_phase = index == 0 or modules[index - 1].phase != module.phase
        module.last_in_phase = index == len(modules) - 1 or modules[index + 1].phase != module.phase
    context = {
        "cohort": cohort,
        "modules": modules,
        "delete_rules": list(DELETE_RULES.values()),
        "sessions": sessions,
    }
    for part in hooks("cohort_setup_context"):  # the completion rule and certificate template (certificates)
        context.update(part(cohort))
    return render(request, "courses/setup/cohort.html", context)


@login_required
def cohort_edit(request, cohort_id: int):
    cohort = access_managed_cohort(user=request.user, cohort_id=cohort_id)
    initial = {
        "name": cohort.name,
        "starts_on": cohort.starts_on,
        "ends_on": cohort.ends_on,
        "version": version_of(cohort),
    }
    form = CohortEditForm(request.POST or None, initial=initial)
    context = {"form": form, "title": _("Change the cohort"), "cohort": cohort}
    if request.method == "POST" and form.is_valid():
        try:
            services.cohort_update(cohort=cohort, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            return form_page(request, "courses/setup/form.html", context, error=error)
        messages.success(request, _("The cohort is saved."))
        return redirect("setup-cohort", cohort_id=cohort.pk)
    return form_page(request, "courses/setup/form.html", context)


# --- modules


def _module_page(request, cohort, module=None):
    initial = {}
    if module is not None:
        initial = {
            "phase": module.phase,
            "position": module.position,
            "title": module.title,
            "summary": module.summary,
            "requires": list(module.requires.values_list("pk", flat=True)),
            "version": version_of(module),
        }
    else:
        initial = {"position": Module.objects.filter(cohort=cohort).count() + 1}
    form = ModuleForm(request.POST or None, cohort=cohort, module=module, initial=initial)
    title = _("Change the module") if module else _("New module")
    context = {"form": form, "title": title, "cohort": cohort, "module": module}
    if module is not None:
        context["delete_url"] = reverse("setup-module-delete", args=[module.pk])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.module_save(
                cohort=cohort,
                module=module,
                phase=data["phase"],
                position=data["position"],
                title=data["title"],
                summary=data["summary"],
                requires=list(data["requires"]),
                actor=request.user,
                version=data["version"],
            )
        except ApplicationError as error:
            return form_page(request, "courses/setup/form.html", context, error=error)
        messages.success(request, _("The module %(title)s is saved.") % {"title": saved.title})
        return redirect("setup-cohort", cohort_id=cohort.pk)
    return form_page(request, "courses/setup/form.html", context)


@login_required
def module_create(request, cohort_id: int):
    return _module_page(request, access_managed_cohort(user=request.user, cohort_id=cohort_id))


@login_required
def module_edit(request, cohort_id: int, module_id: int):
    module = access_managed_module(user=request.user, cohort_id=cohort_id, module_id=module_id)
    return _module_page(request, module.cohort, module)


# --- lessons and reading material


def _lesson_page(request, module, lesson=None, *, error=None):
    if lesson is not None:
        initial = {k: getattr(lesson, k) for k in ("position", "kind", "title", "body", "duration_minutes")}
        initial["version"] = version_of(lesson)
    else:
        initial = {"position": module.lessons.count() + 1, "duration_minutes": 90}
    post = request.POST if request.method == "POST" and error is None else None
    form = LessonForm(post, initial=initial)
    context = {
        "form": form,
        "title": _("Change the lesson") if lesson else _("New lesson"),
        "cohort": module.cohort,
        "module": module,
        "lesson": lesson,
        "attachments": list(lesson.attachments.all()) if lesson else [],
        "attachment_form": AttachmentForm(),
        "delete_url": reverse("setup-lesson-delete", args=[lesson.pk]) if lesson else "",
    }
    if error is not None:
        return form_page(request, "courses/setup/lesson.html", context, error=error)
    if post is not None and form.is_valid():
        try:
            saved = services.lesson_save(module=module, lesson=lesson, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            return form_page(request, "courses/setup/lesson.html", context, error=error)
        messages.success(request, _("The lesson %(title)s is saved.") % {"title": saved.title})
        return redirect("setup-lesson", lesson_id=saved.pk)
    return form_page(request, "courses/setup/lesson.html", context)


@login_required
def lesson_create(request, cohort_id: int, module_id: int):
    module = access_managed_module(user=request.user, cohort_id=cohort_id, module_id=module_id)
    return _lesson_page(request, module)


@login_required
def lesson_edit(request, lesson_id: int):
    lesson = access_managed_lesson(user=request.user, lesson_id=lesson_id)
    return _lesson_page(request, lesson.module, lesson)


@accepts_body(services.ATTACHMENT_MAX_SIZE + MULTIPART_MARGIN)
@csrf_exempt  # the token is checked below, after the upload limits are in place
@login_required
@require_POST
def attachment_upload(request, lesson_id: int):
    """Add reading material: refused by length before the body is read, by size while streaming."""
    from lms import uploads

    lesson = access_managed_lesson(user=request.user, lesson_id=lesson_id)
    try:
        uploads.guard_content_length(request, max_body=services.ATTACHMENT_MAX_SIZE)
    except ApplicationError as error:
        return render(
            request,
            "error.html",
            {"message": error.message, "code": error.code, "status": error.status_code},
            status=error.status_code,
        )
    uploads.install_upload_limits(request, max_file_size=services.ATTACHMENT_MAX_SIZE)
    return _attachment_upload(request, lesson)


@csrf_protect
def _attachment_upload(request, lesson):
    try:
        attachment = services.lesson_attachment_add(lesson=lesson, upload=request.FILES.get("file"), actor=request.user)
    except ApplicationError as error:
        return _lesson_page(request, lesson.module, lesson, error=error)
    messages.success(request, _("“%(name)s” is added.") % {"name": attachment.name})
    return redirect("setup-lesson", lesson_id=lesson.pk)


@login_required
@require_POST
def attachment_remove(request, attachment_id: int):
    attachment = LessonAttachment.objects.select_related("lesson__module__cohort").filter(pk=attachment_id).first()
    if attachment is None or not request.user.has_perm("courses.manage_cohort", attachment.lesson.module.cohort):
        raise _not_found()
    services.lesson_attachment_remove(attachment=attachment, actor=request.user)
    messages.info(request, _("“%(name)s” is removed.") % {"name": attachment.name})
    return redirect("setup-lesson", lesson_id=attachment.lesson_id)


@login_required
@require_GET
def attachment_download(request, attachment_id: int):
    """Reading material for everyone who may view the cohort: its trainees, instructors and staff."""
    from lms.downloads import serve_stored

    attachment = LessonAttachment.objects.select_related("lesson__module__cohort").filter(pk=attachment_id).first()
    if attachment is None or not request.user.has_perm("courses.view_cohort_content", attachment.lesson.module.cohort):
        raise _not_found()
    return serve_stored(attachment, variant=request.GET.get("variant", ""))


# --- sessions


def _session_page(request, cohort, session=None):
    initial = {}
    if session is not None:
        from django.utils import timezone

        starts, ends = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
        initial = {
            "lesson": session.lesson_id,
            "date": starts.date(),
            "start_time": starts.time(),
            "end_time": ends.time(),
            "place": session.place,
            "address": session.address,
            "instructors": list(session.instructors.values_list("pk", flat=True)),
            "team": session.team_id,
            "community": session.community_id,
            "version": version_of(session),
        }
    form = SessionSetupForm(request.POST or None, cohort=cohort, user=request.user, initial=initial)
    context = {
        "form": form,
        "title": _("Change the session") if session else _("New session"),
        "cohort": cohort,
        "hint": _("Within the cohort's run: %(start)s to %(end)s.")
        % {"start": cohort.starts_on, "end": cohort.ends_on},
        "delete_url": reverse("setup-session-delete", args=[session.pk]) if session else "",
    }
    if request.method == "POST" and form.is_valid():
        try:
            services.session_save(cohort=cohort, session=session, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            return form_page(request, "courses/setup/form.html", context, error=error)
        messages.success(request, _("The session is saved."))
        return redirect("setup-cohort", cohort_id=cohort.pk)
    return form_page(request, "courses/setup/form.html", context)


@login_required
def session_create(request, cohort_id: int):
    return _session_page(request, access_managed_cohort(user=request.user, cohort_id=cohort_id))


@login_required
def session_edit(request, session_id: int):
    session = Session.objects.select_related("cohort__district", "cohort__course").filter(pk=session_id).first()
    if session is None or not request.user.has_perm("courses.manage_cohort", session.cohort):
        raise _not_found()
    return _session_page(request, session.cohort, session)


# --- next year's cohort


@login_required
def cohort_copy(request, cohort_id: int):
    source = access_managed_cohort(user=request.user, cohort_id=cohort_id)
    year = source.year + 1
    initial = {"district": source.district_id, "year": year, "name": copy_services.default_copy_name(source, year)}
    form = CopyForm(request.POST or None, user=request.user, initial=initial)
    context = {"form": form, "cohort": source, "plan": copy_services.cohort_copy_plan(cohort=source)}
    if request.method == "POST" and form.is_valid():
        try:
            cohort = copy_services.cohort_copy(source=source, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            return form_page(request, "courses/setup/copy.html", context, error=error)
        messages.success(
            request, _("%(name)s is created from %(source)s.") % {"name": cohort.name, "source": source.name}
        )
        return redirect("setup-cohort", cohort_id=cohort.pk)
    return form_page(request, "courses/setup/copy.html", context)


# --- removing and reordering: a confirmation page that says what holds the row, then one service call

# What may be deleted, stated on the confirmation pages and the overview.
DELETE_RULES = {
    "module": gettext_lazy(
        "A module can be deleted while it has no lessons and no assignments and no other module requires it."
    ),
    "lesson": gettext_lazy(
        "A lesson can be deleted while no trainee has finished it, no session is scheduled for it and the "
        "completion rules do not require it. Its reading material is deleted with it."
    ),
    "session": gettext_lazy("A session can be deleted while no attendance is recorded for it."),
    "assignment": gettext_lazy(
        "An assignment can be deleted while nobody has started work on it (not even a draft) and no extension "
        "has been granted. Its rubric is deleted with it."
    ),
}


def delete_page(request, *, kind: str, name: str, holds: list[str], back: str, delete, done: str, message: str):
    """GET: what would be deleted, or what holds it. POST: the service; its refusal shows here with its status."""
    context = {"kind": kind, "name": name, "rule": DELETE_RULES[kind], "holds": holds, "back": back}
    if request.method == "POST":
        try:
            delete()
        except ApplicationError as error:
            context["error"] = error.message
            return render(request, "courses/setup/delete.html", context, status=error.status_code)
        messages.success(request, message)
        return redirect(done)
    return render(request, "courses/setup/delete.html", context)


def _managed(queryset, pk, user, cohort_of):
    return access(queryset, pk, user=user, perm="courses.manage_cohort", on=cohort_of)


def overview_url(cohort_id: int, anchor: str = "") -> str:
    return reverse("setup-cohort", args=[cohort_id]) + (f"#{anchor}" if anchor else "")


@login_required
@require_http_methods(["GET", "POST"])
def module_delete(request, module_id):
    module = _managed(Module.objects.select_related("cohort"), module_id, request.user, lambda m: m.cohort)
    back = overview_url(module.cohort_id, f"module-{module.pk}")
    return delete_page(
        request,
        kind="module",
        name=module.title,
        holds=selectors.module_holds(module=module),
        back=back,
        delete=lambda: services.module_delete(module=module, actor=request.user),
        done=overview_url(module.cohort_id),
        message=_("The module %(title)s is deleted.") % {"title": module.title},
    )


@login_required
@require_POST
def module_move(request, module_id):
    module = _managed(Module.objects.select_related("cohort"), module_id, request.user, lambda m: m.cohort)
    services.module_move(module=module, direction=request.POST.get("direction", ""), actor=request.user)
    return redirect(overview_url(module.cohort_id, f"module-{module.pk}"))


@login_required
@require_http_methods(["GET", "POST"])
def lesson_delete(request, lesson_id):
    lesson = _managed(
        Lesson.objects.select_related("module__cohort"), lesson_id, request.user, lambda lesson: lesson.module.cohort
    )
    return delete_page(
        request,
        kind="lesson",
        name=lesson.title,
        holds=selectors.lesson_holds(lesson=lesson),
        back=reverse("setup-lesson", args=[lesson.pk]),
        delete=lambda: services.lesson_delete(lesson=lesson, actor=request.user),
        done=overview_url(lesson.module.cohort_id, f"module-{lesson.module_id}"),
        message=_("The lesson %(title)s is deleted.") % {"title": lesson.title},
    )


@login_required
@require_POST
def lesson_move(request, lesson_id):
    lesson = _managed(
        Lesson.objects.select_related("module__cohort"), lesson_id, request.user, lambda lesson: lesson.module.cohort
    )
    services.lesson_move(lesson=lesson, direction=request.POST.get("direction", ""), actor=request.user)
    return redirect(overview_url(lesson.module.cohort_id, f"module-{lesson.module_id}"))


@login_required
@require_http_methods(["GET", "POST"])
def session_delete(request, session_id):
    from django.utils import timezone

    session = _managed(Session.objects.select_related("cohort", "lesson"), session_id, request.user, lambda s: s.cohort)
    name = f"{session.lesson.title} {timezone.localtime(session.starts_at):%Y-%m-%d %H:%M}"
    return delete_page(
        request,
        kind="session",
        name=name,
        holds=selectors.session_holds(session=session),
        back=reverse("setup-session", args=[session.pk]),
        delete=lambda: services.session_delete(session=session, actor=request.user),
        done=overview_url(session.cohort_id, "sessions"),
        message=_("The session %(name)s is deleted.") % {"name": name},
    )
