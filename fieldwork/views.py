"""Pages of field assignments: thin, one access call and one service call each."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from courses import selectors as course_selectors
from fieldwork import exports, selectors, services
from fieldwork.models import Objection, ObjectionOutcome, SubmissionState, WorkMode
from fieldwork.services.grading import OwnWork, grading_refusal
from lms import uploads
from lms.access import parse_id
from lms.audit_events import audit_personal_data_read
from lms.bodies import MULTIPART_MARGIN, UPLOAD_CEILING, accepts_body
from lms.downloads import preview_status, serve_stored
from lms.errors import ApplicationError, Conflict, NotAllowed, NotFound, ValidationFailed
from lms.middleware import refuse_nul_bytes
from lms.paging import page_of, query_without_page
from lms.selectors import visible_mobiles
from lms.spreadsheets import table_response

FEEDBACK_MAX_BYTES = 50 * 1024 * 1024  # files an instructor attaches to its feedback, in one request
GRADABLE_STATES = {SubmissionState.SUBMITTED, SubmissionState.GRADED, SubmissionState.OBJECTED}


def _enrolment(request, cohort):
    return course_selectors.trainee_enrolment(user=request.user, cohort=cohort)


@login_required
def module_assignments(request, module_id: int):
    module = course_selectors.access_module(user=request.user, module_id=module_id)
    enrolment = _enrolment(request, module.cohort)
    rows = selectors.module_assignments(module=module, enrolment=enrolment)
    teaches = request.user.has_perm("courses.teach_cohort", module.cohort)
    return render(
        request,
        "fieldwork/module_assignments.html",
        {"module": module, "cohort": module.cohort, "rows": rows, "enrolment": enrolment, "teaches": teaches},
    )


def _assignment_page(request, assignment, *, error: ApplicationError | None = None):
    cohort = assignment.module.cohort
    enrolment = _enrolment(request, cohort)
    submission = selectors.own_submission(assignment=assignment, enrolment=enrolment)
    detail = selectors.submission_detail(submission=submission, user=request.user) if submission else None
    teaches = request.user.has_perm("courses.teach_cohort", cohort)
    context = {
        "assignment": assignment,
        "cohort": cohort,
        "enrolment": enrolment,
        "detail": detail,
        "teaches": teaches,
        "submissions": selectors.assignment_submissions(assignment=assignment) if teaches else [],
        "owners": selectors.extension_owners(assignment=assignment) if teaches else [],
        "missing": selectors.not_handed_in(assignment=assignment) if teaches else [],
        "accept": ",".join(f".{ext}" for ext in assignment.allowed_extensions),
        "error": error,
        "team_needed": assignment.mode == WorkMode.TEAM and enrolment is not None and not enrolment.team_id,
        "due": selectors.trainee_due_dates(enrolment=enrolment, assignments=[assignment])[assignment.pk],
    }
    return render(request, "fieldwork/assignment.html", context, status=error.status_code if error is not None else 200)


@login_required
@require_GET
def assignment_detail(request, assignment_id: int):
    assignment = selectors.access_assignment(user=request.user, assignment_id=assignment_id)
    return _assignment_page(request, assignment)


@accepts_body(UPLOAD_CEILING)  # the assignment's own total is checked below
@csrf_exempt  # the token is checked below, after the upload limits are in place
@login_required
@require_POST
def assignment_upload(request, assignment_id: int):
    """Add files to the trainee's draft: refused by length before reading, by size while streaming."""
    assignment = selectors.access_assignment(user=request.user, assignment_id=assignment_id)
    try:
        uploads.guard_content_length(request, max_body=assignment.max_total_size)
    except ApplicationError as error:
        return render(
            request,
            "error.html",
            {"message": error.message, "code": error.code, "status": error.status_code},
            status=error.status_code,
        )
    uploads.install_upload_limits(request, max_file_size=assignment.max_file_size)
    refuse_nul_bytes(request)
    return _assignment_upload(request, assignment)


@csrf_protect
def _assignment_upload(request, assignment):
    enrolment = _enrolment(request, assignment.module.cohort)
    if enrolment is None:
        raise NotAllowed(_("Only trainees of this cohort can hand in work."))
    try:
        submission = services.submission_start(assignment=assignment, enrolment=enrolment, actor=request.user)
        files = services.submission_file_add(
            submission=submission, uploads_=request.FILES.getlist("files"), actor=request.user
        )
    except ApplicationError as error:
        return _assignment_page(request, assignment, error=error)
    messages.success(
        request,
        ngettext("%(count)d file added to your draft.", "%(count)d files added to your draft.", len(files))
        % {"count": len(files)},
    )
    return redirect("fieldwork:assignment-detail", assignment_id=assignment.pk)


