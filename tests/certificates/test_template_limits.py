"""Templates cannot poison the pipeline: trial render on save, page cap, time limits on preview and task."""

import pytest

from certificates import rendering, services
from certificates.models import Certificate, CertificateStatus, IssuerProfile
from certificates.tasks import render_certificate
from lms.models import AuditEntry
from tests.certificates.workers import Worker, wait_for

TWO_PAGES = "<p>{{ trainee_name }}</p><p style='break-before: page'>{{ serial }}</p>"
BROKEN_CSS = "p { font-size: 1e308px }"  # WeasyPrint raises OverflowError laying this out
# One page, but ~5 s of layout on this machine: thousands of lines clipped by a small box.
HEAVY = "<div style='height: 20mm; overflow: hidden'>" + "<span>社区规划师培育课程</span> " * 8000 + "</div>"


def english(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def template_url(world):
    return f"/districts/{world.district.pk}/certificate/"


def form(html, css):
    return {"name": "佛山市南海区民政局", "short_name": "南海区民政局", "html": html, "css": css}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("html", "css", "seconds", "message"),
    [
        (TWO_PAGES, "", 10, "The certificate would have 2 pages; it must fit on 1."),
        ("<p>{{ trainee_name }}</p>", BROKEN_CSS, 10, "The template could not be rendered: OverflowError"),
        (HEAVY, "", 0.5, "Rendering the template took longer than 0.5 seconds"),
    ],
)
def test_a_template_that_fails_its_trial_render_is_refused_with_the_reason(
    client, world, settings, html, css, seconds, message
):
    settings.CERTIFICATES_TEMPLATE_RENDER_SECONDS = seconds
    response = english(client, world.staff).post(template_url(world), form(html, css))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not IssuerProfile.objects.exists()
    assert not AuditEntry.objects.filter(verb="certificate_template.saved").exists()


@pytest.mark.django_db
def test_a_template_that_renders_on_one_page_is_saved(client, world):
    css = rendering.DEFAULT_CSS + "\nh1 { color: #7a1f1f; }"
    response = english(client, world.staff).post(template_url(world), form(rendering.DEFAULT_HTML, css))
    assert response.status_code == 302
    assert IssuerProfile.objects.get().css == css
    assert AuditEntry.objects.filter(verb="certificate_template.saved").count() == 1


@pytest.mark.django_db
def test_one_line_more_than_fits_is_refused_as_a_second_page(client, world):
    html = rendering.DEFAULT_HTML.replace("</body>", "<p>南海区</p></body>")
    response = english(client, world.staff).post(template_url(world), form(html, rendering.DEFAULT_CSS))
    assert response.status_code == 400 and "would have 2 pages" in response.content.decode()
    assert not IssuerProfile.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("html", "seconds", "message"),
    [
        (TWO_PAGES, 10, "The certificate would have 2 pages"),
        (HEAVY, 0.5, "Rendering the template took longer than 0.5 seconds"),
    ],
)
def test_preview_answers_a_message_within_the_limit(client, world, settings, html, seconds, message):
    settings.CERTIFICATES_TEMPLATE_RENDER_SECONDS = seconds
    response = english(client, world.staff).post(template_url(world) + "preview/", {"html": html, "css": ""})
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    assert message in response.content.decode()


@pytest.mark.django_db
def test_render_task_marks_a_certificate_of_more_than_one_page_failed_with_the_reason(certified_world):
    w = certified_world
    # A template stored before trial renders existed (or written around them): the task still refuses it.
    IssuerProfile.objects.create(district=w.district, name="南海", html=TWO_PAGES, css="", updated_by=w.staff)
    batch = services.certificate_issue_batch(cohort=w.cohort, actor=w.staff, enrolment_ids=[w.done.pk])
    certificate = batch.certificates.get()
    render_certificate.apply(args=[certificate.pk])
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.FAILED and not certificate.pdf
    assert certificate.error == "The certificate has 2 pages; at most 1 is allowed."


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("soft", "hard", "error"),
    [
        ("1", "20", "Rendering took longer than 1 s; check the template."),
    ],
)
def test_a_render_over_the_time_limit_is_marked_failed_and_the_worker_goes_on(
    certified_world, render_queue, media_root, soft, hard, error
):
    w = certified_world
    IssuerProfile.objects.create(district=w.district, name="南海", html=HEAVY, css="", updated_by=w.staff)
    worker = Worker(
        render_queue,
        media_root,
        extra_env={"CERTIFICATES_RENDER_SOFT_SECONDS": soft, "CERTIFICATES_RENDER_HARD_SECONDS": hard},
    )
    try:
        worker.wait_ready()
        batch = services.certificate_issue_batch(cohort=w.cohort, actor=w.staff)
        ids = list(batch.certificates.values_list("pk", flat=True))
        wait_for(
            lambda: Certificate.objects.filter(pk__in=ids, status=CertificateStatus.FAILED).count() == 2,
            timeout=60,
            workers=[worker],
        )
    finally:
        worker.stop()
    errors = set(Certificate.objects.filter(pk__in=ids).values_list("error", flat=True))
    assert errors == {error}
