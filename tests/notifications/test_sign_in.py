"""Sign in with a mobile number and an SMS code, through the pages and the API; forgot-password by SMS."""

import pytest
from django.utils import translation

from lms.models import AuditEntry
from notifications import sign_in

pytestmark = pytest.mark.django_db

URL = "/accounts/login/sms/"
MOBILE = "13900139000"


@pytest.fixture(autouse=True)
def in_english():
    """Override the notifications folder's English default: these pages answer in the interface language."""


@pytest.fixture
def clock(monkeypatch):
    """The sign-in rules' clock, moved by hand."""

    class Clock:
        now = 1_800_000_000.0

        def advance(self, seconds):
            self.now += seconds

    moving = Clock()
    monkeypatch.setattr(sign_in, "_clock", lambda: moving.now)
    return moving


@pytest.fixture
def sms(sms_standin, settings):
    for name, value in sms_standin.settings("aliyun").items():
        setattr(settings, name, value.split(",") if name == "SMS_BACKEND" else value)
    return sms_standin


@pytest.fixture
def trainee(world):
    world.trainee.mobile = MOBILE
    world.trainee.save(update_fields=["mobile"])
    return world.trainee


def last_code(sms) -> str:
    return sms.outbox()[-1]["params"]["code"]


def signed_in_user(client):
    return client.session.get("_auth_user_id")


def test_a_code_by_sms_signs_the_trainee_in(client, sms, trainee, clock):
    page = client.post(URL, {"mobile": MOBILE, "action": "send"})
    assert page.status_code == 200 and 'name="code"' in page.content.decode()
    [sent] = sms.outbox()
    assert sent["mobile"] == MOBILE and len(sent["params"]["code"]) == 6 and sent["params"]["code"].isdigit()
    assert sent["params"]["minutes"] == "5"
    answer = client.post(URL, {"mobile": MOBILE, "code": sent["params"]["code"], "next": "/learn/"})
    assert answer.status_code == 302 and answer["Location"] == "/learn/"
    assert signed_in_user(client) == str(trainee.pk)


def test_any_spelling_of_the_number_is_normalised(client, sms, trainee, clock):
    client.post(URL, {"mobile": "＋86 139 ００１３ 9000", "action": "send"})
    assert sms.outbox()[0]["mobile"] == MOBILE
    client.post(URL, {"mobile": "+86 139-0013-9000", "code": "　" + last_code(sms)})
    assert signed_in_user(client) == str(trainee.pk)


def test_an_unknown_number_gets_the_same_answer_and_no_sms(client, sms, trainee, clock):
    known = client.post(URL, {"mobile": MOBILE, "action": "send"})
    unknown = client.post(URL, {"mobile": "13700137000", "action": "send"})
    assert known.status_code == unknown.status_code == 200
    assert known.context["sent"] == unknown.context["sent"]
    assert [m["mobile"] for m in sms.outbox()] == [MOBILE]


def test_an_inactive_account_gets_no_code(client, sms, trainee, clock):
    trainee.is_active = False
    trainee.save(update_fields=["is_active"])
    assert client.post(URL, {"mobile": MOBILE, "action": "send"}).status_code == 200
    assert sms.outbox() == []


def test_a_malformed_number_is_refused_and_nothing_sent(client, sms, trainee, clock):
    answer = client.post(URL, {"mobile": "1390013", "action": "send"})
    assert answer.status_code == 400 and answer.context["error"] == "请输入 11 位手机号码。"
    assert sms.outbox() == []


def test_a_wrong_code_is_refused_and_five_tries_use_the_code_up(client, sms, trainee, clock):
    client.post(URL, {"mobile": MOBILE, "action": "send"})
    code = last_code(sms)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        answer = client.post(URL, {"mobile": MOBILE, "code": wrong})
        assert answer.status_code == 400 and answer.context["error"] == "验证码错误或已过期，请重新获取。"
    answer = client.post(URL, {"mobile": MOBILE, "code": code})  # the sixth try, even right, is refused
    assert answer.status_code == 400 and answer.context["error"] == "错误次数过多，请重新获取验证码。"
    assert signed_in_user(client) is None
    assert client.post(URL, {"mobile": MOBILE, "code": code}).status_code == 400  # and the code is gone


