"""Pages for running a cohort: the district overview, the cohort table, enrolment, the session schedule."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courses import exports, selectors, services
from courses.forms import (
    EnrolForm,
    InstructorForm,
    MoveForm,
    SessionForm,
    WithdrawForm,
    form_error,
)
from courses.models import Enrolment, Lesson, Teaching, Team
from courses.services.teaching import assignable_instructors_q, teaching_add, teaching_remove
from lms.audit_events import audit_personal_data_read
from lms.errors import ApplicationError, NotAllowed, NotFound, ValidationFailed
from lms.mobiles import normalise_mobile
from lms.models import Community, User
from lms.paging import page_of, query_without_page
from lms.predicates import enrollable_trainees_q, roles_of
from lms.selectors import choosable_communities, visible_mobiles
from lms.spreadsheets import table_response

# --- cohort tables and enrolment


@login_required
def district_overview(request):
    roles = roles_of(request.user)
    if not (request.user.is_superuser or roles.staff_district_ids):
        raise NotAllowed(_("Only district staff see the district overview."))
    return render(
        request, "courses/district_overview.html", {"overviews": selectors.district_cohort_overview(user=request.user)}
    )


@login_required
def cohort_detail(request, cohort_id: int):
    cohort = selectors.access_taught_cohort(user=request.user, cohort_id=cohort_id)
    return _cohort_page(request, cohort)


def _cohort_page(request, cohort, *, enrol_error=None):
    """The cohort page; with an enrolment error, the enrol form as typed and the message beside its field."""
    manages = request.user.has_perm("courses.manage_cohort", cohort)
    table = selectors.cohort_progress_table(cohort=cohort)
    context = {
        "cohort": cohort,
        "table": table,
        "page": page_of(table.rows, request),
        "query": query_without_page(request),
        "sessions": selectors.cohort_sessions(cohort=cohort),
        "manages": manages,
    }
    if request.user.has_perm("courses.schedule_session", cohort):
        context["in_person_lessons"] = (
            Lesson.objects.in_person()
            .filter(module__cohort=cohort)
            .order_by("module__phase", "module__position", "position")
        )
    if manages:
        context["communities"] = choosable_communities(user=request.user, district_id=cohort.district_id)
        context["teams"] = Team.objects.filter(cohort=cohort)
        context["enrol_form"] = EnrolForm()
        context["teachings"] = selectors.cohort_teachings(cohort=cohort)
        context["instructor_candidates"] = selectors.instructor_candidates(cohort=cohort, user=request.user)
    if enrol_error is not None:
        context.update(enrol_error=enrol_error, enrol_fields=enrol_error.fields, enrol_posted=request.POST)
    return render(
        request, "courses/cohort_detail.html", context, status=enrol_error.status_code if enrol_error else 200
    )


@login_required
@require_POST
def cohort_enrol(request, cohort_id: int):
    cohort = selectors.access_taught_cohort(user=request.user, cohort_id=cohort_id)
    if not request.user.has_perm("courses.manage_cohort", cohort):
        raise NotAllowed(_("You cannot enrol trainees in this cohort."))
    try:
        trainee = _enrol(request, cohort)
    except ApplicationError as error:  # every error keeps the typed form, the message beside its field
        return _cohort_page(request, cohort, enrol_error=error)
    messages.success(request, _("%(name)s is enrolled.") % {"name": trainee})
    return redirect("cohort-detail", cohort_id=cohort.pk)


def _enrol(request, cohort) -> User:
    form = EnrolForm(request.POST)
    if not form.is_valid():
        raise form_error(form)
    handle = form.cleaned_data["trainee"].strip()
    trainee = (
        User.objects.filter(Q(username=handle) | Q(mobile=handle), is_active=True)
        .filter(enrollable_trainees_q(request.user))
        .first()
    )
    if trainee is None:
        raise ValidationFailed(
            _("No user has the username or mobile number “%(handle)s”.") % {"handle": handle},
            code="unknown_user",
            fields={"trainee": [_("Unknown user.")]},
        )
    community = (
        choosable_communities(user=request.user, district_id=cohort.district_id)
        .filter(pk=form.cleaned_data["community"])
        .first()
    )
    if community is None:
        raise ValidationFailed(_("Choose a community."), fields={"community": [_("Unknown community.")]})
    team = None
    if form.cleaned_data["team"]:
        team = Team.objects.filter(pk=form.cleaned_data["team"]).first()
        if team is None:
            raise ValidationFailed(_("Choose a team of this cohort."), fields={"team": [_("Unknown team.")]})
    services.enrolment_create(
        cohort=cohort,
        trainee=trainee,
        community=community,
        team=team,
        actor=request.user,
        confirm=form.cleaned_data["confirm"],
    )
    return trainee


@login_required
@require_POST
def cohort_instructor_add(request, cohort_id: int):
    cohort = selectors.access_managed_cohort(user=request.user, cohort_id=cohort_id)
    form = InstructorForm(request.POST)
    if not form.is_valid():
        raise form_error(form)
    people = User.objects.filter(assignable_instructors_q(request.user))
    if form.cleaned_data["instructor"]:
        instructor = people.filter(pk=form.cleaned_data["instructor"]).first()
    else:
        handle = form.cleaned_data["handle"].strip()
        instructor = people.filter(Q(username=handle) | Q(mobile=normalise_mobile(handle))).first() if handle else None
    if instructor is None:
        raise ValidationFailed(
            _("No account you may assign matches; choose an instructor or type a username or mobile number."),
            code="unknown_user",
            fields={"handle": [_("Unknown user.")]},
        )
    teaching_add(cohort=cohort, instructor=instructor, actor=request.user)
    messages.success(request, _("%(name)s now teaches this cohort.") % {"name": instructor})
    return redirect("cohort-detail", cohort_id=cohort.pk)


@login_required
@require_POST
def cohort_instructor_remove(request, cohort_id: int, teaching_id: int):
    cohort = selectors.access_managed_cohort(user=request.user, cohort_id=cohort_id)
    teaching = Teaching.objects.select_related("instructor").filter(pk=teaching_id, cohort=cohort).first()
    if teaching is None:
        raise NotFound(_("This page does not exist, or you do not have access to it."))
    teaching_remove(teaching=teaching, actor=request.user)
    messages.success(request, _("%(name)s no longer teaches this cohort.") % {"name": teaching.instructor})
    return redirect("cohort-detail", cohort_id=cohort.pk)


@login_required
@require_POST
def enrolment_withdraw(request, enrolment_id: int):
    enrolment = Enrolment.objects.select_related("cohort", "trainee").filter(pk=enrolment_id).first()
    if enrolment is None or not request.user.has_perm("courses.teach_cohort", enrolment.cohort):
        raise NotFound(_("This page does not exist, or you do not have access to it."))
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        raise form_error(form)
    services.enrolment_withdraw(enrolment=enrolment, reason=form.cleaned_data["reason"], actor=request.user)
    messages.success(request, _("%(name)s is withdrawn.") % {"name": enrolment.trainee})
    return redirect("cohort-detail", cohort_id=enrolment.cohort_id)


@login_required
@require_POST
def session_schedule(request, cohort_id: int):
    cohort = selectors.access_taught_cohort(user=request.user, cohort_id=cohort_id)
    form = SessionForm(request.POST)
    if not form.is_valid():
        raise form_error(form)
    lesson = (
        Lesson.objects.select_related("module__cohort")
        .filter(pk=form.cleaned_data["lesson"], module__cohort=cohort)
        .first()
    )
    if lesson is None:
        raise ValidationFailed(
            _("Choose a lesson of this cohort."), code="unknown_id", fields={"lesson": [_("Unknown lesson.")]}
        )
    session = services.session_create(
        lesson=lesson,
        date=form.cleaned_data["date"],
        start_time=form.cleaned_data["start_time"],
        end_time=form.cleaned_data["end_time"],
        place=form.cleaned_data["place"],
        address=form.cleaned_data["address"],
        instructors=[request.user] if cohort.pk in roles_of(request.user).instructor_cohort_ids else [],
        actor=request.user,
        **{
            name: value
            for name in ("check_in_minutes_before", "check_in_minutes_after")
            if (value := form.cleaned_data[name]) is not None
        },
    )
    messages.success(request, _("The session is scheduled."))
    return redirect("attendance-sheet", session_id=session.pk)


@login_required
def attendance_export(request, cohort_id: int, fmt: str):
    cohort = selectors.access_taught_cohort(user=request.user, cohort_id=cohort_id)
    matrix = selectors.cohort_attendance_matrix(cohort=cohort)
    mobiles = visible_mobiles(user=request.user, people=[enrolment.trainee for enrolment, _statuses in matrix.rows])
    table = exports.attendance_table(matrix, title=_("Attendance"), mobiles=mobiles)
    audit_personal_data_read(request=request, verb="export.attendance", target=cohort, format=fmt)
    return table_response(table, fmt=fmt, name=f"{cohort.name}-{_('attendance')}")


# --- moving a trainee between teams and communities of its cohort


def _move_page(request, enrolment, form, *, error=None):
    cohort = enrolment.cohort
    fields = dict(error.fields) if error else {}
    for name, errors in form.errors.items() if form.is_bound else []:
        fields.setdefault(name, list(errors))
    return render(
        request,
        "courses/enrolment_move.html",
        {
            "enrolment": enrolment,
            "cohort": cohort,
            "form": form,
            "error": error,
            "field_errors": fields,
            "posted": request.POST if request.method == "POST" else {},
            "communities": choosable_communities(user=request.user, district_id=cohort.district_id),
            "teams": Team.objects.filter(cohort=cohort).order_by("name"),
            "history": enrolment.changes.select_related("changed_by", "from_community", "to_community").order_by(
                "-created_at", "-pk"
            ),
        },
        status=error.status_code if error else 200,
    )


@login_required
def enrolment_move(request, enrolment_id: int):
    """Move a trainee to another team or community of its cohort; every error re-renders the form."""
    from django.utils import timezone

    from courses.services.moves import enrolment_move as move

    enrolment = (
        Enrolment.objects.select_related("cohort", "trainee", "team", "community").filter(pk=enrolment_id).first()
    )
    if enrolment is None or not request.user.has_perm("courses.manage_cohort", enrolment.cohort):
        raise NotFound(_("This page does not exist, or you do not have access to it."))
    if request.method != "POST":
        form = MoveForm(
            initial={
                "community": enrolment.community_id,
                "team": enrolment.team_id,
                "effective_on": timezone.localdate(),
            }
        )
        return _move_page(request, enrolment, form)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _move_page(request, enrolment, form, error=form_error(form))
    data = form.cleaned_data
    cohort = enrolment.cohort
    try:
        community = (
            Community.objects.select_related("town")
            .filter(pk=data["community"], town__district_id=cohort.district_id)
            .first()
        )
        if community is None:
            raise ValidationFailed(_("Choose a community."), fields={"community": [_("Unknown community.")]})
        team = None
        if data["team"]:
            team = Team.objects.filter(pk=data["team"], cohort__district_id=cohort.district_id).first()
            if team is None:
                raise ValidationFailed(_("Choose a team of this cohort."), fields={"team": [_("Unknown team.")]})
        move(
            enrolment=enrolment,
            team=team,
            community=community,
            effective_on=data["effective_on"],
            reason=data["reason"],
            actor=request.user,
        )
    except ApplicationError as error:
        return _move_page(request, enrolment, form, error=error)
    messages.success(request, _("%(name)s is moved.") % {"name": enrolment.trainee})
    return redirect("cohort-detail", cohort_id=cohort.pk)
