"""Pages for in-person sessions: trainee check-in, the projector screen, the attendance sheet."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from courses import checkin_codes, selectors, services
from courses.forms import (
    AttendanceCorrectForm,
    AttendanceRecordForm,
    CheckInForm,
    form_error,
)
from courses.models import AttendanceSource, Enrolment
from lms.errors import NotFound
from lms.paging import ROWS_PER_PAGE, page_of, query_without_page
from lms.qr import qr_svg


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


# --- trainee check-in


@login_required
def check_in_list(request):
    """The trainee's sessions whose check-in is open now, each with a code form."""
    sessions = selectors.open_sessions_for_trainee(user=request.user)
    return render(request, "courses/check_in_list.html", {"sessions": sessions, "form": CheckInForm()})


@login_required
@never_cache
def check_in(request, session_id: int):
    """Check in at one session: by the QR code's token (?t=...) or by typing the short code.

    A user who may not view the session still gets the explicit refusal of the service, never a false success.
    """
    from courses.models import Session

    session = Session.objects.select_related("lesson", "cohort").filter(pk=session_id).first()
    if session is None:
        raise NotFound(_("This session does not exist."))
    if request.method == "POST":
        form = CheckInForm(request.POST)
        if not form.is_valid():  # e.g. a code too long: the page again with the message, never a bare error page
            visible = request.user.has_perm("courses.view_cohort_content", session)
            error = form_error(form)
            context = {"session": session if visible else None, "session_id": session_id, "refusal": error}
            return render(request, "courses/check_in.html", context, status=error.status_code)
        try:
            attendance, created = services.attendance_check_in(
                session=session,
                user=request.user,
                token=form.cleaned_data["token"],
                code=form.cleaned_data["code"],
                offline=bool(form.cleaned_data["scanned_at"]),
            )
        except services.CheckInRefused as refusal:
            # Show the refusal above the code form, so a mistyped code is retyped at once.
            visible = request.user.has_perm("courses.view_cohort_content", session)
            context = {"session": session if visible else None, "session_id": session_id, "refusal": refusal}
            return render(request, "courses/check_in.html", context, status=refusal.status_code)
        return render(
            request,
            "courses/check_in_done.html",
            {
                "session": session,
                "attendance": attendance,
                "created": created,
                "offline": attendance.source == AttendanceSource.OFFLINE,
            },
        )
    visible = request.user.has_perm("courses.view_cohort_content", session)
    form = CheckInForm(initial={"token": request.GET.get("t", "")})
    return render(
        request,
        "courses/check_in.html",
        {
            "session": session if visible else None,
            "session_id": session_id,
            "form": form,
            "token": request.GET.get("t"),
        },
    )


# --- instructor: projector screen, sheet, live list


def _screen_state(request, session, *, with_code: bool = True) -> dict:
    """Who is missing, and (for the projected screen) the current code and QR; the sheet asks without them."""
    missing = selectors.not_checked_in(session=session)
    now = timezone.now()
    is_open = session.is_check_in_open_at(now)
    state = {
        "open": is_open,
        "closed": not is_open and now > session.check_in_closes_at,
        "not_checked_in": [
            {"id": e.pk, "name": e.trainee.full_name, "team": e.team.name if e.team else ""} for e in missing
        ],
    }
    # Outside the window the screen shows no code: before it a code would be refused, after it too.
    if with_code and is_open:
        token = checkin_codes.token_for(session.pk)
        url = request.build_absolute_uri(reverse("check-in", args=[session.pk])) + f"?t={token}"
        state.update(
            code=checkin_codes.code_for(session.pk),
            qr_svg=qr_svg(url, box_size=12),
            check_in_url=url,
            seconds_to_rotation=checkin_codes.seconds_to_rotation(),
        )
    return state


@login_required
@never_cache
def check_in_screen(request, session_id: int):
    session = selectors.access_session(user=request.user, session_id=session_id, perm="courses.record_attendance")
    return render(
        request, "courses/check_in_screen.html", {"session": session, "state": _screen_state(request, session)}
    )


@login_required
@never_cache
def check_in_screen_state(request, session_id: int):
    """The screen's rotating code, QR and who is missing, for the page's polling script."""
    session = selectors.access_session(user=request.user, session_id=session_id, perm="courses.record_attendance")
    return JsonResponse(_screen_state(request, session, with_code=request.GET.get("only") != "missing"))


@login_required
def attendance_sheet(request, session_id: int):
    session = selectors.access_session(user=request.user, session_id=session_id, perm="courses.record_attendance")
    only = selectors.sheet_filter(
        session=session,
        search=request.GET.get("q", ""),
        team=request.GET.get("team", ""),
        community=request.GET.get("community", ""),
    )
    rows = selectors.attendance_sheet(session=session, only=only)
    return render(
        request,
        "courses/attendance_sheet.html",
        {
            "session": session,
            "instructors": list(session.instructors.all()),
            # A phone shows 50 trainees at a time, a filtered sheet all it found; "missing" lists everyone.
            "page": page_of(rows, request, per_page=max(len(rows), 1) if only.active else ROWS_PER_PAGE),
            "query": query_without_page(request),
            "only": only,
            "missing": selectors.not_checked_in(session=session),
            "statuses": services.attendance.AttendanceStatus.choices,
            "correct_form": AttendanceCorrectForm(),
        },
    )


@login_required
@require_POST
def attendance_record(request, session_id: int):
    session = selectors.access_session(user=request.user, session_id=session_id, perm="courses.record_attendance")
    form = AttendanceRecordForm(request.POST)
    if not form.is_valid():
        raise form_error(form)
    enrolment = Enrolment.objects.filter(pk=form.cleaned_data["enrolment"], cohort_id=session.cohort_id).first()
    if enrolment is None:
        raise NotFound(_("This trainee is not in the session's cohort."))
    attendance = services.attendance_record(
        session=session, enrolment=enrolment, status=form.cleaned_data["status"], actor=request.user
    )
    if _wants_json(request):
        return JsonResponse({"enrolment": enrolment.pk, "status": attendance.status})
    return redirect(f"{reverse('attendance-sheet', args=[session.pk])}#enrolment-{enrolment.pk}")


@login_required
@require_POST
def attendance_correct(request, attendance_id: int):
    attendance = selectors.access_attendance(
        user=request.user, attendance_id=attendance_id, perm="courses.record_attendance"
    )
    form = AttendanceCorrectForm(request.POST)
    if not form.is_valid():
        raise form_error(form)
    services.attendance_correct(
        attendance=attendance,
        status=form.cleaned_data["status"],
        reason=form.cleaned_data["reason"],
        actor=request.user,
    )
    messages.success(request, _("The correction is saved."))
    return redirect(f"{reverse('attendance-sheet', args=[attendance.session_id])}#enrolment-{attendance.enrolment_id}")
