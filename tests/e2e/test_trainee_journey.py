import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.lms.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_trainee_marks_a_lesson_done_and_sees_the_module_bar_move(phone, world):
    log_in(phone, world.trainee.username, PASSWORD)
    expect(phone).to_have_url(re.compile(r"/todo/trainee/$"))  # "/" after login: the trainee's to-do home
    phone.get_by_test_id("learning-link").click()  # the top bar still leads to the course
    expect(phone.get_by_role("heading", name=world.cohort.name)).to_be_visible()
    module_bar = phone.get_by_role("progressbar", name="社区规划基础")
    expect(module_bar).to_have_attribute("value", "0")

    phone.get_by_role("link", name=re.compile("基础课1")).first.click()
    expect(phone.get_by_role("heading", name="基础课1")).to_be_visible()
    phone.get_by_role("button", name="标记为已完成").click()
    expect(phone.get_by_text("已完成“基础课1”")).to_be_visible()
    expect(phone.get_by_test_id("lesson-done")).to_be_visible()

    phone.get_by_role("link", name=world.cohort.name).click()
    expect(phone.get_by_role("progressbar", name="社区规划基础")).to_have_attribute("value", "50")
    expect(phone.get_by_test_id("overall-progress")).to_contain_text("已完成 1 / 3 课时")
