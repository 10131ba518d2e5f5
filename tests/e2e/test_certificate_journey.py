"""Staff sees eligibility, issues, watches the batch finish, verifies logged out, revokes, sees "revoked"."""

import os
import uuid

import pytest
from playwright.sync_api import expect

from certificates.models import Certificate, CompletionRule
from tests.certificates.factories import complete_all_lessons
from tests.certificates.workers import Worker, purge_queue
from tests.courses.factories import EnrolmentFactory
from tests.e2e.conftest import log_in
from tests.lms.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(settings, tmp_path, live_server):
    settings.CERTIFICATES_QUEUE = f"certificates-e2e-{os.environ.get('CACHE_KEY_PREFIX', 'lms')}-{uuid.uuid4().hex[:8]}"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(tmp_path)}},
    }
    settings.LMS_PUBLIC_BASE_URL = live_server.url
    process = Worker(settings.CERTIFICATES_QUEUE, str(tmp_path))
    process.wait_ready()
    yield process
    process.stop()
    purge_queue(settings.CERTIFICATES_QUEUE)


def test_staff_issues_watches_progress_verifies_and_revokes(phone, browser, live_server, world, worker):
    CompletionRule.objects.create(cohort=world.cohort, min_lesson_percent=100)
    complete_all_lessons(world.enrolment)
    rare = EnrolmentFactory(cohort=world.cohort, community=world.community, trainee=UserFactory(full_name="刘䶮"))
    complete_all_lessons(rare)
    EnrolmentFactory(cohort=world.cohort, community=world.community, trainee=UserFactory(full_name="陈落后"))

    log_in(phone, world.staff.username, PASSWORD)
    phone.goto(f"/cohorts/{world.cohort.pk}/certificates/")
    rows = phone.get_by_test_id("eligibility-row")
    expect(rows).to_have_count(3)
    expect(phone.locator('[data-testid=eligibility-row][data-eligible="no"]')).to_contain_text("陈落后")
    expect(phone.locator('[data-testid=eligibility-row][data-eligible="no"] [data-testid=reason]')).to_have_count(1)

    phone.get_by_test_id("issue-all").click()
    expect(phone.get_by_test_id("total")).to_have_text("2")
    expect(phone.get_by_test_id("batch-state")).to_have_attribute("data-done", "yes", timeout=60_000)
    expect(phone.get_by_test_id("issued")).to_have_text("2")
    expect(phone.get_by_test_id("progress-bar")).to_have_attribute("value", "100")
    # Once done the page reloads itself, so every row shows its final state, not "waiting".
    expect(phone.get_by_test_id("batch-certificate").filter(has_text="已颁发")).to_have_count(2)

    certificate = Certificate.objects.get(enrolment=rare)
    public = browser.new_context(base_url=live_server.url, locale="zh-CN")
    visitor = public.new_page()
    visitor.goto(f"/verify/{certificate.code}/")
    expect(visitor.get_by_test_id("verification")).to_have_attribute("data-status", "issued")
    expect(visitor.get_by_test_id("name")).to_have_text("刘䶮")
    expect(visitor.get_by_test_id("sha256")).to_have_text(certificate.sha256)

    phone.goto(f"/certificates/{certificate.pk}/")
    form = phone.get_by_test_id("revoke-form")
    form.locator("select[name=reason]").select_option("error")
    form.locator("button[type=submit]").click()
    expect(phone.get_by_test_id("certificate-status")).to_have_attribute("data-status", "revoked")

    visitor.reload()
    expect(visitor.get_by_test_id("verification")).to_have_attribute("data-status", "revoked")
    expect(visitor.get_by_test_id("revocation")).to_be_visible()
    public.close()
