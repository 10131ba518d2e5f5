"""Repeated failed logins lock the account from that address (django-axes, counted in the database)."""

import pytest
from axes.models import AccessAttempt
from rest_framework.authtoken.models import Token

from tests.lms.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"


def _login(client, username, password=PASSWORD, address="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def _fail(client, path, username, times, address="10.0.0.1"):
    for _ in range(times):
        response = client.post(path, {"username": username, "password": "wrong-pass"}, REMOTE_ADDR=address)
        assert response.status_code in (200, 400, 429)


def test_page_login_locks_after_repeated_failures_with_a_chinese_message(client, settings):
    user = UserFactory()
    _fail(client, LOGIN, user.username, settings.AXES_FAILURE_LIMIT - 1)
    response = client.post(LOGIN, {"username": user.username, "password": "wrong-pass"}, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429
    page = response.content.decode()
    assert "登录失败次数过多" in page and "15 分钟" in page
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.filter(username=user.username, ip_address="10.0.0.1").exists()


def test_the_lock_is_per_account_and_address(client, settings):
    user, other = UserFactory(), UserFactory()
    _fail(client, LOGIN, user.username, settings.AXES_FAILURE_LIMIT)
    assert _login(client, other.username).status_code == 302
    client.logout()
    assert _login(client, user.username, address="10.0.0.2").status_code == 302


def test_a_successful_login_resets_the_count(client, settings):
    user = UserFactory()
    _fail(client, LOGIN, user.username, settings.AXES_FAILURE_LIMIT - 1)
    assert _login(client, user.username).status_code == 302
    client.logout()
    _fail(client, LOGIN, user.username, settings.AXES_FAILURE_LIMIT - 1)
    assert _login(client, user.username).status_code == 302


def test_token_endpoint_locks_with_the_json_error_shape(client, settings):
    user = UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(TOKEN, {"username": user.username, "password": "wrong"}, REMOTE_ADDR="10.0.0.1")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid"
    response = client.post(
        TOKEN, {"username": user.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 200  # under the limit the right password still works, and resets the count
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(TOKEN, {"username": user.username, "password": "wrong"}, REMOTE_ADDR="10.0.0.1")
    Token.objects.all().delete()
    response = client.post(
        TOKEN, {"username": user.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "login_locked"
    assert "登录失败次数过多" in error["message"] and "15 分钟" in error["message"]
    assert not Token.objects.filter(user=user).exists()
    ok = client.post(TOKEN, {"username": user.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert ok.status_code == 200 and ok.json()["token"]


def test_the_client_address_comes_from_one_function(settings, rf):
    from lms.clients import client_address

    assert settings.AXES_CLIENT_IP_CALLABLE == "lms.clients.client_address"
    assert client_address(rf.get("/", REMOTE_ADDR="192.0.2.7")) == "192.0.2.7"
