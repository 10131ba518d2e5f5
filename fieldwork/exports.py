"""Gradebook exports: CSV (UTF-8 with a BOM, for Excel) and XLSX, with formula-like cells neutralised."""

import csv
import io
from urllib.parse import quote

from django.http import HttpResponse
from django.utils.translation import gettext as _

from fieldwork.selectors import Gradebook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value) -> str:
    """Text a spreadsheet shows as text: a leading =, +, -, @ (or tab/CR) gets an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def gradebook_table(book: Gradebook) -> tuple[list[str], list[list[str]]]:
    headers = [_("Trainee"), _("Username"), _("Team"), _("Community")]
    for assignment in book.assignments:
        headers += [
            _("%(title)s · state") % {"title": assignment.title},
            _("%(title)s · score") % {"title": assignment.title},
        ]
    rows = []
    for row in book.rows:
        enrolment = row.enrolment
        line = [
            enrolment.trainee.full_name,
            enrolment.trainee.username,
            enrolment.team.name if enrolment.team else "",
            enrolment.community.name,
        ]
        for cell in row.cells:
            state = cell.state_label + (_(" (late)") if cell.is_late else "") if cell.state else _("Not handed in")
            line += [state, "" if cell.score is None else str(cell.score)]
        rows.append(line)
    return [neutralise(h) for h in headers], [[neutralise(v) for v in line] for line in rows]


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def gradebook_csv(book: Gradebook, filename: str) -> HttpResponse:
    headers, rows = gradebook_table(book)
    buffer = io.StringIO()
    buffer.write("\ufeff")  # the BOM makes Excel read UTF-8 (Chinese) correctly
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    return _attachment(response, filename)


def gradebook_xlsx(book: Gradebook, filename: str) -> HttpResponse:
    from openpyxl import Workbook

    headers, rows = gradebook_table(book)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Gradebook")[:31])
    sheet.append(headers)
    for line in rows:
        sheet.append(line)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _attachment(HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE), filename)
