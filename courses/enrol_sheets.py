"""Reading a sheet of trainees (XLSX, or CSV in UTF-8 or GB18030) into plain rows; no database access."""

import csv
import io
import itertools
import time
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _

from lms.errors import ValidationFailed
from lms.spreadsheets import Table, xlsx_bytes

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000  # every row after the header counts, empty ones too
# A sheet is read streaming (openpyxl read-only), within these bounds; a bomb meets one of them first.
MAX_COLUMNS = 30  # columns past this are never read
MAX_UNPACKED_BYTES = 40 * 1024 * 1024  # the whole archive, decompressed (by the sizes its directory declares)
MAX_SHARED_STRINGS_BYTES = 8 * 1024 * 1024  # openpyxl reads every shared string into memory at open
# openpyxl scans a whole worksheet at open when it lacks a <dimension>; 5,000 rows take ~2 MB of XML.
MAX_WORKSHEET_BYTES = 8 * 1024 * 1024
MAX_MEMBERS = 200
MAX_SECONDS = 20.0
HEADERS = {"姓名": "name", "手机号": "mobile", "社区": "community", "团队": "team", "邮箱": "email"}
REQUIRED_HEADERS = ["姓名", "手机号", "社区"]
HEADER_WITHIN = 10  # the column names must be on one of the first 10 rows (title rows above are skipped)
HEADER_SEARCH = 50  # rows looked at to tell "column names too low" from "no column names"
TEMPLATE_EXAMPLE = ["李丽", "13800000000", "河岗社区", "河岗社区组", ""]


class SheetRefused(ValidationFailed):
    code = "sheet_refused"


