import shutil
import subprocess

import pytest

from fieldwork.projects.booklet import refusing_fetcher, render_booklet
from fieldwork.projects.models import CaseStatus
from tests.lms.factories import UserFactory
from tests.projects.factories import ModelCaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def booklet_worker(transactional_db, settings, render_queue, media_root):
    """A real Celery worker on this test's own queue, which the booklet tasks are sent to."""
    from tests.certificates.workers import Worker

    settings.BOOKLET_QUEUE = render_queue
    worker = Worker(render_queue, media_root)
    worker.wait_ready()
    yield worker
    worker.stop()


def test_staff_downloads_the_booklet_a_worker_made(client, projects, tmp_path, booklet_worker):
    from tests.certificates.workers import wait_for

    ModelCaseFactory(
        project=projects.project,
        status=CaseStatus.APPROVED,
        title="<img src='http://example.invalid/x.png'>农耕馆",
        results={"residents": 87},
    )
    client.force_login(projects.world.staff)
    first = client.get("/projects/library/booklet.pdf", {"q": "农耕馆"})
    assert first.status_code == 202  # being made: the request does not render the PDF itself
    assert 'http-equiv="refresh"' in first.content.decode()
    response = wait_for(
        lambda: (r := client.get("/projects/library/booklet.pdf", {"q": "农耕馆"})).status_code == 200 and r,
        workers=[booklet_worker],
    )
    assert response["Content-Type"] == "application/pdf" and "attachment" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF")
    assert response["Cache-Control"] == "private"
    if not (shutil.which("pdftotext") and shutil.which("pdffonts")):
        pytest.skip("poppler-utils not installed: text and fonts not checked")
    path = tmp_path / "booklet.pdf"
    path.write_bytes(content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "<img src='http://example.invalid/x.png'>农耕馆" in text  # user text printed, not interpreted
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "NotoSerifCJK" in fonts.replace("-", "")


def test_a_change_to_the_library_makes_a_new_booklet(projects):
    from fieldwork.projects.booklet import booklet_build, booklet_name
    from fieldwork.projects.selectors import clean_library_filters

    filters = clean_library_filters()
    before = booklet_name(filters=filters, language="en")
    assert booklet_build(params={}, language="en") == before
    ModelCaseFactory(project=projects.project, status=CaseStatus.APPROVED, title="新案例")
    after = booklet_name(filters=filters, language="en")
    assert after != before  # the stored booklet of the old library is never served for the new one
    assert booklet_build(params={}, language="en") == after


def test_approving_a_case_has_a_worker_prepare_the_whole_librarys_booklet(projects, booklet_worker):
    from django.core.files.storage import default_storage

    from fieldwork.projects import services
    from fieldwork.projects.booklet import booklet_name
    from fieldwork.projects.selectors import clean_library_filters
    from tests.certificates.workers import wait_for

    case = ModelCaseFactory(project=projects.project, status=CaseStatus.SUBMITTED, title="特色农耕馆")
    services.case_approve(case=case, actor=projects.world.instructor)
    name = booklet_name(filters=clean_library_filters(), language="zh-hans")
    wait_for(lambda: default_storage.exists(name), workers=[booklet_worker])


def test_a_second_change_within_the_minute_gets_its_own_booklet(projects, booklet_worker):
    """The once-a-minute guard is per booklet (library state included), not per set of filters."""
    from django.core.files.storage import default_storage

    from fieldwork.projects import services
    from fieldwork.projects.booklet import booklet_name
    from fieldwork.projects.selectors import clean_library_filters
    from tests.certificates.workers import wait_for

    for n, project in enumerate((projects.project, projects.other_project)):
        case = ModelCaseFactory(project=project, status=CaseStatus.SUBMITTED, title=f"案例{n}")
        services.case_approve(case=case, actor=projects.world.instructor)
        for language in ("zh-hans", "en"):
            name = booklet_name(filters=clean_library_filters(), language=language)
            wait_for(lambda name=name: default_storage.exists(name), workers=[booklet_worker])


def test_booklet_is_for_staff_only(client, projects):
    for user in (projects.world.trainee, projects.world.instructor):
        client.force_login(user)
        assert client.get("/projects/library/booklet.pdf").status_code == 403


def test_the_booklet_fetches_no_url():
    with pytest.raises(ValueError, match="not allowed"):
        refusing_fetcher()("http://example.invalid/")
    assert render_booklet(cases=[]).startswith(b"%PDF")


def test_staff_have_no_admin_and_operators_cannot_move_a_project(client, projects):
    client.force_login(projects.world.staff)
    assert client.get("/admin/projects/fieldproject/").status_code == 302
    client.force_login(UserFactory(is_superuser=True))
    page = client.get("/admin/projects/fieldproject/")
    assert page.status_code == 200
    assert "特色农耕馆" in page.content.decode()
    change = client.get(f"/admin/projects/fieldproject/{projects.project.pk}/change/")
    assert {"team", "community"}.isdisjoint(change.context["adminform"].form.fields)
