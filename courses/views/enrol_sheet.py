"""Bulk enrolment from a sheet: upload, a preview of every row, then commit (all or nothing)."""

import dataclasses
import json
import re
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courses import selectors
from courses.enrol_sheets import MAX_BYTES, SheetRefused, SheetRow, link_workbook, read_sheet, template_workbook
from courses.models import EnrolmentStatus
from courses.services import enrol_sheet as sheet_services
from lms.bodies import MULTIPART_MARGIN, accepts_body
from lms.errors import ValidationFailed
from lms.models import User
from lms.predicates import governed_users_q
from lms.services import set_password_links

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STAGED_RE = re.compile(r"^[0-9a-f]{32}\.json$")


def _staged_path(cohort, user, staged: str) -> str:
    """Where an uploaded sheet waits between preview and commit: private, per cohort and per person."""
    return f"enrol-sheets/{cohort.pk}/{user.pk}/{staged}"


def _render(request, cohort, *, preview=None, refused=None, staged="", status=200, layout=(), confirmed=()):
    return render(
        request,
        "courses/enrol_sheet.html",
        {
            "cohort": cohort,
            "preview": preview,
            "refused": refused,
            "staged": staged,
            "max_mb": MAX_BYTES // 2**20,
            "layout": layout,
            "confirmed": set(confirmed),
        },
        status=status,
    )


def _confirmed_rows(post) -> set[int]:
    """Row numbers staff ticked to confirm (`confirm_row` values)."""
    return {int(value) for value in post.getlist("confirm_row") if value.isdigit() and len(value) < 7}


@accepts_body(MAX_BYTES + MULTIPART_MARGIN)
@login_required
def enrol_sheet(request, cohort_id: int):
    """GET: the upload form. POST: store the sheet privately and show what a commit would do."""
    cohort = selectors.access_managed_cohort(user=request.user, cohort_id=cohort_id)
    if request.method != "POST":
        return _render(request, cohort)
    upload = request.FILES.get("sheet")
    if upload is None:
        return _render(request, cohort, refused=_("Choose a sheet to upload."), status=400)
    if upload.size > MAX_BYTES:
        return _render(request, cohort, refused=_("The file is larger than 5 MB."), status=413)
    data = upload.read()
    layout = []
    try:
        rows = read_sheet(name=upload.name, data=data, layout=layout)
    except SheetRefused as refused:
        return _render(request, cohort, refused=refused.message, status=400)
    preview = sheet_services.enrol_sheet_preview(cohort=cohort, rows=rows, actor=request.user)
    if preview.errors:
        return _render(request, cohort, preview=preview, status=400, layout=layout)
    # The rows as read, not the file: the commit then skips parsing the sheet a second time.
    staged = f"{uuid.uuid4().hex}.json"
    rows_json = json.dumps([dataclasses.asdict(row) for row in rows], ensure_ascii=False)
    default_storage.save(_staged_path(cohort, request.user, staged), ContentFile(rows_json.encode()))
    return _render(request, cohort, preview=preview, staged=staged, layout=layout)


@login_required
@require_POST
def enrol_sheet_commit(request, cohort_id: int):
    cohort = selectors.access_managed_cohort(user=request.user, cohort_id=cohort_id)
    staged = request.POST.get("staged", "")
    path = _staged_path(cohort, request.user, staged)
    if not STAGED_RE.fullmatch(staged) or not default_storage.exists(path):
        raise ValidationFailed(_("The uploaded sheet is no longer here; upload it again."), code="sheet_missing")
    with default_storage.open(path, "rb") as file:
        rows = [SheetRow(**row) for row in json.loads(file.read())]
    confirmed = _confirmed_rows(request.POST)
    try:
        preview = sheet_services.enrol_sheet_commit(cohort=cohort, rows=rows, actor=request.user, confirmed=confirmed)
    except sheet_services.SheetHasErrors as error:  # the data changed since the preview
        return _render(request, cohort, preview=error.preview, status=400)
    except sheet_services.SheetNeedsConfirmation as error:  # the preview again, the sheet kept, ticks kept
        return _render(
            request,
            cohort,
            preview=error.preview,
            staged=staged,
            status=409,
            refused=error.message,
            confirmed=confirmed,
        )
    default_storage.delete(path)
    totals = preview.totals
    messages.success(
        request,
        _("%(enrolled)d trainees enrolled (%(new)d new accounts); %(already)d were already enrolled.")
        % {"enrolled": totals["new"] + totals["existing"], "new": totals["new"], "already": totals["enrolled"]}
        + (" " + _("%(changed)d moved or enrolled again.") % {"changed": totals["change"]} if totals["change"] else ""),
    )
    return redirect("cohort-detail", cohort_id=cohort.pk)


@login_required
def enrol_sheet_template(request, cohort_id: int):
    selectors.access_managed_cohort(user=request.user, cohort_id=cohort_id)
    response = HttpResponse(template_workbook(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''%E5%AD%A6%E5%91%98%E5%90%8D%E5%8D%95.xlsx"
    return response


@login_required
@require_POST
def enrol_sheet_links(request, cohort_id: int):
    """A sheet of one-time links with which the cohort's trainees who never had a password set their first one."""
    cohort = selectors.access_managed_cohort(user=request.user, cohort_id=cohort_id)
    people = list(
        User.objects.filter(
            governed_users_q(request.user),
            enrolments__cohort=cohort,
            enrolments__status=EnrolmentStatus.ACTIVE,
            is_active=True,
            password__startswith=UNUSABLE_PASSWORD_PREFIX,  # no password yet: made from a sheet
        ).order_by("full_name", "pk")
    )
    links = set_password_links(people=people, actor=request.user)
    response = HttpResponse(
        link_workbook([(p.full_name, p.mobile, request.build_absolute_uri(path)) for p, path in links]),
        content_type=XLSX_TYPE,
    )
    response["Content-Disposition"] = (
        "attachment; filename*=UTF-8''%E9%A6%96%E6%AC%A1%E8%AE%BE%E7%BD%AE%E5%AF%86%E7%A0%81.xlsx"
    )
    response["Cache-Control"] = "no-store"
    return response
