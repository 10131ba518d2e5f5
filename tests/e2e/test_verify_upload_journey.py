"""The public check of a file in a real browser: the form is sent by the upload script (XHR with a progress
bar) and the verdict page it answers is shown, for a genuine PDF and for a refused one."""

import pytest
from playwright.sync_api import expect

from certificates import services
from certificates.models import Certificate, CompletionRule
from tests.certificates.conftest import certificate_bytes
from tests.certificates.factories import complete_all_lessons
from tests.courses.factories import EnrolmentFactory
from tests.lms.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_genuine_pdf_uploaded_to_the_check_shows_its_verdict(phone, live_server, world, tmp_path):
    CompletionRule.objects.create(cohort=world.cohort, min_lesson_percent=100)
    enrolment = EnrolmentFactory(cohort=world.cohort, community=world.community, trainee=UserFactory(full_name="刘䶮"))
    complete_all_lessons(enrolment)
    services.certificate_issue_batch(cohort=world.cohort, actor=world.staff, enrolment_ids=[enrolment.pk])
    certificate = Certificate.objects.get(enrolment=enrolment)
    services.certificate_render(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    genuine = tmp_path / f"{certificate.serial}.pdf"
    genuine.write_bytes(certificate_bytes(certificate))

    phone.goto("/verify/")
    form = phone.get_by_test_id("verify-upload")
    form.locator("input[type=file]").set_input_files(str(genuine))
    form.get_by_role("button", name="核验该文件").click()
    verdict = phone.locator("[data-genuine]")
    expect(verdict).to_have_attribute("data-genuine", "yes")
    expect(phone.locator("main")).to_contain_text("刘䶮")
    assert phone.url.endswith("/verify/") or phone.url.endswith("/verify/check/")

    altered = bytearray(genuine.read_bytes())
    altered[len(altered) // 2] ^= 0x20
    changed = tmp_path / "altered.pdf"
    changed.write_bytes(bytes(altered))
    phone.goto("/verify/")
    form = phone.get_by_test_id("verify-upload")
    form.locator("input[type=file]").set_input_files(str(changed))
    form.get_by_role("button", name="核验该文件").click()
    expect(phone.locator("[data-genuine]")).to_have_attribute("data-genuine", "no")


def test_a_form_that_redirects_after_the_upload_lands_on_the_next_page(phone, live_server, world, tmp_path):
    """The other kind of answer the script handles: a redirect (the district's seal saved) is followed."""
    import io

    from PIL import Image

    from tests.e2e.conftest import log_in
    from tests.lms.factories import PASSWORD

    seal = tmp_path / "seal.png"
    out = io.BytesIO()
    Image.new("RGB", (240, 240), (200, 16, 30)).save(out, format="PNG")
    seal.write_bytes(out.getvalue())
    log_in(phone, world.staff.username, PASSWORD)
    phone.goto(f"/districts/{world.district.pk}/certificate/")
    form = phone.get_by_test_id("issuer-form")
    form.get_by_label("发证机构（全称）").fill("佛山市南海区民政局")
    form.locator("input[type=file]").set_input_files(str(seal))
    form.get_by_role("button", name="保存").click()
    expect(phone.get_by_test_id("seal")).to_be_visible(timeout=30_000)
    assert phone.url.endswith(f"/districts/{world.district.pk}/certificate/")
