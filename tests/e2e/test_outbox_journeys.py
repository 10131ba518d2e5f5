"""The field outbox on a phone without a network: nothing typed is lost, nothing arrives twice."""

import hashlib
import os
import time

import pytest
from playwright.sync_api import expect

from fieldwork.projects.models import EngagementActivity, ProjectPhoto
from tests.e2e.conftest import PHONE, log_in
from tests.lms.factories import PASSWORD
from tests.projects.conftest import Projects
from tests.projects.factories import image_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def projects(world):
    return Projects(world)


@pytest.fixture
def field_phone(browser, live_server):
    """A phone whose network can be switched off (context.set_offline)."""
    context = browser.new_context(
        viewport=PHONE, base_url=live_server.url, locale="zh-CN", is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def photo(n: int, side: str) -> dict:
    colour = (n * 7 % 256, 40 if side == "a" else 200, n * 13 % 256)
    return {
        "name": f"活动{n}{side}.jpg",
        "mimeType": "image/jpeg",
        "buffer": image_bytes(size=(320, 240), colour=colour),
    }


def fill_activity(page, year: int, n: int, *, residents: str = "10", photos=()) -> None:
    page.locator("#id_kind").select_option("deliberation")
    page.locator("#id_title").fill(f"议事会{n}")
    page.locator("#id_held_on").fill(f"{year}-05-{n % 28 + 1:02d}")
    page.locator("#id_place").fill("村委会")
    page.locator("#id_residents").fill(residents)
    if photos:
        page.locator("#id_photos").set_input_files(files=list(photos))
    page.locator("[data-testid=activity-form] button[type=submit]").click()


def shot(page, name: str) -> None:
    """A screenshot for the closing note when LMS_E2E_SHOTS names a folder."""
    if folder := os.environ.get("LMS_E2E_SHOTS"):
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def waiting(page):
    return page.get_by_test_id("outbox-count")


def open_form_offline(page, projects):
    log_in(page, projects.world.trainee.username, PASSWORD)
    page.goto(f"/projects/{projects.project.pk}/activities/new/")
    page.context.set_offline(True)


def test_twenty_activities_made_offline_arrive_exactly_once(field_phone, projects):
    page, year = field_phone, projects.world.cohort.year
    open_form_offline(page, projects)
    sent = []
    for n in range(20):
        pair = [photo(n, "a"), photo(n, "b")]
        sent += [hashlib.sha256(p["buffer"]).hexdigest() for p in pair]
        fill_activity(page, year, n, photos=pair)
        expect(waiting(page)).to_have_text(str(n + 1))
    expect(page.get_by_test_id("outbox-notice")).to_contain_text("没有网络")
    expect(page.get_by_test_id("outbox-item")).to_have_count(20)
    assert not EngagementActivity.objects.exists()

    # Kept before the network returns: the same outbox will be put back twice after it is sent.
    page.evaluate("window.lmsOutbox.all().then(items => { window.copies = items; })")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "outbox-waiting")
    started = time.monotonic()
    page.context.set_offline(False)
    expect(page.get_by_test_id("outbox-link")).to_be_hidden(timeout=60_000)
    print(f"outbox: 20 activities with 40 photos sent in {time.monotonic() - started:.1f} s after the network returned")
    assert EngagementActivity.objects.count() == 20
    assert sorted(ProjectPhoto.objects.values_list("sha256", flat=True)) == sorted(sent)
    assert sorted(EngagementActivity.objects.values_list("title", flat=True)) == sorted(f"议事会{n}" for n in range(20))

    for _replay in range(2):
        page.evaluate(
            "Promise.all(window.copies.map(item => window.lmsOutbox.put(item))).then(() => window.lmsOutbox.sync(true))"
        )
        expect(page.get_by_test_id("outbox-link")).to_be_hidden(timeout=60_000)
    assert EngagementActivity.objects.count() == 20 and ProjectPhoto.objects.count() == 40


