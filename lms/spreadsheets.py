"""Tables taken to Excel: CSV (UTF-8 with a BOM) and XLSX with numbers as numbers.

The one writer of every spreadsheet the app hands out (exports, the one-time links sheet): only
text cells are neutralised against formulas: a number is written as a number, so Excel can sum a
column; a text starting with =, +, -, @ (or their full-width forms, tab, CR) gets an apostrophe so
it is never evaluated. tests/lms/test_spreadsheets.py writes such names through every export.
"""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import quote

from django.http import HttpResponse
from django.utils.translation import gettext as _

from lms.errors import NotFound

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
NUMBER_TYPES = (int, float, Decimal)


@dataclass
class Table:
    """A sheet: a title, one header row and rows of cells (text, numbers or None)."""

    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)


def neutralise(value) -> str:
    """Text a spreadsheet shows as text: a leading =, +, -, @ (or tab/CR) gets an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value):
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, NUMBER_TYPES):
        return value
    return neutralise(value)


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def table_csv(table: Table, filename: str) -> HttpResponse:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # the BOM makes Excel read UTF-8 (Chinese) correctly
    writer = csv.writer(buffer)
    writer.writerow([neutralise(h) for h in table.headers])
    writer.writerows([_cell(v) if v is not None else "" for v in row] for row in table.rows)
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    return _attachment(response, filename)


def _width(value) -> int:
    """Display width in character cells: a CJK character takes two."""
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def table_xlsx(table: Table, filename: str) -> HttpResponse:
    return _attachment(HttpResponse(xlsx_bytes(table), content_type=XLSX_TYPE), filename)


def xlsx_bytes(table: Table, *, widths: list[int] | None = None) -> bytes:
    """The table as an XLSX file: a bold, frozen header row, columns as wide as their text (or `widths`)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(table.title or _("Sheet"))[:31])
    sheet.freeze_panes = "A2"
    if widths is None:
        widths = [_width(h) for h in table.headers]
        for row in table.rows:
            for index, value in enumerate(row[: len(widths)]):
                widths[index] = max(widths[index], _width(value))
        widths = [min(max(width + 2, 6), 60) for width in widths]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header = []
    for text in table.headers:
        cell = WriteOnlyCell(sheet, value=neutralise(text))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        sheet.append([_cell(v) if v is not None else None for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table_response(table: Table, *, fmt: str, name: str) -> HttpResponse:
    """The table as a download in `fmt` ("csv" or "xlsx"); any other format is not found."""
    if fmt not in FORMATS:
        raise NotFound(_("This page does not exist, or you do not have access to it."))
    filename = f"{name}.{fmt}"
    return table_xlsx(table, filename) if fmt == "xlsx" else table_csv(table, filename)
