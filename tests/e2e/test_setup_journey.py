"""Staff on a phone land on their to-do home, reorder a cohort's modules and lessons, read why a module cannot be
deleted, and delete a lesson nothing holds; every page passes the axe and CSP audit of tests/e2e/conftest.py."""

import re

import pytest
from playwright.sync_api import expect

from courses.models import Lesson
from tests.e2e.conftest import log_in
from tests.lms.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_staff_reorder_and_delete_in_set_up_on_a_phone(phone, world):
    log_in(phone, world.staff.username, PASSWORD)
    expect(phone).to_have_url(re.compile(r"/todo/staff/$"))
    phone.get_by_role("link", name="班级设置").click()
    phone.get_by_role("link", name=world.cohort.name).click()
    modules = phone.get_by_test_id("setup-modules")
    expect(modules.locator(".setup-module strong")).to_have_text(["社区规划基础", "专业技能授课"])

    phone.get_by_role("button", name="下移“社区规划基础”").click()
    expect(modules.locator(".setup-module strong")).to_have_text(["专业技能授课", "社区规划基础"])
    phone.get_by_role("button", name="上移“基础课2”").click()
    expect(phone.get_by_role("button", name="下移“基础课2”")).to_be_visible()
    assert list(world.basics.lessons.order_by("position").values_list("title", flat=True)) == ["基础课2", "基础课1"]

    phone.get_by_role("link", name="删除“社区规划基础”").click()
    expect(phone.get_by_test_id("holds")).to_contain_text("它有 2 个课时：请先删除。")
    expect(phone.get_by_role("button", name="删除")).to_have_count(0)
    phone.get_by_role("link", name="返回").click()

    phone.get_by_role("link", name="删除“议事会的组织与主持”").click()
    phone.get_by_role("button", name="删除").click()
    expect(phone.get_by_text("课时 议事会的组织与主持 已删除。")).to_be_visible()
    assert not Lesson.objects.filter(pk=world.skills_lesson.pk).exists()