def test_a_code_works_once(client, sms, trainee, clock):
    client.post(URL, {"mobile": MOBILE, "action": "send"})
    code = last_code(sms)
    assert client.post(URL, {"mobile": MOBILE, "code": code}).status_code == 302
    client.logout()
    assert client.post(URL, {"mobile": MOBILE, "code": code}).status_code == 400
    assert signed_in_user(client) is None


def test_a_code_expires_after_five_minutes(client, sms, trainee, clock):
    client.post(URL, {"mobile": MOBILE, "action": "send"})
    clock.advance(301)
    assert client.post(URL, {"mobile": MOBILE, "code": last_code(sms)}).status_code == 400
    assert signed_in_user(client) is None


def test_per_number_one_a_minute_five_an_hour_ten_a_day(client, sms, trainee, clock):
    assert client.post(URL, {"mobile": MOBILE, "action": "send"}).status_code == 200
    clock.advance(20)
    refused = client.post(URL, {"mobile": MOBILE, "action": "send"})
    assert refused.status_code == 429 and refused.context["error"] == "获取验证码过于频繁，请 40 秒后再试。"
    with translation.override("en"):
        english = client.post(URL, {"mobile": MOBILE, "action": "send"}, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 429
    for _ in range(4):
        clock.advance(61)
        assert client.post(URL, {"mobile": MOBILE, "action": "send"}).status_code == 200
    clock.advance(61)
    hour = client.post(URL, {"mobile": MOBILE, "action": "send"})
    assert hour.status_code == 429 and "分钟后再试" in hour.context["error"]
    assert len(sms.outbox()) == 5
    clock.advance(3600)
    for _ in range(5):
        assert client.post(URL, {"mobile": MOBILE, "action": "send"}).status_code == 200
        clock.advance(61)
    clock.advance(3600)
    day = client.post(URL, {"mobile": MOBILE, "action": "send"})
    assert day.status_code == 429 and len(sms.outbox()) == 10


def test_per_address_limit_across_numbers(client, sms, trainee, clock, settings):
    settings.SMS_CODES_PER_ADDRESS_PER_HOUR = 3
    for number in ("13700137001", "13700137002", "13700137003"):
        assert client.post(URL, {"mobile": number, "action": "send"}).status_code == 200
    answer = client.post(URL, {"mobile": MOBILE, "action": "send"})
    assert answer.status_code == 429 and sms.outbox() == []
    other = client.post(URL, {"mobile": MOBILE, "action": "send"}, REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 200 and len(sms.outbox()) == 1


def test_the_api_gives_a_token_for_a_code(client, sms, trainee, clock):
    answer = client.post("/api/v1/auth/sms/code/", {"mobile": MOBILE}, content_type="application/json")
    assert answer.status_code == 202
    again = client.post("/api/v1/auth/sms/code/", {"mobile": MOBILE}, content_type="application/json")
    assert again.status_code == 429 and again.json()["error"]["code"] == "sms_code_throttled"
    wrong = client.post(
        "/api/v1/auth/sms/token/", {"mobile": MOBILE, "code": "000000x"}, content_type="application/json"
    )
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "sms_code_invalid"
    token = client.post(
        "/api/v1/auth/sms/token/", {"mobile": MOBILE, "code": last_code(sms)}, content_type="application/json"
    )
    assert token.status_code == 200
    me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert me.json()["id"] == trainee.pk


def test_forgot_password_by_sms_leads_to_setting_a_new_one(client, sms, trainee, clock):
    url = "/accounts/password/reset/sms/"
    client.post(url, {"mobile": MOBILE, "action": "send"})
    answer = client.post(url, {"mobile": MOBILE, "code": last_code(sms)})
    assert answer.status_code == 302 and answer["Location"] == "/accounts/password/set/"
    trainee.refresh_from_db()
    assert trainee.must_change_password
    assert AuditEntry.objects.filter(verb="user.password_reset_by_sms", actor=trainee).count() == 1
    assert client.get("/learn/")["Location"] == "/accounts/password/set/"  # nothing else until it is set