def test_a_server_error_during_sync_is_retried(field_phone, projects):
    page, year = field_phone, projects.world.cohort.year
    open_form_offline(page, projects)
    fill_activity(page, year, 1, photos=[photo(1, "a")])
    expect(waiting(page)).to_have_text("1")
    answered = []

    def first_fails(route):
        if route.request.method == "POST" and not answered:
            answered.append(500)
            route.fulfill(status=500, body="down for a moment")
        else:
            route.continue_()

    page.route("**/activities/new/**", first_fails)
    page.context.set_offline(False)
    for _tick in range(100):
        if answered:
            break
        page.wait_for_timeout(100)
    expect(page.get_by_test_id("outbox-item")).to_have_attribute("data-state", "waiting")
    assert answered == [500] and not EngagementActivity.objects.exists()
    page.get_by_test_id("send-now").click()
    expect(page.get_by_test_id("outbox-link")).to_be_hidden(timeout=30_000)
    assert answered == [500]
    assert EngagementActivity.objects.count() == 1 and ProjectPhoto.objects.count() == 1


def test_a_refused_record_is_kept_with_the_servers_message_and_corrected(field_phone, projects):
    page, year = field_phone, projects.world.cohort.year
    open_form_offline(page, projects)
    fill_activity(page, year, 3, residents="-3", photos=[photo(3, "a")])
    expect(waiting(page)).to_have_text("1")
    page.context.set_offline(False)
    item = page.get_by_test_id("outbox-item")
    expect(item).to_have_attribute("data-state", "failed")
    expect(item.get_by_test_id("outbox-message")).to_contain_text("不能为负")
    shot(page, "outbox-refused")
    page.reload()  # kept across reloads, never dropped
    expect(page.get_by_test_id("outbox-item")).to_have_attribute("data-state", "failed")
    assert not EngagementActivity.objects.exists()

    page.get_by_test_id("outbox-item").get_by_role("link").click()
    expect(page.locator("#id_residents")).to_have_value("-3")
    expect(page.locator("#id_title")).to_have_value("议事会3")
    page.locator("#id_residents").fill("3")
    page.locator("[data-testid=activity-form] button[type=submit]").click()
    expect(page).to_have_url(f"{page.url.split('/projects/')[0]}/projects/{projects.project.pk}/")
    expect(page.get_by_test_id("outbox-link")).to_be_hidden()
    activity = EngagementActivity.objects.get()
    assert activity.residents == 3 and activity.photos.count() == 1


def test_logging_out_with_records_waiting_asks_first(field_phone, projects):
    page, year = field_phone, projects.world.cohort.year
    open_form_offline(page, projects)
    fill_activity(page, year, 5)
    expect(waiting(page)).to_have_text("1")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_test_id("logout-form").get_by_role("button").click()
    expect(waiting(page)).to_have_text("1")
    assert len(asked) == 1 and "本机还有 1 条记录待发送" in asked[0]
    assert page.url.endswith("/activities/new/") or "/activities/new/" in page.url

    page.context.set_offline(False)
    expect(page.get_by_test_id("outbox-link")).to_be_hidden(timeout=30_000)
    page.get_by_test_id("logout-form").get_by_role("button").click()
    expect(page.get_by_test_id("logout-form")).to_have_count(0)
    assert EngagementActivity.objects.count() == 1


def test_a_qr_confirmed_in_a_dead_zone_checks_in_when_the_network_returns(field_phone, world):
    from datetime import timedelta

    from django.utils import timezone

    from courses import checkin_codes
    from courses.models import Attendance, AttendanceSource
    from tests.courses.factories import SessionFactory

    page = field_phone
    session = SessionFactory(lesson=world.basics_lessons[0], starts_at=timezone.now() - timedelta(minutes=5))
    # Shown on the projector ten minutes ago: too old for an ordinary check-in, inside the window and the grace.
    token = checkin_codes.token_for(session.pk, checkin_codes.current_slot() - 10)
    log_in(page, world.trainee.username, PASSWORD)
    page.goto(f"/check-in/{session.pk}/?t={token}")
    page.context.set_offline(True)
    page.get_by_test_id("confirm-check-in").click()
    expect(waiting(page)).to_have_text("1")
    assert not Attendance.objects.exists()
    page.context.set_offline(False)
    expect(page.get_by_test_id("outbox-link")).to_be_hidden(timeout=30_000)
    attendance = Attendance.objects.get()
    assert attendance.source == AttendanceSource.OFFLINE
    assert attendance.checked_in_at == checkin_codes.token_moment(session.pk, token)