@dataclass
class SheetRow:
    number: int  # the row's number as the spreadsheet shows it (the header is row 1)
    name: str
    mobile: str
    community: str
    team: str
    email: str


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _too_big_unpacked() -> SheetRefused:
    return SheetRefused(
        _("The sheet unpacks to more than %(size)d MB; save it again as a plain XLSX or CSV with the trainees only.")
        % {"size": MAX_UNPACKED_BYTES // (1024 * 1024)},
        code="too_large_unpacked",
    )


def _check_archive(data: bytes) -> None:
    """Refuse an XLSX whose parts would unpack past the limits, by its zip directory, before openpyxl opens it.

    Python's zipfile never yields more than a member's declared size, so the declared sizes bound the reading.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise SheetRefused(_("The file is not a readable XLSX sheet.")) from None
    if len(members) > MAX_MEMBERS or sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
        raise _too_big_unpacked()
    for member in members:
        name = member.filename.lower()
        if name.endswith("sharedstrings.xml") and member.file_size > MAX_SHARED_STRINGS_BYTES:
            raise _too_big_unpacked()
        if name.startswith("xl/worksheets/") and member.file_size > MAX_WORKSHEET_BYTES:
            raise _too_big_unpacked()


def _xlsx_rows(data: bytes):
    import openpyxl

    _check_archive(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a damaged file
        raise SheetRefused(_("The file is not a readable XLSX sheet.")) from None
    try:
        sheet = workbook.worksheets[0]
        # Only the first MAX_COLUMNS columns: a cell at XFD1 would otherwise pad its row with 16,384 cells.
        for row in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            yield [_cell(value) for value in row]
    except SheetRefused:
        raise
    except Exception:  # a part that is not what its name says, cut short, or malformed XML
        raise SheetRefused(_("The file is not a readable XLSX sheet.")) from None
    finally:
        workbook.close()


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetRefused(_("The CSV file is neither UTF-8 nor GB18030 text."))


def _csv_rows(data: bytes):
    text = _decode(data)
    if "\x00" in text:
        raise SheetRefused(_("The file is not a CSV or XLSX sheet."))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        for row in csv.reader(io.StringIO(text), dialect):
            yield [_cell(value) for value in row[:MAX_COLUMNS]]
    except csv.Error:  # a field over csv's own size limit, a stray quote at the end
        raise SheetRefused(
            _("The CSV file cannot be read: a field is too long or a quote is not closed."), code="csv_unreadable"
        ) from None


def _bounded(rows):
    """The rows, refused once reading them has taken MAX_SECONDS."""
    deadline = time.monotonic() + MAX_SECONDS
    for row in rows:
        if time.monotonic() > deadline:
            raise SheetRefused(
                _("The sheet took too long to read; save it again with the trainees only."), code="too_slow"
            )
        yield row


def _normalised(line: list[str]) -> list[str]:
    return [cell.replace(" ", "").replace("\u3000", "").lstrip("*") for cell in line]


def _is_header(line: list[str]) -> bool:
    return all(title in line for title in REQUIRED_HEADERS)


def _find_header(numbered) -> tuple[list[str], list[tuple[int, str]], tuple | None]:
    """The header row among the first HEADER_WITHIN rows, the title or blank rows above it (number, text),
    and the first non-empty row under it (read to check it, handed back). Government sheets (WPS, Excel)
    carry a title row or two above the column names; those are skipped and named in the preview. A header
    further down, or a second row of column names under the first, is refused."""
    skipped = []
    for number, line in numbered:
        cells = _normalised(line)
        if _is_header(cells):
            if number > HEADER_WITHIN:
                raise SheetRefused(
                    _(
                        "The column names (姓名, 手机号, 社区) are on row %(row)d: they must be on one of the first "
                        "%(within)d rows. Delete the rows above them and upload the sheet again."
                    )
                    % {"row": number, "within": HEADER_WITHIN},
                    code="header_too_low",
                )
            return cells, skipped, _first_row_under(numbered, number)
        if number <= HEADER_WITHIN:
            skipped.append((number, " ".join(cell for cell in line if cell)[:80]))
        elif number >= HEADER_SEARCH:
            break
    if not any(text for _number, text in skipped):
        raise SheetRefused(_("The sheet is empty."), code="empty")
    raise SheetRefused(
        _("No row among the first %(within)d names the columns 姓名, 手机号 and 社区: add one row of column names.")
        % {"within": HEADER_WITHIN},
        code="headers_missing",
    )


def _first_row_under(numbered, header_number: int):
    """The first non-empty row under the header; column names there mean a two-row header, which is refused."""
    for number, line in numbered:
        if number - header_number > MAX_ROWS:  # empty rows count here too
            raise SheetRefused(
                _("The sheet has more than 5,000 rows (empty rows count too: delete them)."), code="too_many_rows"
            )
        if not any(line):
            continue
        known = [cell for cell in _normalised(line) if cell in HEADERS]
        if len(known) >= 2:
            raise SheetRefused(
                _(
                    "Rows %(first)d and %(second)d both hold column names: keep one row of column names "
                    "(姓名, 手机号, 社区, 团队, 邮箱) and upload the sheet again."
                )
                % {"first": header_number, "second": number},
                code="two_header_rows",
            )
        return number, line
    return None


def read_sheet(*, name: str, data: bytes, layout: list | None = None) -> list[SheetRow]:
    """The data rows of an uploaded sheet. Refuses a file over 5 MB, of another type, without the
    required headers among its first 10 rows, with two header rows, with no rows or over 5,000 rows.
    `layout`, when given, receives the (number, text) of the title or blank rows skipped above the header."""
    layout = [] if layout is None else layout
    if len(data) > MAX_BYTES:
        raise SheetRefused(_("The file is larger than 5 MB."), code="too_large")
    lowered = (name or "").lower()
    if lowered.endswith(".xlsx") and zipfile.is_zipfile(io.BytesIO(data)):
        rows = _xlsx_rows(data)
    elif lowered.endswith(".csv"):
        rows = _csv_rows(data)
    else:
        raise SheetRefused(_("Upload an XLSX or CSV sheet."), code="wrong_type")
    numbered = enumerate(_bounded(rows), start=1)
    header, skipped, first = _find_header(numbered)
    layout.extend(skipped)
    numbered = itertools.chain([first] if first else [], numbered)
    index = {field: header.index(title) for title, field in HEADERS.items() if title in header}
    result = []
    for read, (number, line) in enumerate(numbered, start=1):
        if read > MAX_ROWS:  # empty rows count: a million of them cost the same time as full ones
            raise SheetRefused(
                _("The sheet has more than 5,000 rows (empty rows count too: delete them)."), code="too_many_rows"
            )
        if not any(line):
            continue
        values = {field: line[i] if i < len(line) else "" for field, i in index.items()}
        result.append(
            SheetRow(
                number=number,
                name=values.get("name", ""),
                mobile=values.get("mobile", ""),
                community=values.get("community", ""),
                team=values.get("team", ""),
                email=values.get("email", ""),
            )
        )
    if not result:
        raise SheetRefused(_("The sheet has headers but no rows."), code="empty")
    return result


def template_workbook() -> bytes:
    """The sheet staff fill in: the headers and one example row."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "学员名单"
    sheet.append(list(HEADERS))
    sheet.append(TEMPLATE_EXAMPLE)
    for column, width in zip("ABCDE", (12, 16, 20, 16, 24), strict=True):
        sheet.column_dimensions[column].width = width
    for cell in sheet["B"]:
        cell.number_format = "@"  # text: Excel would otherwise show 1.38E+10
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def link_workbook(rows) -> bytes:
    """A sheet of (name, mobile, one-time link) for staff to pass on to each person; names are formula-safe."""
    table = Table(
        title="首次设置密码",
        headers=["姓名", "手机号", "首次设置密码链接（仅可使用一次，3天内有效）"],
        rows=[list(row) for row in rows],
    )
    return xlsx_bytes(table, widths=[12, 16, 90])
