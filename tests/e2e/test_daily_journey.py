"""On a phone: the instructor returns work, the trainee sees the bell, reads it, and finds the work on its home."""

import pytest
from playwright.sync_api import expect

from fieldwork import services as fieldwork_services
from tests.e2e.conftest import log_in
from tests.fieldwork.conftest import Field
from tests.lms.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_trainee_is_told_of_returned_work_and_finds_it_at_home(phone, world):
    field = Field(world)
    submission = field.submitted()
    fieldwork_services.submission_return(submission=submission, feedback="请补充居民访谈照片。", actor=world.instructor)
    log_in(phone, world.trainee.username, PASSWORD)
    bell = phone.get_by_test_id("bell")
    expect(bell).to_contain_text("1")
    bell.click()
    expect(phone.get_by_test_id("notification")).to_contain_text("“社区资产地图”已被退回")
    phone.get_by_role("button", name="标为已读", exact=True).click()
    expect(phone.get_by_test_id("bell")).not_to_contain_text("1")
    phone.get_by_test_id("todo-link").click()
    expect(phone.get_by_role("heading", name="接下来要做的事")).to_be_visible()
    expect(phone.get_by_test_id("returned")).to_contain_text("社区资产地图")