@login_required
@require_POST
def submission_file_remove(request, file_id: int):
    file = selectors.access_submission_file(user=request.user, file_id=file_id)
    services.submission_file_remove(file=file, actor=request.user)
    messages.info(request, _("“%(name)s” was removed from your draft.") % {"name": file.name})
    return redirect("fieldwork:assignment-detail", assignment_id=file.submission.assignment_id)


@login_required
@require_POST
def submission_submit(request, submission_id: int):
    submission = selectors.access_submission(user=request.user, submission_id=submission_id)
    try:
        services.submission_save_draft(submission=submission, note=request.POST.get("note", ""), actor=request.user)
        version = services.submission_submit(submission=submission, actor=request.user)
    except ApplicationError as error:
        return _assignment_page(request, submission.assignment, error=error)
    if version.is_late:
        messages.warning(request, _("Version %(number)d was handed in late.") % {"number": version.number})
    else:
        messages.success(request, _("Version %(number)d was handed in.") % {"number": version.number})
    return redirect("fieldwork:assignment-detail", assignment_id=submission.assignment_id)


@login_required
@require_POST
def objection_raise(request, submission_id: int):
    submission = selectors.access_submission(user=request.user, submission_id=submission_id)
    try:
        services.objection_raise(submission=submission, reason=request.POST.get("reason", ""), actor=request.user)
    except ApplicationError as error:
        return _assignment_page(request, submission.assignment, error=error)
    messages.success(request, _("Your objection was sent to the instructor."))
    return redirect("fieldwork:assignment-detail", assignment_id=submission.assignment_id)


# --- files


@login_required
@require_GET
def file_download(request, file_id: int):
    file = selectors.access_submission_file(user=request.user, file_id=file_id)
    return serve_stored(file, variant=request.GET.get("variant", ""), audit_request=request)


@login_required
@require_GET
def file_preview_status(request, file_id: int):
    """JSON for the page script: pending, ready (with the copies' URLs) or failed."""
    file = selectors.access_submission_file(user=request.user, file_id=file_id)
    url = reverse("fieldwork:file-download", args=[file.pk])
    return preview_status(file, thumbnail_url=f"{url}?variant=thumb", display_url=f"{url}?variant=display")


@login_required
@require_GET
def feedback_file_download(request, file_id: int):
    file = selectors.access_feedback_file(user=request.user, file_id=file_id)
    return serve_stored(file, variant=request.GET.get("variant", ""), audit_request=request)


# --- instructors


@login_required
def grading_queue(request):
    queue = selectors.grading_queue(user=request.user)
    return render(request, "fieldwork/grading_queue.html", {"queue": queue})


def parse_scores(post, criteria) -> list[services.ScoreInput]:
    scores = []
    for criterion in criteria:
        level, points = post.get(f"level_{criterion.pk}"), post.get(f"points_{criterion.pk}")
        if not level or points in (None, ""):
            raise ValidationFailed(
                _("Choose a level and points for “%(criterion)s”.") % {"criterion": criterion.title},
                code="rubric_incomplete",
            )
        try:
            scores.append(services.ScoreInput(int(criterion.pk), int(level), Decimal(points)))
        except (ValueError, InvalidOperation):
            raise ValidationFailed(_("Points must be a number."), code="score_out_of_range") from None
    return scores


def parse_adjustments(post, submission) -> list[services.AdjustmentInput]:
    adjustments = []
    for key in post:
        if key.startswith("adjust_total_") and post[key].strip():
            enrolment_id = key.removeprefix("adjust_total_")
            try:
                total = Decimal(post[key])
                adjustments.append(
                    services.AdjustmentInput(int(enrolment_id), total, post.get(f"adjust_reason_{enrolment_id}", ""))
                )
            except (ValueError, InvalidOperation):
                raise ValidationFailed(_("An adjusted score must be a number."), code="score_out_of_range") from None
    return adjustments


