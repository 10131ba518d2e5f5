"""Two staff edit the same completion rule in two browsers: the first save wins, the second answers 409 with
what changed meanwhile and the form as typed, and saving again (knowingly) replaces it."""

import pytest
from playwright.sync_api import expect

from certificates import services as certificate_services
from certificates.models import CompletionRule
from tests.e2e.conftest import log_in
from tests.lms.factories import PASSWORD, DistrictStaffFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_two_staff_edit_the_same_rule_and_the_second_gets_409_with_the_form_kept(browser, live_server, world):
    certificate_services.completion_rule_save(cohort=world.cohort, actor=world.staff, min_lesson_percent=80)
    colleague = DistrictStaffFactory(district=world.district, user__full_name="梁慧敏").user
    pages, contexts = [], []
    for person in (world.staff, colleague):
        context = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=live_server.url, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(10_000)
        log_in(page, person.username, PASSWORD)
        page.goto(f"/cohorts/{world.cohort.pk}/certificates/rule/")
        contexts.append(context)
        pages.append(page)
    first, second = pages

    first.locator('input[name="min_lesson_percent"]').fill("85")
    first.get_by_role("button", name="保存").click()
    expect(first.get_by_text("结业条件已保存。")).to_be_visible()

    second.locator('input[name="min_lesson_percent"]').fill("95")
    second.locator('input[name="min_attendance_percent"]').fill("70")
    with second.expect_response(lambda r: r.request.method == "POST") as answer:
        second.get_by_role("button", name="保存").click()
    assert answer.value.status == 409
    notice = second.get_by_test_id("stale-version")
    expect(notice).to_contain_text("有人已保存")
    expect(notice).to_contain_text("80 → 85")
    expect(second.locator('input[name="min_lesson_percent"]')).to_have_value("95")  # the form as typed
    expect(second.locator('input[name="min_attendance_percent"]')).to_have_value("70")
    assert CompletionRule.objects.get(cohort=world.cohort).min_lesson_percent == 85

    second.get_by_role("button", name="保存").click()  # knowingly, over the colleague's save
    expect(second.get_by_text("结业条件已保存。")).to_be_visible()
    rule = CompletionRule.objects.get(cohort=world.cohort)
    assert (rule.min_lesson_percent, rule.min_attendance_percent) == (95, 70)
    for context in contexts:
        context.close()
