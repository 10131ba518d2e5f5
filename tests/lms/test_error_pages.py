"""Error pages in the interface language, light enough to render when the server is failing."""

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.lms.error_urls")]

PAGES = {
    400: ("错误的请求", "Bad request"),
    403: ("无权操作", "Not allowed"),
    404: ("未找到", "Not found"),
    429: ("请求过于频繁", "Too many requests"),
    500: ("系统出错了", "Something went wrong"),
}


@pytest.fixture
def client(client):
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("status", sorted(PAGES))
def test_error_page_speaks_chinese_by_default(client, status):
    response = client.get(f"/fail/{status}/", HTTP_ACCEPT_LANGUAGE="en")  # the phone's language does not decide
    page = response.content.decode()
    assert response.status_code == status
    assert '<html lang="zh-hans">' in page and PAGES[status][0] in page and PAGES[status][1] not in page
    assert "script-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("status", sorted(PAGES))
def test_error_page_speaks_english_when_chosen(client, status):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(f"/fail/{status}/")
    page = response.content.decode()
    assert response.status_code == status and '<html lang="en">' in page and PAGES[status][1] in page


def test_server_error_page_runs_no_query_even_for_a_signed_in_person(client, rf, world, django_assert_num_queries):
    """The handler itself never touches the database, so it renders while the database is failing
    (the middleware before it may read the session; when that fails, Django calls this handler)."""
    from django.contrib.auth import get_user
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils.functional import SimpleLazyObject

    from lms.error_pages import server_error

    client.force_login(world.trainee)
    request = rf.get("/fail/500/")
    request.session = SessionStore(client.session.session_key)
    request.user = SimpleLazyObject(lambda: get_user(request))
    from django.utils import translation

    with django_assert_num_queries(0), translation.override("zh-hans"):  # as the locale middleware left it
        response = server_error(request)
    assert response.status_code == 500 and "系统出错了" in response.content.decode()
    response = client.get("/fail/500/")
    assert response.status_code == 500 and response["Cache-Control"] == "private, no-store"


def test_rate_limited_page_says_how_long_to_wait(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/fail/429/")
    assert response["Retry-After"] == "90" and "Please wait 2 minutes" in response.content.decode()


def test_unknown_page_under_the_real_urls_is_the_chinese_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "未找到" in response.content.decode()


@pytest.mark.parametrize(("status", "code"), [(400, "bad_request"), (403, "not_allowed"), (404, "not_found"),
                                              (429, "too_many_requests"), (500, "server_error")])
def test_api_errors_answer_the_one_json_shape(client, status, code):
    response = client.get(f"/api/v1/fail/{status}/")
    assert response.status_code == status and response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == code


def test_unknown_api_route_answers_json(client):
    response = client.get("/api/v1/no-such-thing/abc/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_expired_form_gets_the_csrf_page_in_chinese(client, world):
    client.handler.enforce_csrf_checks = True
    response = client.post("/accounts/login/", {"username": world.trainee.username, "password": "x"})
    page = response.content.decode()
    assert response.status_code == 403 and 'data-code="csrf"' in page and "表单已过期" in page


def test_proxy_page_for_502_is_static_and_bilingual():
    page = (Path(settings.BASE_DIR) / "static" / "errors" / "502.html").read_text()
    assert "服务暂时不可用" in page and "Service temporarily unavailable" in page
    assert '<meta charset="utf-8">' in page and "<script" not in page
    assert not re.search(r"\s(style|on[a-z]+)\s*=", page)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("url", ["/fail/removed/", "/api/v1/fail/removed/"])
def test_a_write_that_lost_a_race_with_a_deletion_answers_409_not_500(url):
    """A foreign key refused at commit (the row was deleted meanwhile): 409 with a message, nothing written."""
    from django.test import Client

    from lms.models import Town

    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")  # pages stay Chinese regardless
    response = client.post(url)
    assert response.status_code == 409
    if url.startswith("/api/"):
        assert response.json()["error"]["code"] == "removed_meanwhile"
        assert "removed a moment ago" in response.json()["error"]["message"]
    else:
        assert "刚被他人删除" in response.content.decode()
    assert not Town.objects.filter(name="竞态镇").exists()
