"""Bulk enrolment from a sheet: reading, preview row by row, all-or-nothing commit, the page and the command."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.enrol_sheets import SheetRefused, read_sheet
from courses.models import Enrolment, Team
from courses.services.enrol_sheet import SheetHasErrors, enrol_sheet_commit, enrol_sheet_preview
from lms.errors import NotFound
from lms.models import AuditEntry, User
from tests.courses.factories import TeamFactory
from tests.courses.sheets import HEADER, csv_bytes, sheet_rows, xlsx_bytes
from tests.lms.factories import CommunityFactory, DistrictStaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def state():
    return (
        User.objects.count(),
        sorted(Enrolment.objects.values_list("pk", "trainee_id")),
        Team.objects.count(),
        AuditEntry.objects.changes().count(),
    )


def rows_of(data, name="s.xlsx"):
    return read_sheet(name=name, data=data)


# --- reading


def test_reads_xlsx_and_csv_in_utf8_and_gb18030():
    rows = [["李丽", "１３８ ０００１ ２３４５", "河岗社区", "河岗组", "li@example.com"]]
    for name, data in (
        ("a.xlsx", xlsx_bytes(rows)),
        ("a.csv", csv_bytes(rows)),
        ("a.CSV", csv_bytes(rows, encoding="gb18030")),
    ):
        [row] = read_sheet(name=name, data=data)
        assert (row.number, row.name, row.community, row.team, row.email) == (
            2,
            "李丽",
            "河岗社区",
            "河岗组",
            "li@example.com",
        )


def test_numbers_typed_as_numbers_in_excel_stay_digits():
    [row] = read_sheet(name="a.xlsx", data=xlsx_bytes([["李丽", 13800012345, "河岗社区"]], header=HEADER[:3]))
    assert row.mobile == "13800012345"


@pytest.mark.parametrize(
    ("name", "data", "code", "message"),
    [
        ("a.pdf", b"%PDF-1.4", "wrong_type", "Upload an XLSX or CSV sheet."),
        ("a.xlsx", b"not a zip", "wrong_type", "Upload an XLSX or CSV sheet."),
        ("a.csv", b"", "empty", "The sheet is empty."),
        ("a.csv", "姓名,手机号,社区\n".encode(), "empty", "The sheet has headers but no rows."),
        ("a.csv", "姓名,电话,社区\n李丽,13800012345,河岗社区\n".encode(), "headers_missing", None),
        ("a.csv", b"\xff\xfe\x00\x00garbage\x81", "sheet_refused", "The CSV file is neither UTF-8 nor GB18030 text."),
        ("a.csv", b"x" * (5 * 1024 * 1024 + 1), "too_large", "The file is larger than 5 MB."),
    ],
)
def test_refuses_bad_files(english, name, data, code, message):
    with pytest.raises(SheetRefused) as caught:
        read_sheet(name=name, data=data)
    assert caught.value.code == code
    if message:
        assert str(caught.value.message) == message
    else:
        assert "手机号" in str(caught.value.message)


def test_refuses_more_than_5000_rows(english):
    data = csv_bytes(sheet_rows(5001, community="河岗社区"))
    with pytest.raises(SheetRefused) as caught:
        read_sheet(name="a.csv", data=data)
    assert caught.value.code == "too_many_rows"
    assert len(read_sheet(name="a.csv", data=csv_bytes(sheet_rows(5000, community="河岗社区")))) == 5000


# --- preview and commit


def test_preview_marks_every_row(world, english):
    existing = UserFactory(mobile="13900000001", full_name="老学员")
    already = world.trainee
    already.mobile = "13900000002"
    already.save()
    team = TeamFactory(cohort=world.cohort, name="河岗组")
    TeamFactory(cohort=world.other_cohort, name="顺德组")
    UserFactory(mobile="13900000009", is_superuser=True)
    DistrictStaffFactory(district=world.other_cohort.district, user__mobile="13900000010")
    rows = [
        ["新学员", "13900000000", "河岗社区", "河岗组", ""],  # 2 new
        ["老学员", "139 0000 0001", "河岗社区", "", ""],  # 3 existing
        ["学员", "13900000002", "河岗社区", "", ""],  # 4 already enrolled
        ["错号", "2390000000", "河岗社区", "", ""],  # 5 bad mobile
        ["无名社区", "13900000004", "月球社区", "", ""],  # 6 unknown community
        ["他队", "13900000005", "河岗社区", "顺德组", ""],  # 7 team of another cohort
        ["重复", "13900000006", "河岗社区", "", ""],  # 8 duplicate
        ["重复", "13900000006", "河岗社区", "", ""],  # 9 duplicate
        ["", "13900000007", "河岗社区", "", ""],  # 10 empty name
        ["名" * 51, "13900000008", "河岗社区", "", ""],  # 11 long name
        ["管理员", "13900000009", "河岗社区", "", ""],  # 12 superuser
        ["他区工作人员", "13900000010", "河岗社区", "", ""],  # 13 staff
        ["新队", "13900000011", f"{world.community.town.name}河岗社区", "新组", ""],  # 14 new with a new team
    ]
    preview = enrol_sheet_preview(cohort=world.cohort, rows=rows_of(xlsx_bytes(rows)), actor=world.staff)
    outcome = {r.row.number: r.outcome for r in preview.rows}
    assert outcome == {
        2: "new",
        3: "existing",
        4: "enrolled",
        5: "error",
        6: "error",
        7: "error",
        8: "error",
        9: "error",
        10: "error",
        11: "error",
        12: "error",
        13: "error",
        14: "new",
    }
    reasons = {r.row.number: "; ".join(r.reasons) for r in preview.rows}
    assert "not 11 digits" in reasons[5]
    assert "unknown community" in reasons[6]
    assert "another cohort" in reasons[7]
    assert "row(s) 9" in reasons[8] and "row(s) 8" in reasons[9]
    assert "name is empty" in reasons[10]
    assert "longer than 50" in reasons[11]
    # The same words for an administrator, a staff member and another district's person (issue 26).
    assert reasons[12] == reasons[13] == "this mobile number cannot be used here"
    assert preview.rows[0].team == team and preview.rows[1].account == existing
    assert preview.new_teams == ["新组"]
    before = state()
    with pytest.raises(SheetHasErrors) as caught:
        enrol_sheet_commit(cohort=world.cohort, rows=rows_of(xlsx_bytes(rows)), actor=world.staff)
    assert caught.value.code == "sheet_rows_invalid"
    assert str(caught.value.message) == "9 rows have errors; nothing was enrolled."
    assert state() == before


def test_commit_creates_accounts_teams_and_enrolments(world):
    existing = UserFactory(mobile="13900000001", full_name="老学员")
    rows = [
        ["新学员", "13900000000", "河岗社区", "河岗组", "new@example.com"],
        ["老学员", "13900000001", "河岗社区", "河岗组", ""],
    ]
    preview = enrol_sheet_commit(cohort=world.cohort, rows=rows_of(csv_bytes(rows), "a.csv"), actor=world.staff)
    assert preview.totals == {"new": 1, "existing": 1, "enrolled": 0, "change": 0, "error": 0}
    new = User.objects.get(mobile="13900000000")
    assert (new.full_name, new.email) == ("新学员", "new@example.com") and re.fullmatch(r"u[2-9a-z]{10}", new.username)
    assert new.must_change_password and not new.has_usable_password()
    team = Team.objects.get(cohort=world.cohort, name="河岗组")
    assert set(Enrolment.objects.filter(team=team).values_list("trainee", flat=True)) == {new.pk, existing.pk}
    verbs = list(AuditEntry.objects.values_list("verb", flat=True))
    assert verbs.count("enrolment.created") == 2
    new_account = AuditEntry.objects.get(verb="enrolment.created", data__trainee=new.pk).data["new_account"]
    assert new_account is True
    assert "cohort.sheet_enrolled" in verbs
    again = enrol_sheet_commit(cohort=world.cohort, rows=rows_of(csv_bytes(rows), "a.csv"), actor=world.staff)
    assert again.totals == {"new": 0, "existing": 0, "enrolled": 2, "change": 0, "error": 0}


def test_new_accounts_from_a_sheet_get_usernames_that_are_not_their_mobiles(world):
    UserFactory(username="13900000000", mobile="")  # an old account named by the number blocks nothing
    rows = [["新学员", "13900000000", "河岗社区"], ["另一位", "13900000001", "河岗社区"]]
    enrol_sheet_commit(cohort=world.cohort, rows=rows_of(xlsx_bytes(rows)), actor=world.staff)
    names = [User.objects.get(mobile=m).username for m in ("13900000000", "13900000001")]
    assert len(set(names)) == 2
    for name in names:
        assert re.fullmatch(r"u[2-9a-z]{10}", name) and not any(ch in name[1:] for ch in "01")


@pytest.mark.parametrize("actor", ["other_staff", "instructor", "trainee"])
def test_only_the_cohorts_staff_may_preview_or_commit(world, actor):
    rows = rows_of(xlsx_bytes([["新学员", "13900000000", "河岗社区"]]))
    before = state()
    for call in (enrol_sheet_preview, enrol_sheet_commit):
        with pytest.raises(NotFound) as raised:
            call(cohort=world.cohort, rows=rows, actor=getattr(world, actor))
        assert raised.value.code == "not_found"
    assert state() == before


def test_a_community_name_in_two_towns_must_name_the_town(world, english):
    CommunityFactory(town__district=world.district, town__name="九江镇", name="河岗社区")
    preview = enrol_sheet_preview(
        cohort=world.cohort,
        rows=rows_of(xlsx_bytes([["甲", "13900000000", "河岗社区"], ["乙", "13900000001", "九江镇 · 河岗社区"]])),
        actor=world.staff,
    )
    assert [r.outcome for r in preview.rows] == ["error", "new"]
    assert "several towns" in preview.rows[0].reasons[0]


def _count_queries(world, n, start):
    rows = rows_of(xlsx_bytes(sheet_rows(n, community="河岗社区", start=start, team="组")))
    with CaptureQueriesContext(connection) as queries:
        enrol_sheet_commit(cohort=world.cohort, rows=rows, actor=world.staff)
    return len(queries)


def test_commit_queries_are_fixed_per_batch(world, settings):
    """10 rows and 400 rows (one batch) cost the same number of queries (after a first sheet has
    cached the actor's roles and the content types, and made the team). Both sizes hand their "enrolled"
    notices' deliveries to a worker, as every sheet above NOTIFICATIONS_SENT_IN_REQUEST people does."""
    settings.NOTIFICATIONS_SENT_IN_REQUEST = 0
    _count_queries(world, 1, 5000)
    assert _count_queries(world, 10, 0) == _count_queries(world, 400, 1000)


# --- page


@pytest.fixture
def staff_client(client, world):
    client.force_login(world.staff)
    return client


def upload(client, world, data, name="名单.xlsx"):
    return client.post(f"/cohorts/{world.cohort.pk}/enrol-sheet/", {"sheet": SimpleUploadedFile(name, data)})


def test_page_preview_then_commit(staff_client, world):
    assert staff_client.get(f"/cohorts/{world.cohort.pk}/enrol-sheet/").status_code == 200
    response = upload(staff_client, world, xlsx_bytes(sheet_rows(3, community="河岗社区")))
    text = response.content.decode()
    assert response.status_code == 200 and text.count('data-outcome="new"') == 3
    assert not Enrolment.objects.filter(trainee__mobile="13900000000").exists()  # a preview writes nothing
    staged = text.split('name="staged" value="')[1].split('"')[0]
    done = staff_client.post(f"/cohorts/{world.cohort.pk}/enrol-sheet/commit/", {"staged": staged})
    assert done.status_code == 302 and done.url == f"/cohorts/{world.cohort.pk}/"
    assert Enrolment.objects.filter(cohort=world.cohort, trainee__mobile__startswith="139").count() == 3
    again = staff_client.post(f"/cohorts/{world.cohort.pk}/enrol-sheet/commit/", {"staged": staged})
    assert again.status_code == 400  # the staged sheet is gone once committed


def test_page_shows_row_errors_with_400_and_no_commit_button(staff_client, world):
    rows = [*sheet_rows(3, community="河岗社区"), ["坏号", "12345", "河岗社区", "", ""]]
    response = upload(staff_client, world, xlsx_bytes(rows))
    text = response.content.decode()
    assert response.status_code == 400
    assert 'data-row="5" data-outcome="error"' in text and 'name="staged"' not in text
    assert not User.objects.filter(mobile__startswith="139").exists()


@pytest.mark.parametrize(
    ("name", "data", "status"),
    [("a.pdf", b"%PDF", 400), ("a.csv", b"", 400), ("a.csv", b"x" * (5 * 1024 * 1024 + 10), 413)],
)
def test_page_refuses_bad_files(staff_client, world, name, data, status):
    before = state()
    response = upload(staff_client, world, data, name)
    assert response.status_code == status and 'data-testid="sheet-refused"' in response.content.decode()
    assert state() == before


def test_page_refuses_another_users_or_a_forged_staged_name(staff_client, world, client):
    for staged in ("../../etc/passwd", "0" * 32 + ".json"):
        response = staff_client.post(f"/cohorts/{world.cohort.pk}/enrol-sheet/commit/", {"staged": staged})
        assert response.status_code == 400


def test_template_sheet_downloads_with_the_headers(staff_client, world):
    response = staff_client.get(f"/cohorts/{world.cohort.pk}/enrol-sheet/template.xlsx")
    assert response.status_code == 200
    rows = read_sheet(name="t.xlsx", data=response.content)
    assert rows[0].name == "李丽"


def test_other_districts_staff_get_not_found(client, world):
    client.force_login(world.other_staff)
    before = state()
    assert client.get(f"/cohorts/{world.cohort.pk}/enrol-sheet/").status_code == 404
    assert upload(client, world, xlsx_bytes(sheet_rows(2, community="河岗社区"))).status_code == 404
    assert state() == before


# --- command


def test_command_dry_run_commit_and_bad_sheet(world, tmp_path, capsys):
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx_bytes(sheet_rows(3, community="河岗社区")))
    call_command("enrol_from_sheet", str(good), cohort=world.cohort.pk, username=world.staff.username, dry_run=True)
    assert not User.objects.filter(mobile__startswith="139").exists()
    call_command("enrol_from_sheet", str(good), cohort=world.cohort.pk, username=world.staff.username)
    assert Enrolment.objects.filter(cohort=world.cohort, trainee__mobile__startswith="139").count() == 3
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([["甲", "139", "河岗社区", "", ""]]))
    before = state()
    with pytest.raises(CommandError, match="Nothing was enrolled"):
        call_command("enrol_from_sheet", str(bad), cohort=world.cohort.pk, username=world.staff.username)
    assert "row 2:" in capsys.readouterr().err
    assert state() == before
    with pytest.raises(CommandError):
        call_command("enrol_from_sheet", str(good), cohort=world.cohort.pk, username=world.other_staff.username)


