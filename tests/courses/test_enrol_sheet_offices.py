"""Sheets as offices make them: a title row above the column names, people whose names differ, people already
in the course or the cohort, and no word about another district's people."""

import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings

from courses.enrol_sheets import SheetRefused, read_sheet
from courses.models import Enrolment, EnrolmentChange, EnrolmentStatus, Team
from courses.services import enrolment_withdraw
from courses.services.enrol_sheet import SheetNeedsConfirmation, enrol_sheet_commit, enrol_sheet_preview
from lms.models import AuditEntry, User
from tests.courses.factories import CohortFactory, EnrolmentFactory, TeamFactory
from tests.courses.sheets import HEADER

pytestmark = pytest.mark.django_db


def office_sheet(rows, *, above=(("南海区2024年社区规划师培育班学员名单",), ()), header=HEADER) -> bytes:
    """An XLSX as a government office makes it: a title row (and a blank one) above the column names."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for line in above:
        sheet.append(list(line) or [None])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def state():
    return (
        User.objects.count(),
        sorted(Enrolment.objects.values_list("pk", "trainee_id", "team_id", "community_id", "status")),
        Team.objects.count(),
        EnrolmentChange.objects.count(),
        AuditEntry.objects.count(),
    )


# --- reading


def test_title_and_blank_rows_above_the_header_are_skipped_and_named():
    layout = []
    rows = read_sheet(
        name="名单.xlsx", data=office_sheet([["何小英", "13900000001", "河岗社区", "", ""]]), layout=layout
    )
    assert [(r.number, r.name) for r in rows] == [(4, "何小英")]
    assert layout == [(1, "南海区2024年社区规划师培育班学员名单"), (2, "")]


def test_a_header_on_row_10_is_found_and_on_row_11_refused(english):
    rows = read_sheet(name="a.xlsx", data=office_sheet([["甲", "13900000001", "河岗社区"]], above=[("x",)] * 9))
    assert rows[0].number == 11
    with pytest.raises(SheetRefused) as caught:
        read_sheet(name="a.xlsx", data=office_sheet([["甲", "13900000001", "河岗社区"]], above=[("x",)] * 10))
    assert caught.value.code == "header_too_low"
    assert "are on row 11" in str(caught.value.message) and "first 10 rows" in str(caught.value.message)


def test_two_header_rows_are_refused(english):
    data = office_sheet([HEADER, ["甲", "13900000001", "河岗社区"]], above=[("名单",)])
    with pytest.raises(SheetRefused) as caught:
        read_sheet(name="a.xlsx", data=data)
    assert caught.value.code == "two_header_rows"
    assert "Rows 2 and 3 both hold column names" in str(caught.value.message)


def test_no_header_among_the_first_rows_says_so(english):
    with pytest.raises(SheetRefused) as caught:
        read_sheet(name="a.xlsx", data=office_sheet([["甲", "13900000001", "河岗社区"]], header=["名", "电话", "地"]))
    assert caught.value.code == "headers_missing" and "first 10" in str(caught.value.message)


# --- rows that must be confirmed


def rows_of(*rows):
    return read_sheet(name="a.xlsx", data=office_sheet(list(rows)))


def test_a_mobile_of_an_account_with_another_name_must_be_confirmed(world, english):
    from tests.lms.factories import UserFactory

    UserFactory(mobile="13900000001", full_name="何秀英", username="hexiuying")
    rows = rows_of(["何小英", "13900000001", "河岗社区", "", ""])
    [row] = enrol_sheet_preview(cohort=world.cohort, rows=rows, actor=world.staff).rows
    assert row.outcome == "existing" and row.needs_confirmation
    assert "“何秀英” (hexiuying), not “何小英”" in row.warnings[0]
    before = state()
    with pytest.raises(SheetNeedsConfirmation) as caught:
        enrol_sheet_commit(cohort=world.cohort, rows=rows, actor=world.staff)
    assert caught.value.code == "confirm_rows" and caught.value.status_code == 409
    assert state() == before
    enrol_sheet_commit(cohort=world.cohort, rows=rows, actor=world.staff, confirmed={4})
    assert Enrolment.objects.filter(cohort=world.cohort, trainee__username="hexiuying").exists()


@override_settings(LMS_SHEET_REFUSE_OTHER_NAME=True)
def test_a_setting_refuses_another_name_instead(world):
    from tests.lms.factories import UserFactory

    UserFactory(mobile="13900000001", full_name="何秀英")
    [row] = enrol_sheet_preview(
        cohort=world.cohort, rows=rows_of(["何小英", "13900000001", "河岗社区"]), actor=world.staff
    ).rows
    assert row.outcome == "error"


def test_an_email_of_another_account_must_be_confirmed(world):
    from tests.lms.factories import UserFactory

    UserFactory(mobile="13900000009", full_name="张老师", email="zhang@example.com")
    [row] = enrol_sheet_preview(
        cohort=world.cohort,
        rows=rows_of(["陈思远", "13900000001", "河岗社区", "", "zhang@example.com"]),
        actor=world.staff,
    ).rows
    assert row.outcome == "new" and row.needs_confirmation


def test_someone_in_another_cohort_of_the_course_is_confirmed_as_on_the_form(world):
    last_year = CohortFactory(course=world.cohort.course, district=world.district, name="去年")
    old = EnrolmentFactory(cohort=last_year, trainee__mobile="13900000001", trainee__full_name="林晓东")
    rows = rows_of(["林晓东", "13900000001", "河岗社区"])
    before = state()
    with pytest.raises(SheetNeedsConfirmation) as caught:
        enrol_sheet_commit(cohort=world.cohort, rows=rows, actor=world.staff)
    assert caught.value.code == "confirm_rows"
    assert state() == before
    enrol_sheet_commit(cohort=world.cohort, rows=rows, actor=world.staff, confirmed={4})
    assert Enrolment.objects.filter(cohort=world.cohort, trainee=old.trainee).exists()


def test_a_team_change_is_shown_and_moves_when_confirmed(world):
    first = TeamFactory(cohort=world.cohort, name="一组", community=world.community)
    world.enrolment.team = first
    world.enrolment.save(update_fields=["team"])
    world.trainee.mobile, world.trainee.full_name = "13900000001", "何小英"
    world.trainee.save()
    rows = rows_of(["何小英", "13900000001", "河岗社区", "二组", ""])
    [row] = enrol_sheet_preview(cohort=world.cohort, rows=rows, actor=world.staff).rows
    assert row.outcome == "change" and "一组" in row.warnings[0] and "二组" in row.warnings[0]
    before = state()
    with pytest.raises(SheetNeedsConfirmation) as caught:
        enrol_sheet_commit(cohort=world.cohort, rows=rows, actor=world.staff)
    assert caught.value.code == "confirm_rows"
    assert state() == before
    enrol_sheet_commit(cohort=world.cohort, rows=rows, actor=world.staff, confirmed={4})
    world.enrolment.refresh_from_db()
    assert world.enrolment.team.name == "二组"
    assert world.enrolment.changes.get().from_team == first


def test_a_withdrawn_trainee_in_a_sheet_is_enrolled_again_when_confirmed(world):
    world.trainee.mobile, world.trainee.full_name = "13900000001", "何小英"
    world.trainee.save()
    enrolment_withdraw(enrolment=world.enrolment, reason="暂离", actor=world.staff)
    rows = rows_of(["何小英", "13900000001", "河岗社区"])
    [row] = enrol_sheet_preview(cohort=world.cohort, rows=rows, actor=world.staff).rows
    assert row.outcome == "change"
    enrol_sheet_commit(cohort=world.cohort, rows=rows, actor=world.staff, confirmed={4})
    world.enrolment.refresh_from_db()
    assert world.enrolment.status == EnrolmentStatus.ACTIVE


# --- another district's people are never named (issue 26, item 3)


def test_another_districts_trainee_is_not_named_and_cannot_be_used(client, world):
    world.other_trainee.mobile, world.other_trainee.full_name = "13900000001", "林晓东"
    world.other_trainee.save()
    from tests.lms.factories import DistrictStaffFactory

    DistrictStaffFactory(district=world.other_cohort.district, user__mobile="13900000002")
    rows = rows_of(["林晓东", "13900000001", "河岗社区"], ["某人", "13900000002", "河岗社区"])
    foreign, staff_row = enrol_sheet_preview(cohort=world.cohort, rows=rows, actor=world.staff).rows
    assert foreign.outcome == staff_row.outcome == "error" and foreign.account is None
    assert foreign.reasons == staff_row.reasons
    client.force_login(world.staff)
    page = client.post(
        f"/cohorts/{world.cohort.pk}/enrol-sheet/",
        {"sheet": SimpleUploadedFile("名单.xlsx", office_sheet([["某某", "13900000001", "河岗社区"]]))},
    )
    text = page.content.decode()
    assert page.status_code == 400 and "林晓东" not in text and world.other_trainee.username not in text
    assert "此手机号不能在这里使用" in text


def test_the_one_by_one_form_and_api_answer_the_same_for_foreign_and_missing(client, world):
    world.other_trainee.mobile = "13900000001"
    world.other_trainee.save()
    client.force_login(world.staff)
    before = state()
    answers = [
        client.post(f"/cohorts/{world.cohort.pk}/enrol/", {"trainee": handle, "community": world.community.pk})
        for handle in ("13900000001", "13900000099")
    ]
    assert [a.status_code for a in answers] == [400, 400]
    pages = [
        re.sub(r'value="[A-Za-z0-9]{64}"', "", a.content.decode()).replace(h, "X")
        for a, h in zip(answers, ("13900000001", "13900000099"), strict=True)
    ]
    assert pages[0] == pages[1]
    api = [
        client.post(
            "/api/v1/enrolments/",
            {"cohort": world.cohort.pk, "trainee": pk, "community": world.community.pk},
            content_type="application/json",
        )
        for pk in (world.other_trainee.pk, 999999)
    ]
    assert [a.status_code for a in api] == [400, 400] and api[0].json() == api[1].json()
    assert state() == before


# --- the page, end to end: a title row, an instructor's mobile, a team change


def test_the_issue_sheet_previewed_then_committed_through_the_pages(client, world):
    world.instructor.mobile, world.instructor.full_name = "13912345678", "陈思远"
    world.instructor.save()
    first = TeamFactory(cohort=world.cohort, name="一组", community=world.community)
    world.enrolment.team = first
    world.enrolment.save(update_fields=["team"])
    world.trainee.mobile, world.trainee.full_name = "13900000001", "何小英"
    world.trainee.save()
    client.force_login(world.staff)
    url = f"/cohorts/{world.cohort.pk}/enrol-sheet/"
    rows = [["何小英", "13900000001", "河岗社区", "二组", ""], ["张老师", "13912345678", "河岗社区", "", ""]]
    before = state()
    page = client.post(url, {"sheet": SimpleUploadedFile("名单.xlsx", office_sheet(rows))})
    text = page.content.decode()
    assert page.status_code == 400 and 'data-testid="sheet-skipped"' in text and "学员名单" in text
    assert 'data-row="5" data-outcome="error"' in text and "本期导师" in text
    assert 'data-row="4" data-outcome="change"' in text and 'name="staged"' not in text
    page = client.post(url, {"sheet": SimpleUploadedFile("名单.xlsx", office_sheet(rows[:1]))})
    text = page.content.decode()
    assert page.status_code == 200 and 'data-testid="confirm-4"' in text
    staged = text.split('name="staged" value="')[1].split('"')[0]
    unticked = client.post(f"{url}commit/", {"staged": staged})
    assert unticked.status_code == 409 and 'data-testid="confirm-4"' in unticked.content.decode()
    assert state() == before
    done = client.post(f"{url}commit/", {"staged": staged, "confirm_row": "4"})
    assert done.status_code == 302
    world.enrolment.refresh_from_db()
    assert world.enrolment.team.name == "二组"


def test_the_command_needs_the_rows_confirmed(world, tmp_path):
    world.trainee.mobile, world.trainee.full_name = "13900000001", "何小英"
    world.trainee.save()
    path = tmp_path / "名单.xlsx"
    path.write_bytes(office_sheet([["何小英", "13900000001", "河岗社区", "新组", ""]]))
    with pytest.raises(CommandError, match="confirm"):
        call_command("enrol_from_sheet", str(path), cohort=world.cohort.pk, username=world.staff.username)
    call_command("enrol_from_sheet", str(path), cohort=world.cohort.pk, username=world.staff.username, confirm_rows="4")
    world.enrolment.refresh_from_db()
    assert world.enrolment.team.name == "新组"


def test_staff_cannot_draft_another_districts_instructor_or_trainee(world):
    from courses.services import enrolment_create
    from lms.errors import NotFound

    before = state()
    for person in (world.other_instructor, world.other_trainee):
        with pytest.raises(NotFound) as caught:
            enrolment_create(cohort=world.cohort, trainee=person, community=world.community, actor=world.staff)
        assert caught.value.code == "not_enrollable"
    assert state() == before
