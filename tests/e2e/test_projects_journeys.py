"""Field projects in a phone-sized browser: visit log with a photo, activity counts, case approval."""

import os
import uuid

import pytest
from playwright.sync_api import expect

from fieldwork.projects.models import CaseStatus, ModelCase, SupportVisit
from tests.certificates.workers import Worker, purge_queue
from tests.e2e.conftest import log_in
from tests.lms.factories import PASSWORD
from tests.projects.conftest import Projects
from tests.projects.factories import ModelCaseFactory, image_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def projects(world):
    return Projects(world)


def residents_total(page):
    return page.get_by_test_id("project-totals").locator('tr[data-group="residents"] td.num')


def test_instructor_logs_a_support_visit_with_a_photo(phone, projects, settings, media_root):
    queue = f"previews-e2e-{os.environ.get('CACHE_KEY_PREFIX', 'lms')}-{uuid.uuid4().hex[:8]}"
    settings.PREVIEWS_QUEUE = queue
    world = projects.world
    log_in(phone, world.instructor.username, PASSWORD)
    phone.goto(f"/projects/{projects.project.pk}/")
    phone.locator(f'a[href="/projects/{projects.project.pk}/visits/new/"]').click()
    expect(phone.get_by_test_id("open-steps")).to_be_visible()
    phone.locator("#id_visited_on").fill(f"{world.cohort.year}-05-07")
    phone.locator("#id_attendees").fill("何家明、何秀英")
    phone.locator("#id_discussion").fill("走访闲置旧仓库，建议先开议事会")
    phone.locator("#id_photos").set_input_files(
        files=[{"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": image_bytes(size=(640, 480))}]
    )
    phone.locator("#id_step_0_description").fill("召开第一次居民议事会")
    phone.locator("#id_step_0_owner").fill("何家明")
    phone.locator("[data-testid=visit-form] button[type=submit]").click()

    visits = phone.get_by_test_id("visits")
    expect(visits).to_contain_text("走访闲置旧仓库")
    expect(visits).to_contain_text("召开第一次居民议事会")
    # The answer came before the photo's sizes exist: a placeholder, until a worker makes them.
    expect(visits.get_by_test_id("preview-pending")).to_have_text("处理中…")
    worker = Worker(queue, media_root, extra_env={"PREVIEWS_QUEUE": queue})
    try:
        worker.wait_ready()
        photo = visits.locator("img").first
        expect(photo).to_be_visible(timeout=60_000)  # filled in by static/js/previews.js, no reload
    finally:
        worker.stop()
        purge_queue(queue)
    photo.scroll_into_view_if_needed()
    # Wait for the protected thumbnail to arrive, then check it decoded as a picture.
    photo.evaluate("img => img.complete || new Promise(done => img.addEventListener('load', done, {once: true}))")
    assert photo.evaluate("img => img.naturalWidth > 0")
    assert SupportVisit.objects.get().photos.count() == 1

    # The next visit shows the open step of this one.
    phone.goto(f"/projects/{projects.project.pk}/visits/new/")
    expect(phone.get_by_test_id("open-steps")).to_contain_text("召开第一次居民议事会")


def test_trainee_records_an_activity_and_sees_the_totals_move(phone, projects):
    world = projects.world
    log_in(phone, world.trainee.username, PASSWORD)
    phone.goto(f"/projects/{projects.project.pk}/")
    expect(residents_total(phone)).to_have_text("0")
    phone.locator(f'a[href="/projects/{projects.project.pk}/activities/new/"]').click()
    phone.locator("#id_kind").select_option("deliberation")
    phone.locator("#id_title").fill("第一次居民议事会")
    phone.locator("#id_held_on").fill(f"{world.cohort.year}-05-14")
    phone.locator("#id_place").fill("河岗社区党群服务中心")
    phone.locator("#id_residents").fill("32")
    phone.locator("#id_party_branches").fill("3")
    phone.locator("[data-testid=activity-form] button[type=submit]").click()

    expect(residents_total(phone)).to_have_text("32")
    expect(phone.get_by_test_id("activities")).to_contain_text("第一次居民议事会")
    expect(phone.get_by_test_id("bar-chart").first).to_be_visible()

    # A negative count is refused on the form and nothing moves.
    phone.goto(f"/projects/{projects.project.pk}/activities/new/")
    phone.locator("#id_title").fill("第二次议事会")
    phone.locator("#id_held_on").fill(f"{world.cohort.year}-06-18")
    phone.locator("#id_place").fill("村委会")
    phone.locator("#id_residents").fill("-5")
    phone.locator("[data-testid=activity-form] button[type=submit]").click()
    expect(phone.get_by_test_id("error-residents")).to_be_visible()
    phone.goto(f"/projects/{projects.project.pk}/")
    expect(residents_total(phone)).to_have_text("32")


def test_instructor_approves_a_model_case_and_it_appears_in_the_library(phone, projects):
    world = projects.world
    case = ModelCaseFactory(project=projects.project, status=CaseStatus.SUBMITTED, title="农耕馆里的共同体")
    log_in(phone, world.instructor.username, PASSWORD)
    phone.goto(f"/projects/cases/{case.pk}/")
    phone.locator("#id_comments").fill("数据翔实，可供学习")
    phone.locator("[data-testid=review-form] button[value=approve]").click()
    expect(phone.get_by_test_id("case-status")).to_have_attribute("data-status", "approved")
    assert ModelCase.objects.get().status == CaseStatus.APPROVED

    phone.goto("/projects/library/")
    phone.locator("#id_q").fill("共同体")
    phone.locator("[data-testid=library-search] button[type=submit]").click()
    expect(phone.get_by_test_id("library-results")).to_contain_text("农耕馆里的共同体")
