"""Staff keep their district's towns and communities on a phone: add, see the refusal of a taken name, retire."""

import pytest
from playwright.sync_api import expect

from lms.models import Community
from tests.e2e.conftest import log_in
from tests.lms.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_staff_add_a_community_meet_a_taken_name_and_retire_one_on_a_phone(phone, world, tmp_path):
    town = world.community.town
    log_in(phone, world.staff.username, PASSWORD)
    phone.goto("/people/")
    phone.get_by_role("link", name="镇街与社区").click()
    expect(phone.get_by_role("heading", name="镇街与社区")).to_be_visible()
    expect(phone.locator(f'tr[data-community="{world.community.pk}"]')).to_contain_text("河岗社区")

    phone.get_by_text("添加社区", exact=True).click()
    phone.get_by_label("社区（村）名称").fill("西坊村")
    phone.get_by_role("button", name="添加该社区").click()
    expect(phone.get_by_text("已添加社区“西坊村”。")).to_be_visible()
    added = Community.objects.get(town=town, name="西坊村")

    phone.get_by_text("添加社区", exact=True).click()
    phone.get_by_label("社区（村）名称").fill("河岗社区")
    phone.get_by_role("button", name="添加该社区").click()
    expect(phone.get_by_text(f"{town.name}已有名为“河岗社区”的社区。")).to_be_visible()
    assert Community.objects.filter(town=town, name="河岗社区").count() == 1

    phone.goto("/places/")
    phone.screenshot(path=str(tmp_path / "places.png"), full_page=True)
    phone.locator(f'tr[data-community="{world.community.pk}"]').get_by_role("link", name="河岗社区").click()
    expect(phone.get_by_test_id("references")).to_contain_text("报名: 1")
    expect(phone.get_by_role("button", name="删除该社区")).to_have_count(0)  # named by an enrolment
    phone.get_by_role("button", name="停用该社区").click()
    expect(phone.get_by_text("社区已停用：新的报名不再可选。")).to_be_visible()
    phone.screenshot(path=str(tmp_path / "community-retired.png"), full_page=True)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width

    phone.goto(f"/cohorts/{world.cohort.pk}/")
    options = phone.locator("#id_community option")
    expect(options).to_have_count(1)
    expect(options.first).to_have_attribute("value", str(added.pk))
