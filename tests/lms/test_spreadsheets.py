import csv
import io
from decimal import Decimal

from openpyxl import load_workbook

from lms.spreadsheets import Table, table_csv, table_xlsx


def _table():
    return Table(
        title="成绩册",
        headers=["姓名", "=cmd", "得分"],
        rows=[["=HYPERLINK(\"x\")", "-1", Decimal("87.5")], ["李四", None, 12]],
    )


def test_xlsx_keeps_numbers_as_numbers_and_neutralises_only_text():
    response = table_xlsx(_table(), "成绩册.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["姓名", "'=cmd", "得分"]
    assert values[1] == ["'=HYPERLINK(\"x\")", "'-1", 87.5]
    assert values[2] == ["李四", None, 12]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width >= 6


def test_csv_has_a_bom_and_chinese_headers():
    response = table_csv(_table(), "成绩册.csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["姓名", "'=cmd", "得分"]
    assert rows[1] == ["'=HYPERLINK(\"x\")", "'-1", "87.5"]
    assert "filename*=UTF-8''" in response["Content-Disposition"]