def test_first_password_links_for_sheet_accounts(staff_client, world, client):
    import io

    import openpyxl
    from django.test import Client

    enrol_sheet_commit(
        cohort=world.cohort, rows=rows_of(xlsx_bytes(sheet_rows(3, community="河岗社区"))), actor=world.staff
    )
    response = staff_client.post(f"/cohorts/{world.cohort.pk}/enrol-sheet/links.xlsx")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    lines = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [line[1] for line in lines] == ["13900000000", "13900000001", "13900000002"]  # not world.trainee
    assert AuditEntry.objects.filter(verb="user.set_password_link_issued").count() == 3
    person = Client()
    form = person.get(lines[0][2].replace("http://testserver", ""), follow=True)
    assert 'name="new_password1"' in form.content.decode()
    done = person.post(
        form.redirect_chain[-1][0], {"new_password1": "Qingtian-lane-77", "new_password2": "Qingtian-lane-77"}
    )
    assert done.status_code == 302
    account = User.objects.get(mobile="13900000000")
    assert account.check_password("Qingtian-lane-77") and not account.must_change_password


def test_first_password_links_are_not_found_for_other_staff(client, world):
    client.force_login(world.other_staff)
    assert client.post(f"/cohorts/{world.cohort.pk}/enrol-sheet/links.xlsx").status_code == 404
    client.force_login(world.instructor)
    assert client.post(f"/cohorts/{world.cohort.pk}/enrol-sheet/links.xlsx").status_code == 404
    assert not AuditEntry.objects.changes().exists()  # only the refusals are recorded
