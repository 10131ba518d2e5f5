"""Field assignment journeys in the real browser: a trainee hands in from a phone, an instructor grades."""

import os
import uuid

import pytest
from playwright.sync_api import expect

from fieldwork.models import Objection, Submission, SubmissionState
from tests.certificates.workers import Worker, purge_queue
from tests.e2e.conftest import log_in
from tests.fieldwork.conftest import Field
from tests.fieldwork.factories import PDF_BYTES, jpeg_bytes
from tests.lms.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def field_world(world):
    return Field(world)


def test_trainee_hands_in_from_a_phone_instructor_grades_trainee_objects(
    phone, browser, live_server, field_world, tmp_path, settings, media_root
):
    queue = f"previews-e2e-{os.environ.get('CACHE_KEY_PREFIX', 'lms')}-{uuid.uuid4().hex[:8]}"
    settings.PREVIEWS_QUEUE = queue
    field = field_world
    world = field.world
    photos = []
    for i in (1, 2):
        path = tmp_path / f"河岗现场{i}.jpg"
        path.write_bytes(jpeg_bytes(size=(400 + i, 300), color=(40 * i, 120, 80)))
        photos.append(path)
    report = tmp_path / "资产地图报告.pdf"
    report.write_bytes(PDF_BYTES)

    # The trainee, on a phone: from the module page to the assignment, uploads photos and a report.
    log_in(phone, world.trainee.username, PASSWORD)
    phone.goto(f"/modules/{world.skills.pk}/")
    phone.get_by_test_id("module-assignments-link").click()
    phone.get_by_test_id(f"assignment-{field.assignment.pk}").click()
    phone.locator("input#files").set_input_files([*photos, report])
    phone.get_by_test_id("upload-form").locator("button[type=submit]").click()
    expect(phone.locator(".file-row")).to_have_count(3)
    # The answer came before the thumbnails exist; a worker makes them and the page fills them in.
    expect(phone.get_by_test_id("preview-pending")).to_have_count(2)
    worker = Worker(queue, media_root, extra_env={"PREVIEWS_QUEUE": queue})
    try:
        worker.wait_ready()
        expect(phone.locator("img.thumb")).to_have_count(2, timeout=60_000)
    finally:
        worker.stop()
        purge_queue(queue)
    phone.locator("textarea#note").fill("河岗社区的资产地图，请导师查阅。")
    phone.locator("form[action$='/submit/'] button").click()
    expect(phone.get_by_test_id("version-1")).to_be_visible()
    submission = Submission.objects.get(enrolment=world.enrolment)
    assert submission.state == SubmissionState.SUBMITTED and submission.versions.get().files.count() == 3

    # The instructor grades with the rubric beside the photos; the total follows live, then releases.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="zh-CN")
    desk = context.new_page()
    desk.set_default_timeout(10_000)
    log_in(desk, world.instructor.username, PASSWORD)
    desk.goto("/grading/")
    desk.get_by_test_id(f"queue-{submission.pk}").click()
    expect(desk.locator(".preview img")).to_have_count(2)
    (c1, _low1, high1), (c2, low2, _high2) = field.rubric
    desk.locator(f"input[name=level_{c1.pk}][value='{high1.pk}']").check()
    expect(desk.get_by_test_id("live-total")).to_have_text("10")  # the level's top, filled in
    desk.get_by_test_id(f"points-{c1.pk}").fill("8.5")
    desk.locator(f"input[name=level_{c2.pk}][value='{low2.pk}']").check()
    desk.get_by_test_id(f"points-{c2.pk}").fill("4")
    expect(desk.get_by_test_id("live-total")).to_have_text("12.5")
    desk.locator("textarea#feedback").fill("资产识别全面，居民参与还可以更多。")
    desk.locator("button[value=grade]").click()
    desk.get_by_test_id("release-one").click()
    submission.refresh_from_db()
    assert submission.state == SubmissionState.RELEASED and str(submission.score) == "12.5"
    context.close()

    # The trainee sees the released grade and objects within the window.
    phone.reload()
    expect(phone.get_by_test_id("released-grade")).to_contain_text("12.5")
    expect(phone.get_by_test_id("feedback")).to_contain_text("资产识别全面")
    phone.locator("textarea#reason").fill("我们另外访谈了三位长者，请复核居民参与一项。")
    phone.get_by_test_id("objection-form").locator("button[type=submit]").click()
    expect(phone.get_by_test_id("objection")).to_be_visible()
    assert Objection.objects.get(submission=submission).reason.startswith("我们另外访谈")
    phone.screenshot(path=str(tmp_path / "objection.png"), full_page=True)


def test_instructor_reads_a_submitted_pdf_beside_the_rubric(browser, live_server, field_world):
    from tests.fieldwork.factories import real_pdf_bytes, upload

    field = field_world
    submission = field.submitted(files=[upload("资产地图报告.pdf", real_pdf_bytes(), "application/pdf")])
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="zh-CN")
    desk = context.new_page()
    desk.set_default_timeout(10_000)
    log_in(desk, field.world.instructor.username, PASSWORD)
    external = []
    desk.on("request", lambda r: external.append(r.url) if not r.url.startswith(live_server.url) else None)
    desk.goto(f"/submissions/{submission.pk}/grade/")
    viewer = desk.get_by_test_id("pdf-viewer")
    expect(viewer.locator("canvas")).to_have_count(1)
    expect(viewer.locator(".pdf-status")).to_contain_text("1")
    assert [u for u in external if not u.startswith(("data:", "blob:"))] == []
    context.close()


def _phone_photo(path, size=(4000, 3000)):
    """A 12-megapixel photo as a phone takes it: noisy (so it is several MB) and turned by EXIF."""
    import os

    from PIL import Image

    small = (size[0] // 8, size[1] // 8)
    noise = Image.frombytes("RGB", small, os.urandom(small[0] * small[1] * 3)).resize(size, Image.BICUBIC)
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was held upright: show the picture turned 90° clockwise
    noise.save(path, "JPEG", quality=92, exif=exif.tobytes())
    return path


def test_a_phone_photo_is_reduced_before_sending(phone, field_world, tmp_path):
    from fieldwork.models import SubmissionFile

    field = field_world
    original = _phone_photo(tmp_path / "河岗全景.jpg")
    assert original.stat().st_size > 3 * 1024 * 1024  # more than the assignment accepts in one hand-in
    log_in(phone, field.world.trainee.username, PASSWORD)
    phone.goto(f"/assignments/{field.assignment.pk}/")
    phone.locator("input#files").set_input_files([original])
    phone.get_by_test_id("upload-form").locator("button[type=submit]").click()
    expect(phone.locator(".file-row")).to_have_count(1, timeout=30_000)  # decoding 12 Mpx on a slow phone takes a while
    stored = SubmissionFile.objects.get()
    assert stored.size < 1024 * 1024
    assert stored.height > stored.width  # portrait, as the EXIF says
    assert 1000 < stored.height <= 2560