def _grade_page(request, submission, *, error=None):
    assignment = selectors.access_assignment(user=request.user, assignment_id=submission.assignment_id)
    detail = selectors.submission_detail(submission=submission, user=request.user)
    members = []
    if submission.team_id:
        members = list(submission.team.members.select_related("trainee").order_by("trainee__full_name"))
    # A re-grade starts from the current grade: each criterion's level and points, each member's adjustment.
    current = detail.latest_grade
    scores = {s.criterion_id: s for s in current.scores.all()} if current else {}
    adjustments = {a.enrolment_id: a for a in current.adjustments.all()} if current else {}
    criteria = list(assignment.criteria.prefetch_related("levels"))
    for criterion in criteria:
        criterion.current = scores.get(criterion.pk)
        # After an error the page shows what was typed, not the saved grade.
        criterion.chosen_level = (
            request.POST.get(f"level_{criterion.pk}", "")
            if error
            else (str(criterion.current.level_id) if criterion.current else "")
        )
        criterion.chosen_points = (
            request.POST.get(f"points_{criterion.pk}", "")[:12]
            if error
            else (criterion.current.points if criterion.current else "")
        )
    for member in members:
        member.current_adjustment = adjustments.get(member.pk)
    can_grade = request.user.has_perm("fieldwork.grade_submission", submission)
    return render(
        request,
        "fieldwork/grade.html",
        {
            "submission": submission,
            "assignment": assignment,
            "criteria": criteria,
            "current": current,
            "detail": detail,
            "members": members,
            "error": error,
            "posted": request.POST if error else {},
            "can_grade": can_grade,
            "gradable": can_grade and submission.state in GRADABLE_STATES,
            "correcting": submission.is_correctable and request.user.has_perm("fieldwork.correct_grade", submission),
            "is_final": submission.state == SubmissionState.FINAL,
            "own_work": isinstance(grading_refusal(submission, request.user), OwnWork),
        },
        status=error.status_code if error else 200,
    )


@accepts_body(FEEDBACK_MAX_BYTES + MULTIPART_MARGIN)
@csrf_exempt
@login_required
def submission_grade(request, submission_id: int):
    submission = selectors.access_submission(user=request.user, submission_id=submission_id)
    # Staff of the district may look at the work; only the cohort's instructors grade it.
    if not request.user.has_perm("courses.teach_cohort", submission.assignment.module.cohort):
        raise NotAllowed(_("Only instructors of this cohort can grade its work."))
    if request.method == "POST":
        if not (
            request.user.has_perm("fieldwork.grade_submission", submission)
            or request.user.has_perm("fieldwork.correct_grade", submission)
        ):
            raise grading_refusal(submission, request.user)
        uploads.guard_content_length(request, max_body=FEEDBACK_MAX_BYTES)
        uploads.install_upload_limits(request, max_file_size=FEEDBACK_MAX_BYTES)
        refuse_nul_bytes(request)  # after the guard: the middleware left this body unread
    return _submission_grade(request, submission)


@csrf_protect
def _submission_grade(request, submission):
    if request.method != "POST":
        return _grade_page(request, submission)
    action = request.POST.get("action")
    feedback = request.POST.get("feedback", "")
    files = request.FILES.getlist("feedback_files")
    try:
        if action == "return":
            services.submission_return(
                submission=submission, feedback=feedback, feedback_files=files, actor=request.user
            )
            messages.success(request, _("The work was returned for revision."))
        elif action == "correct":
            services.grade_correct(
                submission=submission,
                scores=parse_scores(request.POST, submission.assignment.criteria.all()),
                feedback=feedback,
                adjustments=parse_adjustments(request.POST, submission),
                reason=request.POST.get("reason", ""),
                actor=request.user,
            )
            messages.success(request, _("The grade was corrected; the trainee is told why."))
        elif action in {"uphold", "regrade"}:
            objection = Objection.objects.filter(submission=submission).first()
            if objection is None:
                raise Conflict(_("This work has no objection to answer."), code="no_objection")
            scores = parse_scores(request.POST, submission.assignment.criteria.all()) if action == "regrade" else []
            services.objection_resolve(
                objection=objection,
                outcome=ObjectionOutcome.UPHELD if action == "uphold" else ObjectionOutcome.REGRADED,
                response=request.POST.get("response", ""),
                scores=scores,
                feedback=feedback,
                adjustments=parse_adjustments(request.POST, submission),
                actor=request.user,
            )
            messages.success(request, _("The objection was answered; the grade is now final."))
        else:
            services.submission_grade(
                submission=submission,
                scores=parse_scores(request.POST, submission.assignment.criteria.all()),
                feedback=feedback,
                adjustments=parse_adjustments(request.POST, submission),
                feedback_files=files,
                reason=request.POST.get("reason", ""),
                actor=request.user,
            )
            messages.success(request, _("The grade was saved. Trainees see it once it is released."))
    except ApplicationError as error:
        return _grade_page(request, submission, error=error)
    return redirect("fieldwork:submission-grade", submission_id=submission.pk)


