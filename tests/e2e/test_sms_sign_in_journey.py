import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sms_provider(sms_standin, settings):
    """The live server sends codes through Aliyun's SDK to the local stand-in, whose outbox the test reads."""
    for name, value in sms_standin.settings("aliyun").items():
        setattr(settings, name, value.split(",") if name == "SMS_BACKEND" else value)
    return sms_standin


def test_a_trainee_signs_in_on_a_phone_with_a_code_sent_by_sms(phone, world, sms_provider):
    world.trainee.mobile = "13900139000"
    world.trainee.save(update_fields=["mobile"])
    phone.goto("/accounts/login/")
    phone.get_by_role("link", name="使用手机验证码登录").click()
    expect(phone.get_by_role("heading", name="手机号验证码登录")).to_be_visible()
    phone.get_by_label("手机号").fill("+86 139 0013 9000")  # as people type it
    phone.get_by_role("button", name="获取验证码").click()
    expect(phone.get_by_test_id("sms-sent")).to_contain_text("验证码正在发送")
    [sent] = sms_provider.outbox()
    assert sent["mobile"] == "13900139000"

    phone.get_by_label("短信验证码").fill("000000" if sent["params"]["code"] != "000000" else "111111")
    phone.get_by_role("button", name="登录").click()
    expect(phone.get_by_test_id("sms-error")).to_have_text("验证码错误或已过期，请重新获取。")

    phone.get_by_label("短信验证码").fill(sent["params"]["code"])
    phone.get_by_role("button", name="登录").click()
    expect(phone).to_have_url(re.compile(r"/todo/trainee/$"))
