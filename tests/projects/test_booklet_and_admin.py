import shutil
import subprocess

import pytest

from fieldwork.projects.booklet import refusing_fetcher, render_booklet
from fieldwork.projects.models import CaseStatus
from tests.lms.factories import UserFactory
from tests.projects.factories import ModelCaseFactory

pytestmark = pytest.mark.django_db


def test_staff_downloads_the_booklet_as_pdf(client, projects, tmp_path):
    ModelCaseFactory(
        project=projects.project,
        status=CaseStatus.APPROVED,
        title="<img src='http://example.invalid/x.png'>农耕馆",
        results={"residents": 87},
    )
    client.force_login(projects.world.staff)
    response = client.get("/projects/library/booklet.pdf", {"q": "农耕馆"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf" and "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    if not (shutil.which("pdftotext") and shutil.which("pdffonts")):
        pytest.skip("poppler-utils not installed: text and fonts not checked")
    path = tmp_path / "booklet.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "<img src='http://example.invalid/x.png'>农耕馆" in text  # user text printed, not interpreted
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "NotoSerifCJK" in fonts.replace("-", "")


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