@login_required
@require_POST
def grade_release(request, submission_id: int):
    submission = selectors.access_submission(user=request.user, submission_id=submission_id)
    services.grade_release(submission=submission, actor=request.user)
    messages.success(request, _("The grade was released to the trainee."))
    return redirect("fieldwork:submission-grade", submission_id=submission.pk)


@login_required
@require_POST
def assignment_release(request, assignment_id: int):
    assignment = selectors.access_assignment(user=request.user, assignment_id=assignment_id)
    count = services.assignment_release_grades(assignment=assignment, actor=request.user)
    messages.success(
        request, ngettext("%(count)d grade released.", "%(count)d grades released.", count) % {"count": count}
    )
    return redirect("fieldwork:assignment-detail", assignment_id=assignment.pk)


@login_required
@require_POST
def extension_grant(request, assignment_id: int):
    from django.utils.dateparse import parse_datetime
    from django.utils.timezone import get_current_timezone, make_aware

    from courses.models import Enrolment, Team

    assignment = selectors.access_assignment(user=request.user, assignment_id=assignment_id)
    cohort = assignment.module.cohort
    due_at = parse_datetime(request.POST.get("due_at", ""))
    if due_at is None:
        raise ValidationFailed(_("Enter the new due date."), code="invalid")
    if due_at.tzinfo is None:
        due_at = make_aware(due_at, get_current_timezone())
    owner = request.POST.get("owner", "")
    kind, _sep, pk = owner.partition(":")
    enrolment = team = None
    if kind == "enrolment":
        enrolment = Enrolment.objects.filter(cohort=cohort, pk=pk or 0).first()
    elif kind == "team":
        team = Team.objects.filter(cohort=cohort, pk=pk or 0).first()
    if enrolment is None and team is None:
        raise NotFound(_("Choose a trainee or team of this cohort."))
    services.extension_grant(
        assignment=assignment,
        enrolment=enrolment,
        team=team,
        due_at=due_at,
        reason=request.POST.get("reason", ""),
        actor=request.user,
    )
    messages.success(request, _("The extension was granted."))
    return redirect("fieldwork:assignment-detail", assignment_id=assignment.pk)


# --- staff


def _gradebook(request, cohort_id):
    cohort = course_selectors.access_cohort(user=request.user, cohort_id=cohort_id)
    if not request.user.has_perm("fieldwork.view_gradebook", cohort):
        raise NotFound(_("This page does not exist, or you do not have access to it."))
    team_id = request.GET.get("team") or None
    community_id = request.GET.get("community") or None
    book = selectors.gradebook(
        cohort=cohort,
        team_id=parse_id(team_id),
        community_id=parse_id(community_id),
    )
    return cohort, book


@login_required
def gradebook(request, cohort_id: int):
    cohort, book = _gradebook(request, cohort_id)
    from courses.models import Team
    from lms.models import Community

    return render(
        request,
        "fieldwork/gradebook.html",
        {
            "cohort": cohort,
            "book": book,
            "page": page_of(book.rows, request),
            "page_query": query_without_page(request),
            "teams": Team.objects.filter(cohort=cohort).order_by("name"),
            "communities": Community.objects.filter(enrolments__cohort=cohort).distinct().order_by("name"),
            "query": request.GET.urlencode(),
            "selected_team": request.GET.get("team", ""),
            "selected_community": request.GET.get("community", ""),
        },
    )


@login_required
def gradebook_export(request, cohort_id: int, fmt: str):
    cohort, book = _gradebook(request, cohort_id)
    audit_personal_data_read(request=request, verb="export.gradebook", target=cohort, format=fmt)
    mobiles = visible_mobiles(user=request.user, people=[row.enrolment.trainee for row in book.rows])
    table = exports.gradebook_table(book, mobiles=mobiles)
    return table_response(table, fmt=fmt, name=f"{cohort.name}-{_('gradebook')}")
