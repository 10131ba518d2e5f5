"""Text messages, chosen like Django's EMAIL_BACKEND: SMS_BACKEND names one backend or several in order.

`console` prints the message on the log of the process that sends it (the web process for sign-in codes,
the Celery worker for notifications). `aliyun` and `tencent` call the providers' official SDKs; with
several listed, a provider error (refusal, quota, timeout) moves on to the next, and only when every one
failed does the send fail (the delivery is then retried by its task). Each success returns a Receipt: the
provider and its message id (Aliyun's BizId, Tencent's SerialNo), kept on the delivery.

Providers send pre-approved templates only, so a message is a template key ("code", "notice") and its
parameters in a fixed order; the settings give each provider's template id and the signature name.
"""

import logging
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

# Each template's parameters, in the order Tencent numbers them ({1}, {2}); Aliyun names them.
TEMPLATES = {
    "code": ("code", "minutes"),  # 您的验证码为${code}，${minutes}分钟内有效，请勿告诉他人。
    "notice": ("title", "detail"),  # ${title}：${detail}。详情请登录学习平台查看。
}
# Providers cap a variable's length (Aliyun 35 characters, Tencent 12-ish per variable for some types):
# a notice is cut short rather than refused.
PARAM_MAX_CHARS = 20


@dataclass(frozen=True)
class Receipt:
    provider: str
    message_id: str

    def __str__(self) -> str:
        return f"{self.provider}:{self.message_id}"


class SmsProviderError(Exception):
    """One provider refused or failed the message; the next one is tried."""


class SmsSendFailed(Exception):
    """Every configured provider failed."""


def _params(template: str, params: dict) -> list[tuple[str, str]]:
    return [(name, str(params.get(name, ""))[:PARAM_MAX_CHARS]) for name in TEMPLATES[template]]


def _endpoint(url: str) -> tuple[str, str]:
    """(scheme, host[:port]) from a setting that may or may not carry a scheme."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    return parts.scheme, parts.netloc


class ConsoleBackend:
    name = "console"

    def send(self, *, mobile: str, template: str, params: dict) -> Receipt:
        message_id = uuid.uuid4().hex
        text = ", ".join(f"{k}={v}" for k, v in _params(template, params))
        line = f"SMS to {mobile} [{template}] {text} (id {message_id})"
        logger.warning(line)  # the log of the process that sends: web for codes, worker for notifications
        return Receipt(self.name, message_id)


class AliyunBackend:
    """Dysmsapi 2017-05-25 SendSms through alibabacloud-dysmsapi20170525 (signed ACS3-HMAC-SHA256)."""

    name = "aliyun"

    def _client(self):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.utils_models import Config

        scheme, host = _endpoint(settings.SMS_ALIYUN_ENDPOINT)
        timeout_ms = int(settings.SMS_TIMEOUT_SECONDS * 1000)
        return Client(
            Config(
                access_key_id=settings.SMS_ALIYUN_ACCESS_KEY_ID,
                access_key_secret=settings.SMS_ALIYUN_ACCESS_KEY_SECRET,
                endpoint=host,
                protocol=scheme.upper(),
                connect_timeout=timeout_ms,
                read_timeout=timeout_ms,
            )
        )

    def send(self, *, mobile: str, template: str, params: dict) -> Receipt:
        import json

        from alibabacloud_dysmsapi20170525 import models
        from darabonba.runtime import RuntimeOptions

        template_id = getattr(settings, f"SMS_ALIYUN_TEMPLATE_{template.upper()}")
        request = models.SendSmsRequest(
            phone_numbers=mobile,
            sign_name=settings.SMS_SIGN_NAME,
            template_code=template_id,
            template_param=json.dumps(dict(_params(template, params)), ensure_ascii=False),
        )
        try:
            response = self._client().send_sms_with_options(request, RuntimeOptions())
        except Exception as error:  # the SDK's ClientException, ServerException, connection errors
            raise SmsProviderError(f"aliyun: {type(error).__name__}: {error}") from error
        body = response.body
        if body is None or body.code != "OK":
            code, message = (body.code, body.message) if body else ("", "no body")
            raise SmsProviderError(f"aliyun: {code}: {message}")
        return Receipt(self.name, body.biz_id)


class TencentBackend:
    """SMS 2021-01-11 SendSms through tencentcloud-sdk-python-sms (signed TC3-HMAC-SHA256)."""

    name = "tencent"

    def _client(self):
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111.sms_client import SmsClient

        scheme, host = _endpoint(settings.SMS_TENCENT_ENDPOINT)
        http = HttpProfile(protocol=scheme, endpoint=host, reqTimeout=int(settings.SMS_TIMEOUT_SECONDS))
        return SmsClient(
            credential.Credential(settings.SMS_TENCENT_SECRET_ID, settings.SMS_TENCENT_SECRET_KEY),
            settings.SMS_TENCENT_REGION,
            ClientProfile(httpProfile=http),
        )

    def send(self, *, mobile: str, template: str, params: dict) -> Receipt:
        from tencentcloud.sms.v20210111 import models

        request = models.SendSmsRequest()
        request.PhoneNumberSet = [f"+86{mobile}"]
        request.SmsSdkAppId = settings.SMS_TENCENT_APP_ID
        request.SignName = settings.SMS_SIGN_NAME
        request.TemplateId = getattr(settings, f"SMS_TENCENT_TEMPLATE_{template.upper()}")
        request.TemplateParamSet = [value for _name, value in _params(template, params)]
        try:
            response = self._client().SendSms(request)
        except Exception as error:  # TencentCloudSDKException: an error answer, a timeout, a refused connection
            raise SmsProviderError(f"tencent: {type(error).__name__}: {error}") from error
        statuses = response.SendStatusSet or []
        if not statuses or statuses[0].Code != "Ok":
            code, message = (statuses[0].Code, statuses[0].Message) if statuses else ("", "no status")
            raise SmsProviderError(f"tencent: {code}: {message}")
        return Receipt(self.name, statuses[0].SerialNo)


BACKENDS = {backend.name: backend for backend in (ConsoleBackend, AliyunBackend, TencentBackend)}


def sms_send(*, mobile: str, template: str, params: dict) -> Receipt:
    """Send one templated message through the first provider that accepts it. Raises SmsSendFailed."""
    if template not in TEMPLATES:
        raise ValueError(f"Unknown SMS template {template!r}")
    errors = []
    for name in settings.SMS_BACKEND:
        backend = BACKENDS[name]()
        try:
            receipt = backend.send(mobile=mobile, template=template, params=params)
        except SmsProviderError as error:
            logger.warning("SMS provider %s failed, trying the next: %s", name, error)
            errors.append(str(error))
            continue
        if errors:
            logger.warning("SMS to %s delivered by %s (%s) after: %s", mobile[-4:], name, receipt, "; ".join(errors))
        return receipt
    raise SmsSendFailed("; ".join(errors) or "no SMS backend configured")
