from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from courses.models import Attendance
from tests.courses.factories import SessionFactory
from tests.e2e.conftest import log_in
from tests.lms.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_instructor_projects_the_code_a_trainee_types_it_and_the_list_updates_without_reload(
    browser, live_server, phone, world
):
    # A lecture starting in five minutes: its check-in window is open on the real clock.
    session = SessionFactory(lesson=world.basics_lessons[0], starts_at=timezone.now() + timedelta(minutes=5))
    session.instructors.add(world.instructor)

    projector = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url, locale="zh-CN")
    screen = projector.new_page()
    screen.set_default_timeout(15_000)
    log_in(screen, world.instructor.username, PASSWORD)
    screen.goto(f"/sessions/{session.pk}/screen/")
    missing = screen.get_by_test_id("not-checked-in")
    expect(missing).to_contain_text(world.trainee.full_name)
    expect(screen.locator("[data-role=qr] svg")).to_be_visible()
    code = screen.get_by_test_id("check-in-code").inner_text().strip()
    assert len(code) == 6 and code.isdigit()
    screen.evaluate("window.__notReloaded = true")

    log_in(phone, world.trainee.username, PASSWORD)
    phone.goto("/check-in/")
    phone.get_by_test_id("code-input").fill(code)
    phone.locator(".check-in-form button[type=submit]").click()
    expect(phone.get_by_test_id("check-in-result")).to_have_attribute("data-created", "1")

    expect(missing).not_to_contain_text(world.trainee.full_name)
    expect(screen.get_by_test_id("missing-count")).to_have_text("0")
    assert screen.evaluate("window.__notReloaded") is True
    assert Attendance.objects.filter(session=session, enrolment=world.enrolment).count() == 1
    projector.close()


def test_instructor_taps_a_status_on_the_phone_sheet_without_reload(phone, world):
    session = SessionFactory(lesson=world.basics_lessons[0], starts_at=timezone.now() + timedelta(minutes=5))
    log_in(phone, world.instructor.username, PASSWORD)
    phone.goto(f"/sessions/{session.pk}/")
    phone.evaluate("window.__notReloaded = true")
    row = phone.locator(f"#enrolment-{world.enrolment.pk}")
    row.locator("button[value=late]").click()
    expect(row).to_have_class("sheet-row status-late")
    expect(row.locator("button[value=late]")).to_have_attribute("aria-pressed", "true")
    expect(phone.get_by_test_id("not-checked-in")).not_to_contain_text(world.trainee.full_name)
    assert phone.evaluate("window.__notReloaded") is True
    attendance = Attendance.objects.get(session=session, enrolment=world.enrolment)
    assert attendance.status == "late" and attendance.source == "instructor"
