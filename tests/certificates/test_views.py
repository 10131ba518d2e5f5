import io
import zipfile

import pytest
from django.core.management import call_command

from certificates import services
from certificates.models import Certificate, CertificateStatus, IssuanceBatch, RevocationReason
from tests.certificates.factories import complete_all_lessons
from tests.courses.factories import EnrolmentFactory
from tests.lms.factories import UserFactory

pytestmark = pytest.mark.django_db


def english(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def issued(world, enrolment):
    batch = services.certificate_issue_batch(cohort=world.cohort, actor=world.staff, enrolment_ids=[enrolment.pk])
    certificate = batch.certificates.get()
    services.certificate_render(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    return certificate


def test_eligibility_page_lists_every_trainee_with_reasons(client, certified_world):
    w = certified_world
    page = english(client, w.staff).get(f"/cohorts/{w.cohort.pk}/certificates/").content.decode()
    assert page.count('data-testid="eligibility-row"') == 3
    assert f'data-enrolment="{w.lagging.pk}" data-eligible="no"' in page
    assert f'data-enrolment="{w.done.pk}" data-eligible="yes"' in page
    assert "lessons done 0% &lt; 100%" in page


def test_cohort_pages_are_not_found_for_other_districts_and_trainees(client, certified_world):
    w = certified_world
    for user in (w.other_staff, w.trainee, w.instructor, w.stranger):
        client.force_login(user)
        for url in (
            f"/cohorts/{w.cohort.pk}/certificates/",
            f"/cohorts/{w.cohort.pk}/certificates/rule/",
            f"/cohorts/{w.cohort.pk}/certificates.zip",
        ):
            assert client.get(url).status_code == 404, (user, url)
        assert client.post(f"/cohorts/{w.cohort.pk}/certificates/issue/", {"scope": "all"}).status_code == 404
    assert not Certificate.objects.exists()


def test_issue_all_from_the_page_goes_to_the_batch_page(client, certified_world):
    w = certified_world
    response = english(client, w.staff).post(f"/cohorts/{w.cohort.pk}/certificates/issue/", {"scope": "all"})
    batch = IssuanceBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/certificates/batches/{batch.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="waiting">2<' in page and "this page updates itself" in page
    progress = client.get(f"/certificates/batches/{batch.pk}/progress/").json()
    assert progress.pop("state") == "no_worker"  # no worker runs in this test
    assert progress.pop("state_message").startswith("Queued; no worker reachable yet")
    assert progress | {"failed_certificates": []} == {
        "total": 2,
        "issued": 0,
        "failed": 0,
        "waiting": 2,
        "revoked": 0,
        "percent": 0,
        "done": False,
        "failed_certificates": [],
    }


def test_issuing_to_a_picked_trainee_who_is_not_eligible_shows_the_reasons(client, certified_world):
    w = certified_world
    response = english(client, w.staff).post(
        f"/cohorts/{w.cohort.pk}/certificates/issue/", {"scope": "picked", "enrolments": [w.lagging.pk]}
    )
    assert response.status_code == 400
    assert "陈落后: lessons done 0% &lt; 100%" in response.content.decode()
    assert not Certificate.objects.exists() and not IssuanceBatch.objects.exists()


def test_issuing_to_a_holder_again_is_refused(client, certified_world):
    w = certified_world
    issued(w, w.done)
    response = english(client, w.staff).post(
        f"/cohorts/{w.cohort.pk}/certificates/issue/", {"scope": "picked", "enrolments": [w.done.pk]}
    )
    assert response.status_code == 409
    assert "Already holds a valid certificate" in response.content.decode()
    assert Certificate.objects.count() == 1


def test_revoke_without_reason_is_refused_and_changes_nothing(client, certified_world):
    w = certified_world
    certificate = issued(w, w.done)
    response = english(client, w.staff).post(f"/certificates/{certificate.pk}/revoke/", {"reason": ""})
    assert response.status_code == 400
    assert "Choose a reason for the revocation." in response.content.decode()
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.ISSUED


def test_revoke_then_verification_says_revoked_with_date_and_reason(client, certified_world):
    w = certified_world
    certificate = issued(w, w.done)
    english(client, w.staff).post(f"/certificates/{certificate.pk}/revoke/", {"reason": "error", "note": "x"})
    second = client.post(f"/certificates/{certificate.pk}/revoke/", {"reason": "other"})
    assert second.status_code == 409 and "already revoked" in second.content.decode()
    client.logout()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(f"/verify/{certificate.code}/").content.decode()
    assert 'data-status="revoked"' in page and "Issued in error" in page
    assert certificate.revoked_at is None  # the instance in hand is stale; the page read the row


def test_reissue_of_a_valid_certificate_is_refused(client, certified_world):
    w = certified_world
    certificate = issued(w, w.done)
    response = english(client, w.staff).post(f"/certificates/{certificate.pk}/reissue/")
    assert response.status_code == 409
    assert Certificate.objects.count() == 1


def test_verification_shows_name_course_cohort_date_and_sha_without_login(client, certified_world):
    w = certified_world
    certificate = issued(w, w.done)
    response = client.get(f"/verify/{certificate.code.lower().replace('-', '')}/")
    page = response.content.decode()
    assert response.status_code == 200 and 'data-status="issued"' in page
    for value in ("刘䶮", certificate.course_title, certificate.cohort_name, certificate.sha256, certificate.serial):
        assert value in page


@pytest.mark.parametrize("code", ["NH-2022-0001", "7K3M-Q9TX-2HDW-8RVB", "<script>alert(1)", "x" * 300])
def test_wrong_or_malformed_code_says_only_not_found(client, certified_world, code):
    issued(certified_world, certified_world.done)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get(f"/verify/{code}/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'data-status="not-found"' in page and "<script>alert" not in page
    assert "刘䶮" not in page


def test_many_wrong_codes_from_one_address_are_rate_limited(client, settings, certified_world):
    settings.CERTIFICATES_VERIFY_RATE = (5, 60)
    statuses = [client.get(f"/verify/AAAA-AAAA-AAAA-AA{n:02d}/").status_code for n in range(7)]
    assert statuses == [404] * 5 + [429] * 2
    other = client.get("/verify/AAAA-AAAA-AAAA-AAAA/", REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 404


def test_trainee_downloads_own_certificate_and_not_another(client, certified_world):
    w = certified_world
    own = issued(w, w.done)
    theirs = issued(w, w.enrolment)
    client.force_login(w.done.trainee)
    response = client.get(f"/certificates/{own.pk}/download/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment") and response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private"  # the trainee's browser may keep it, no shared cache
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert client.get(f"/certificates/{theirs.pk}/download/").status_code == 404
    assert client.get(f"/certificates/{own.pk}/").status_code == 404  # the staff page
    assert 'data-testid="download-own"' in client.get("/certificates/").content.decode()


def test_trainee_home_offers_its_issued_certificate(client, certified_world):
    w = certified_world
    own = issued(w, w.done)
    client.force_login(w.done.trainee)
    page = client.get(f"/cohorts/{w.cohort.pk}/learn/").content.decode()
    assert 'data-testid="own-certificate"' in page and f"/certificates/{own.pk}/download/" in page
    client.force_login(w.enrolment.trainee)  # no certificate yet
    assert 'data-testid="own-certificate"' not in client.get(f"/cohorts/{w.cohort.pk}/learn/").content.decode()


def test_cohort_zip_streams_every_issued_pdf(client, certified_world):
    w = certified_world
    certificates = [issued(w, w.done), issued(w, w.enrolment)]
    response = english(client, w.staff).get(f"/cohorts/{w.cohort.pk}/certificates.zip")
    assert response.status_code == 200 and response.streaming
    assert response["Cache-Control"] == "private"
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == sorted(f"{c.serial}-{c.trainee_name}.pdf" for c in certificates)
        assert any(name.endswith("-刘䶮.pdf") for name in archive.namelist())  # the name, rare character and all
        import hashlib

        for c in certificates:
            assert hashlib.sha256(archive.read(f"{c.serial}-{c.trainee_name}.pdf")).hexdigest() == c.sha256
    code = w.cohort.district.code.upper()
    assert response["Content-Disposition"].startswith(f'attachment; filename="{code}-{w.cohort.year}.zip"; ')
    assert "filename*=UTF-8''" in response["Content-Disposition"]


def test_template_with_remote_url_and_outside_file_renders_without_fetching(client, certified_world):
    from certificates import rendering

    html = (
        '<img src="http://169.254.169.254/latest/meta-data/"><img src="file:///etc/passwd">'
        '<link rel="stylesheet" href="https://example.com/x.css"><p>{{ trainee_name }}</p>'
        "<script>document.write('pwned')</script>"
    )
    css = '@import url("http://example.com/evil.css"); p { background: url("file:///etc/hostname"); }'
    values = rendering.certificate_values(course_title="课程", **rendering.SAMPLE | {"trainee_name": "<b>刘䶮</b>"})
    pdf, refused = rendering.render_pdf(template_html=html, css=css, values=values)
    assert pdf.startswith(b"%PDF")
    assert any("169.254.169.254" in url for url in refused)
    assert any("/etc/passwd" in url for url in refused)
    assert any("example.com/x.css" in url for url in refused)
    assert rendering.fill("{{ trainee_name }}", values) == "&lt;b&gt;刘䶮&lt;/b&gt;"


def test_template_editor_saves_and_previews_for_staff_only(client, certified_world):
    w = certified_world
    english(client, w.staff)
    url = f"/districts/{w.district.pk}/certificate/"
    assert client.get(url).status_code == 200
    form = {"name": "佛山市南海区民政局", "short_name": "南海区民政局", "css": "h1 { color: red }"}
    response = client.post(url, {**form, "html": "<h1>{{ trainee_name }}</h1>"})
    assert response.status_code == 302
    assert w.district.issuer_profile.html == "<h1>{{ trainee_name }}</h1>"
    preview = client.post(url + "preview/", {"html": "<h1>{{ trainee_name }}</h1>", "css": ""})
    assert preview.status_code == 200 and preview.content.startswith(b"%PDF")
    nameless = client.post(url, {**form, "name": "", "html": "<h1>x</h1>"})
    assert nameless.status_code == 400 and w.district.issuer_profile.html == "<h1>{{ trainee_name }}</h1>"
    client.force_login(w.other_staff)
    assert client.get(url).status_code == 404


def test_a_course_shared_by_two_districts_gives_each_its_own_wording(client, certified_world):
    from tests.courses.factories import CohortFactory

    w = certified_world
    CohortFactory(course=w.cohort.course, district=w.other_cohort.district)
    client.force_login(w.staff)
    url = f"/districts/{w.district.pk}/certificate/"
    form = {"name": "佛山市南海区民政局", "short_name": "", "css": ""}
    assert client.post(url, {**form, "html": "<h1>南海 {{ trainee_name }}</h1>"}).status_code == 302
    # The other district's page is not this staff's, whatever course they share.
    other_url = f"/districts/{w.other_cohort.district.pk}/certificate/"
    assert client.get(other_url).status_code == 404
    assert client.post(other_url, {**form, "html": "<h1>changed</h1>"}).status_code == 404
    client.force_login(w.other_staff)
    assert client.post(other_url, {**form, "name": "佛山市顺德区民政局", "html": "<h1>顺德</h1>"}).status_code == 302
    from certificates.models import IssuerProfile

    names = dict(IssuerProfile.objects.values_list("district_id", "html"))
    assert names == {w.district.pk: "<h1>南海 {{ trainee_name }}</h1>", w.other_cohort.district_id: "<h1>顺德</h1>"}


def test_cohort_page_query_count_is_fixed(client, certified_world, django_assert_max_num_queries):
    w = certified_world
    client.force_login(w.staff)
    with django_assert_max_num_queries(22):
        client.get(f"/cohorts/{w.cohort.pk}/certificates/")
    for _n in range(10):
        complete_all_lessons(EnrolmentFactory(cohort=w.cohort, community=w.community, trainee=UserFactory()))
    services.certificate_issue_batch(cohort=w.cohort, actor=w.staff)
    with django_assert_max_num_queries(22):
        client.get(f"/cohorts/{w.cohort.pk}/certificates/")


def test_issue_certificates_command_does_what_the_page_does(certified_world):
    w = certified_world
    out = io.StringIO()
    call_command("issue_certificates", "--cohort", str(w.cohort.pk), "--as", w.staff.username, stdout=out)
    assert "2 certificates queued" in out.getvalue()
    assert Certificate.objects.count() == 2
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not_eligible"):
        call_command(
            "issue_certificates",
            "--cohort",
            str(w.cohort.pk),
            "--as",
            w.staff.username,
            "--trainee",
            w.lagging.trainee.username,
            stdout=io.StringIO(),
        )
    with pytest.raises(CommandError):
        call_command("issue_certificates", "--cohort", str(w.cohort.pk), "--as", w.other_staff.username)
    assert Certificate.objects.count() == 2


def test_revocation_reasons_are_categories():
    assert "error" in RevocationReason.values
