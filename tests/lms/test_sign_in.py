"""Signing in fit for privileged roles: a second factor, idle and absolute limits, password rules and age."""

import itertools
import time
from datetime import timedelta

import pyotp
import pytest
from django.utils import timezone

from lms import second_factor, sessions_policy
from lms.models import AuditEntry, PasswordHistory, RecoveryCode, SecondFactorDevice
from tests.lms.factories import PASSWORD, DistrictStaffFactory, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
FACTOR = "/accounts/second-factor/"
TOKEN = "/api/v1/auth/token/"


@pytest.fixture
def factor_on(settings, monkeypatch):
    settings.LMS_SECOND_FACTOR_ROLES = {"staff", "operators"}
    monkeypatch.setenv("LMS_SECOND_FACTOR_ROLES", "staff,operators")


@pytest.fixture
def staff(db):
    return DistrictStaffFactory().user


def sign_in(client, user, password=PASSWORD):
    return client.post(LOGIN, {"username": user.username, "password": password}, REMOTE_ADDR="10.0.0.5")


def enrol(client, user):
    """Sign in and set up the authenticator; the secret, as the person's app would hold it."""
    sign_in(client, user)
    page = client.get(FACTOR)
    secret = client.session[second_factor.SESSION_PENDING_SECRET]
    assert secret in page.content.decode()
    response = client.post(FACTOR, {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    return secret, response


def at_step(monkeypatch, steps_ahead):
    later = time.time() + steps_ahead * second_factor.STEP_SECONDS
    monkeypatch.setattr(second_factor, "clock", lambda: later)
    return later


def code_at(secret, moment):
    return pyotp.TOTP(secret).at(moment)


def test_staff_are_sent_to_set_up_a_second_factor_and_reach_nothing_else(client, factor_on, staff):
    assert sign_in(client, staff)["Location"] == "/"
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == FACTOR
    assert client.get("/people/")["Location"] == FACTOR
    api = client.get("/api/v1/me/")
    assert api.status_code == 403 and api.json()["error"]["code"] == "second_factor_required"
    page = client.get(FACTOR).content.decode()
    assert 'data-testid="second-factor-qr"' in page and "<svg" in page


def test_a_trainee_signs_in_with_a_password_alone(client, factor_on):
    trainee = UserFactory()
    sign_in(client, trainee)
    assert client.get("/notifications/").status_code == 200


def test_without_the_setting_staff_sign_in_with_a_password_alone(client, staff):
    sign_in(client, staff)
    assert client.get("/people/").status_code == 200


def test_enrolment_gives_ten_recovery_codes_once_and_opens_the_pages(client, factor_on, staff):
    _secret, response = enrol(client, staff)
    assert "no-store" in response["Cache-Control"]
    codes = [c.strip() for c in response.content.decode().split("<code>")[1:]]
    assert len(codes) == 10 and RecoveryCode.objects.filter(user=staff, used_at=None).count() == 10
    assert SecondFactorDevice.objects.filter(user=staff).exists()
    assert client.get("/people/").status_code == 200
    assert AuditEntry.objects.filter(verb="auth.second_factor_enrolled", actor=staff).count() == 1


def test_the_secret_is_stored_encrypted(client, factor_on, staff):
    secret, _response = enrol(client, staff)
    stored = SecondFactorDevice.objects.get(user=staff).secret_encrypted
    assert secret not in stored
    assert second_factor.secret_open(stored, user_id=staff.pk) == secret


def test_a_wrong_code_at_enrolment_is_refused_with_a_message_and_nothing_stored(client, factor_on, staff):
    sign_in(client, staff)
    client.get(FACTOR)
    response = client.post(FACTOR, {"code": "000000"})
    assert response.status_code == 400
    assert "验证码错误或已使用" in response.content.decode()
    assert not SecondFactorDevice.objects.exists() and not RecoveryCode.objects.exists()
    assert client.get("/people/")["Location"] == FACTOR
    assert AuditEntry.objects.filter(verb="auth.second_factor_failed", actor=staff).count() == 1


def test_the_next_sign_in_asks_for_the_current_code_and_refuses_a_replayed_one(client, factor_on, staff, monkeypatch):
    secret, _response = enrol(client, staff)
    client.post("/accounts/logout/")
    later = at_step(monkeypatch, 2)
    sign_in(client, staff)
    assert client.get("/people/")["Location"] == FACTOR
    code = code_at(secret, later)
    assert client.post(FACTOR, {"code": code})["Location"] == "/"
    assert client.get("/people/").status_code == 200
    client.post("/accounts/logout/")
    sign_in(client, staff)
    replay = client.post(FACTOR, {"code": code})  # the same code, seen over a shoulder, within its 30 s
    assert replay.status_code == 400 and client.get("/people/")["Location"] == FACTOR


def test_a_recovery_code_signs_in_once(client, factor_on, staff):
    _secret, response = enrol(client, staff)
    recovery = response.content.decode().split("<code>")[1].split("</code>")[0]
    client.post("/accounts/logout/")
    sign_in(client, staff)
    assert client.post(FACTOR, {"code": recovery.upper()}).status_code == 302
    assert AuditEntry.objects.filter(verb="auth.recovery_code_used", actor=staff).count() == 1
    client.post("/accounts/logout/")
    sign_in(client, staff)
    again = client.post(FACTOR, {"code": recovery})
    assert again.status_code == 400 and RecoveryCode.objects.filter(user=staff, used_at=None).count() == 9


def test_guessing_codes_locks_the_factor_even_for_the_right_code(client, factor_on, staff, settings, monkeypatch):
    secret, _response = enrol(client, staff)
    client.post("/accounts/logout/")
    sign_in(client, staff)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(FACTOR, {"code": "123456"}).status_code == 400
    locked = client.post(FACTOR, {"code": "123456"})
    assert locked.status_code == 429 and "15 分钟" in locked.content.decode()
    later = at_step(monkeypatch, 2)
    assert client.post(FACTOR, {"code": code_at(secret, later)}).status_code == 429
    assert client.get("/people/")["Location"] == FACTOR
    assert AuditEntry.objects.filter(verb="auth.second_factor_locked", actor=staff).exists()


def test_the_api_token_asks_for_the_factor(client, factor_on, staff, monkeypatch):
    credentials = {"username": staff.username, "password": PASSWORD}
    not_set_up = client.post(TOKEN, credentials)
    assert not_set_up.status_code == 403 and not_set_up.json()["error"]["code"] == "second_factor_not_set_up"
    secret, _response = enrol(client, staff)
    missing = client.post(TOKEN, credentials)
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "second_factor_required"
    assert client.post(TOKEN, {**credentials, "code": "999999"}).status_code == 400
    later = at_step(monkeypatch, 2)
    code = code_at(secret, later)
    answer = client.post(TOKEN, {**credentials, "code": code})
    assert answer.status_code == 200 and answer.json()["token"]
    assert client.post(TOKEN, {**credentials, "code": code}).status_code == 400  # replayed
    assert client.post(TOKEN, {"username": UserFactory().username, "password": PASSWORD}).status_code == 200


def test_operators_and_by_setting_instructors_give_the_factor(settings):
    from tests.courses.factories import TeachingFactory

    operator = UserFactory(is_superuser=True)
    instructor = TeachingFactory().instructor
    settings.LMS_SECOND_FACTOR_ROLES = {"staff", "operators"}
    assert second_factor.required_for(operator) and not second_factor.required_for(instructor)
    settings.LMS_SECOND_FACTOR_ROLES = {"instructors"}
    assert second_factor.required_for(instructor) and not second_factor.required_for(operator)


# --- how long a session lasts


def move_clock(monkeypatch, seconds):
    later = time.time() + seconds
    monkeypatch.setattr(sessions_policy, "clock", lambda: later)


def test_staff_are_signed_out_after_thirty_idle_minutes(client, staff, monkeypatch):
    sign_in(client, staff)
    assert client.get("/people/").status_code == 200
    move_clock(monkeypatch, 31 * 60)
    response = client.get("/people/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session
    entry = AuditEntry.objects.get(verb="auth.signed_out")
    assert entry.actor == staff and entry.data["reason"] == "idle"


def test_a_trainee_keeps_its_session_for_hours_but_not_past_eight_idle(client, monkeypatch):
    trainee = UserFactory()
    sign_in(client, trainee)
    client.get("/notifications/")
    move_clock(monkeypatch, 31 * 60)
    assert client.get("/notifications/").status_code == 200
    move_clock(monkeypatch, 31 * 60 + 8 * 3600 + 60)
    assert client.get("/notifications/").status_code == 302


def test_no_session_outlives_twelve_hours_however_busy(client, monkeypatch):
    trainee = UserFactory()
    sign_in(client, trainee)
    client.get("/notifications/")
    for hour in range(1, 12):
        move_clock(monkeypatch, hour * 3600)
        assert client.get("/notifications/").status_code == 200
    move_clock(monkeypatch, 12 * 3600 + 60)
    assert client.get("/notifications/").status_code == 302
    assert AuditEntry.objects.get(verb="auth.signed_out").data["reason"] == "expired"


def test_an_api_call_on_an_idle_session_answers_401_in_the_error_shape(client, staff, monkeypatch):
    sign_in(client, staff)
    client.get("/api/v1/me/")
    move_clock(monkeypatch, 31 * 60)
    response = client.get("/api/v1/me/")
    assert response.status_code == 401 and response.json()["error"]["code"] == "signed_out"


# --- passwords


def change(client, user, new, old=PASSWORD):
    return client.post("/accounts/password/change/", {"old_password": old, "new_password1": new, "new_password2": new})


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("abcdefgh", "至少使用以下四类中的三类"),
        ("Password1", "这个密码太常见了"),
    ],
)
def test_weak_passwords_are_refused_with_a_clear_message(client, new, message):
    user = UserFactory()
    client.force_login(user)
    response = change(client, user, new)
    assert response.status_code == 200 and message in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_none_of_the_last_five_passwords_may_come_back(client):
    user = UserFactory()
    client.force_login(user)
    passwords = [PASSWORD] + [f"Qingtian-lane-{n}" for n in range(5)]
    for old, new in itertools.pairwise(passwords):
        assert change(client, user, new, old=old).status_code == 302
    again = change(client, user, passwords[2], old=passwords[-1])
    assert again.status_code == 200 and "不要使用以前用过的密码" in again.content.decode()
    assert change(client, user, PASSWORD, old=passwords[-1]).status_code == 302  # the sixth back is allowed
    assert PasswordHistory.objects.filter(user=user).count() == 5


def test_a_privileged_password_expires_after_ninety_days_with_a_warning_the_week_before(client, staff):
    PasswordHistory.objects.filter(user=staff).update(created_at=timezone.now() - timedelta(days=85))
    client.force_login(staff)
    page = client.get("/people/")
    assert page.status_code == 200 and "您的密码将在 4 天后过期" in page.content.decode()
    PasswordHistory.objects.filter(user=staff).update(created_at=timezone.now() - timedelta(days=91))
    client.force_login(staff)  # a new sign-in (the date is kept in the session while the password stays)
    response = client.get("/people/")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/change/"
    assert change(client, staff, "Qingtian-lane-77").status_code == 302
    assert client.get("/people/").status_code == 200


def test_a_trainee_password_does_not_expire(client):
    trainee = UserFactory()
    PasswordHistory.objects.filter(user=trainee).update(created_at=timezone.now() - timedelta(days=400))
    client.force_login(trainee)
    assert client.get("/notifications/").status_code == 200
