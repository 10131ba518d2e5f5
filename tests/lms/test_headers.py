"""Security and caching headers on pages, API answers and downloads (issue 10, item 9)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Rendered to PDF by WeasyPrint, never served as HTML, so the page policy does not apply.
PDF_TEMPLATES = {"projects/booklet.html"}


def served_templates():
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if name not in PDF_TEMPLATES:
            yield name, path.read_text()


@pytest.mark.parametrize(("name", "text"), list(served_templates()), ids=lambda value: value[:40])
def test_no_template_carries_inline_script_style_or_handler(name, text):
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), f"{name}: inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", text), f"{name}: on*= handler"
    assert not re.search(r"\sstyle\s*=", text), f"{name}: style attribute"
    assert "<style" not in text, f"{name}: inline <style> element"
    assert "javascript:" not in text, f"{name}: javascript: URL"


def test_html_pages_carry_the_content_security_policy(client, world):
    client.force_login(world.trainee)
    response = client.get(f"/cohorts/{world.cohort.pk}/learn/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert "camera=()" in response["Permissions-Policy"]


def test_anonymous_pages_carry_the_policy_too(client):
    response = client.get("/accounts/login/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "Permissions-Policy" in response


def test_api_docs_load_their_script_from_a_file(client, world):
    client.force_login(world.staff)
    docs = client.get("/api/v1/docs/")
    assert "script-src 'self'" in docs["Content-Security-Policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", docs.content.decode())
    assert "<style" not in docs.content.decode()


def test_authenticated_pages_are_private_and_not_stored(client, world):
    client.force_login(world.instructor)
    response = client.get(f"/cohorts/{world.cohort.pk}/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_api_answers_are_private_and_not_stored(client, world):
    response = client.post("/api/v1/auth/token/", {"username": world.staff.username, "password": "test-pass-123"})
    assert "no-store" in response["Cache-Control"]
    token = response.json()["token"]
    me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200 and me["Cache-Control"] == "private, no-store"
    anonymous = client.get("/api/v1/me/")
    assert anonymous.status_code in (401, 403) and anonymous["Cache-Control"] == "private, no-store"
    assert "Content-Security-Policy" not in me  # JSON is no page; the policy is for HTML


def test_a_page_that_sets_its_own_cache_control_keeps_it(client):
    login = client.get("/accounts/login/")  # Django's never_cache
    assert "no-store" in login["Cache-Control"] and "max-age=0" in login["Cache-Control"]
