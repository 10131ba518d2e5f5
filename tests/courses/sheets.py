"""Building enrolment sheets for tests and benchmarks."""

import csv
import io

import openpyxl

HEADER = ["姓名", "手机号", "社区", "团队", "邮箱"]


def sheet_rows(n: int, *, community: str, start: int = 0, team: str = "") -> list[list[str]]:
    return [[f"学员{start + i}", f"139{start + i:08d}", community, team, ""] for i in range(n)]


def xlsx_bytes(rows, header=HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)
