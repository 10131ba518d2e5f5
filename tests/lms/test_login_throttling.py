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


# --- throttles that cannot be sidestepped (issue 26, item 5)


def test_the_mobile_alias_shares_the_accounts_count_and_lock(client, settings):
    user = UserFactory(mobile="13912345678")
    _fail(client, LOGIN, user.username, settings.AXES_FAILURE_LIMIT - 2)
    _fail(client, LOGIN, user.mobile, 2)  # the limit reached across both names
    assert _login(client, user.mobile).status_code == 429  # the right password through the alias does not unlock
    assert _login(client, user.username).status_code == 429
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {user.username}


def test_one_address_guessing_across_accounts_is_paused(client, settings):
    settings.LMS_LOGIN_ADDRESS_FAILURE_LIMIT = 6
    accounts = [UserFactory() for _ in range(4)]
    for account in accounts[:3]:
        _fail(client, LOGIN, account.username, 2)  # under the per-account limit each
    response = _login(client, accounts[3].username)
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode() and "此地址" in response.content.decode()
    token = client.post(TOKEN, {"username": accounts[3].username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.1")
    assert token.status_code == 429 and token.json()["error"]["code"] == "login_locked"
    assert not Token.objects.exists()
    assert _login(client, accounts[3].username, address="10.0.0.2").status_code == 302  # other addresses sign in


def test_the_old_password_on_the_change_page_is_limited(client, settings):
    user = UserFactory()
    client.force_login(user)
    form = {"new_password1": "Qingtian-lane-77", "new_password2": "Qingtian-lane-77"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/accounts/password/change/", {**form, "old_password": "guess"})
        assert response.status_code == 200
    response = client.post("/accounts/password/change/", {**form, "old_password": PASSWORD})
    assert response.status_code == 429
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.fixture
def eager_mail(settings):
    from lms.celery import app

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_reset_mails_are_limited_per_address_and_per_email(client, settings, eager_mail):
    from django.core import mail

    settings.LMS_PASSWORD_RESET_PER_EMAIL = 2
    settings.LMS_PASSWORD_RESET_PER_ADDRESS = 4
    UserFactory(email="known@example.com")
    for _ in range(4):
        response = client.post("/accounts/password/reset/", {"email": "known@example.com"}, REMOTE_ADDR="10.0.0.5")
        assert response.status_code == 302  # the same answer, whether or not a mail goes out
    assert len(mail.outbox) == 2
    response = client.post("/accounts/password/reset/", {"email": "other@example.com"}, REMOTE_ADDR="10.0.0.5")
    assert response.status_code == 429
    assert (
        client.post("/accounts/password/reset/", {"email": "x@example.com"}, REMOTE_ADDR="10.0.0.6").status_code == 302
    )


def test_a_reset_request_does_the_same_work_for_known_and_unknown_addresses(client, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lms import tasks

    queued = []
    monkeypatch.setattr(tasks.password_reset_send, "delay", lambda **kwargs: queued.append(kwargs))
    UserFactory(email="known@example.com")
    work = {}
    for email in ("known@example.com", "unknown@example.com"):
        with CaptureQueriesContext(connection) as queries:
            response = client.post("/accounts/password/reset/", {"email": email})
        assert response.status_code == 302
        work[email] = [query["sql"] for query in queries.captured_queries]
    assert work["known@example.com"] == work["unknown@example.com"]  # nobody is looked up in the request
    assert [call["email"] for call in queued] == ["known@example.com", "unknown@example.com"]
