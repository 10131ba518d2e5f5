"""Staff enrol a cohort from a sheet (desktop); a new trainee logs in with a temporary password (phone)."""

import re

import pytest
from playwright.sync_api import expect

from courses.models import Enrolment
from tests.courses.sheets import sheet_rows, xlsx_bytes
from tests.e2e.conftest import PHONE, log_in
from tests.lms.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}


def test_staff_fix_a_sheet_commit_it_and_a_new_trainee_sets_a_password_on_a_phone(
    browser, live_server, world, tmp_path
):
    rows = sheet_rows(30, community="河岗社区", team="河岗新组")
    rows[6][1] = "1380001"  # row 8: mobile too short
    rows[19][2] = "月球社区"  # row 21: unknown community
    bad = tmp_path / "名单.xlsx"
    bad.write_bytes(xlsx_bytes(rows))

    desk = browser.new_context(viewport=DESKTOP, base_url=live_server.url, locale="zh-CN")
    staff = desk.new_page()
    staff.set_default_timeout(15_000)
    log_in(staff, world.staff.username, PASSWORD)
    staff.goto(f"/cohorts/{world.cohort.pk}/")
    staff.get_by_test_id("enrol-sheet-link").click()
    staff.get_by_label("表格（XLSX 或 CSV）").set_input_files(str(bad))
    staff.get_by_role("button", name="预览").click()

    errors = staff.get_by_test_id("sheet-errors")
    expect(errors).to_contain_text("第 8 行")
    expect(errors).to_contain_text("手机号“1380001”不是以 1 开头的 11 位数字")
    expect(errors).to_contain_text("第 21 行")
    expect(errors).to_contain_text("本区没有社区“月球社区”")
    expect(staff.locator('tr[data-outcome="new"]')).to_have_count(28)
    expect(staff.locator('tr[data-outcome="error"]')).to_have_count(2)
    expect(staff.get_by_test_id("sheet-commit")).to_have_count(0)
    staff.screenshot(path=str(tmp_path / "preview-with-errors.png"), full_page=True)
    assert not Enrolment.objects.filter(cohort=world.cohort, trainee__mobile__startswith="139").exists()

    rows[6][1] = "139 0000 0006"  # fixed, with spaces as people type them
    rows[19][2] = "河岗社区"
    fixed = tmp_path / "名单-改正.xlsx"
    fixed.write_bytes(xlsx_bytes(rows))
    staff.get_by_label("表格（XLSX 或 CSV）").set_input_files(str(fixed))
    staff.get_by_role("button", name="预览").click()
    expect(staff.get_by_test_id("sheet-totals")).to_contain_text("新建账号 30 个")
    expect(staff.get_by_test_id("sheet-errors")).to_have_count(0)
    staff.screenshot(path=str(tmp_path / "preview-ready.png"), full_page=True)
    staff.get_by_role("button", name="为 30 名学员报名").click()
    expect(staff.get_by_text("已报名 30 名学员（新建账号 30 个）")).to_be_visible()
    assert Enrolment.objects.filter(cohort=world.cohort, trainee__mobile__startswith="139").count() == 30

    staff.goto("/people/?q=13900000006")
    staff.get_by_test_id("people").get_by_role("link", name="学员6", exact=True).click()
    staff.get_by_role("button", name="发放临时密码").click()
    temporary = staff.get_by_test_id("temporary-password").inner_text().strip()
    assert re.fullmatch(r"[A-Za-z0-9]{12}", temporary)
    desk.close()

    phone_context = browser.new_context(
        viewport=PHONE, base_url=live_server.url, locale="zh-CN", is_mobile=True, has_touch=True
    )
    phone = phone_context.new_page()
    phone.set_default_timeout(15_000)
    log_in(phone, "13900000006", temporary)
    expect(phone.get_by_role("heading", name="设置您自己的密码")).to_be_visible()
    phone.goto("/")  # nothing else opens before a new password is set
    expect(phone.get_by_role("heading", name="设置您自己的密码")).to_be_visible()
    phone.get_by_label("新密码", exact=True).fill("Hegang-farm-hall-9")
    phone.get_by_label("再次输入新密码").fill("Hegang-farm-hall-9")
    phone.get_by_role("button", name="设置密码").click()
    expect(phone).to_have_url(re.compile(r"/todo/trainee/$"))  # "/" is the trainee's to-do home
    phone.get_by_role("link", name="继续学习").click()
    expect(phone.get_by_role("heading", name=world.cohort.name)).to_be_visible()
    expect(phone.get_by_text("社区规划基础").first).to_be_visible()
    phone_context.close()
