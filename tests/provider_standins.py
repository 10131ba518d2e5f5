"""Local stand-ins for the SMS providers, speaking their documented HTTP APIs, for tests and benchmarks.

`python -m tests.provider_standins --port P` serves, on one port:
- Aliyun Dysmsapi 2017-05-25 `SendSms` (RPC style, `x-acs-action` header, parameters in the query), signed
  with the V3 method ACS3-HMAC-SHA256: canonical request (method, URI, sorted RFC 3986 query, the signed
  headers, hex SHA-256 of the body), string to sign `ACS3-HMAC-SHA256\\n` + its hex SHA-256, hex HMAC-SHA256
  with the AccessKey secret; `x-acs-date` within 15 minutes, `x-acs-signature-nonce` never reused.
- Tencent Cloud SMS 2021-01-11 `SendSms` (`X-TC-Action`, JSON body), signed TC3-HMAC-SHA256: canonical
  request, string to sign with the timestamp and the credential scope date/sms/tc3_request, the key derived
  by HMAC chain from "TC3" + SecretKey; timestamps more than 5 minutes off are refused.
A wrong signature gets the provider's own error answer, so a test fails if the SDK call is not signed as
the provider checks it. Control (tests only): `POST /_control {"aliyun": "ok"|"error"|"down", "tencent": ...}`,
`GET /_outbox` (every accepted message), `POST /_reset`.

The credentials it accepts are the constants below (`Standin.settings()` hands them to the app).
"""

import argparse
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

from tests.servers import free_port, wait_until_listening

ALIYUN_KEY_ID, ALIYUN_SECRET = "LTAI-standin-key", "standin-aliyun-secret"
TENCENT_SECRET_ID, TENCENT_SECRET_KEY = "AKID-standin", "standin-tencent-secret"


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def _rfc3986(text: str) -> str:
    return quote(text, safe="-_.~")


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.modes = {"aliyun": "ok", "tencent": "ok"}
        self.outbox: list[dict] = []
        self.nonces: set[str] = set()
        self.rejected: list[dict] = []


STATE = State()


def aliyun_check(method: str, path: str, query: str, headers, body: bytes) -> str | None:
    """None when the request is signed as Aliyun's V3 method requires, else the error code."""
    authorization = headers.get("Authorization", "")
    algorithm, _, rest = authorization.partition(" ")
    if algorithm != "ACS3-HMAC-SHA256":
        return "IncompleteSignature"
    fields = dict(part.split("=", 1) for part in rest.split(",") if "=" in part)
    if fields.get("Credential") != ALIYUN_KEY_ID:
        return "InvalidAccessKeyId.NotFound"
    signed = fields.get("SignedHeaders", "").split(";")
    if not {"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce"} <= set(signed):
        return "IncompleteSignature"
    try:
        moment = datetime.strptime(headers.get("x-acs-date", ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "InvalidTimeStamp.Format"
    if abs((datetime.now(UTC) - moment).total_seconds()) > 15 * 60:
        return "InvalidTimeStamp.Expired"
    if headers.get("x-acs-content-sha256") != _sha256_hex(body):
        return "IncompleteSignature"
    pairs = sorted((_rfc3986(k), _rfc3986(v)) for k, v in parse_qsl(query, keep_blank_values=True))
    canonical_query = "&".join(f"{k}={v}" for k, v in pairs)
    canonical_headers = "".join(f"{name}:{(headers.get(name) or '').strip()}\n" for name in signed)
    canonical = "\n".join(
        [method, path or "/", canonical_query, canonical_headers, ";".join(signed), headers["x-acs-content-sha256"]]
    )
    to_sign = "ACS3-HMAC-SHA256\n" + _sha256_hex(canonical.encode("utf-8"))
    expected = hmac.new(ALIYUN_SECRET.encode(), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields.get("Signature", "")):
        return "SignatureDoesNotMatch"
    nonce = headers.get("x-acs-signature-nonce", "")
    with STATE.lock:
        if nonce in STATE.nonces:
            return "SignatureNonceUsed"
        STATE.nonces.add(nonce)
    return None


def tencent_check(method: str, path: str, query: str, headers, body: bytes) -> str | None:
    """None when the request is signed TC3-HMAC-SHA256 as Tencent Cloud documents, else the error code."""
    authorization = headers.get("Authorization", "")
    algorithm, _, rest = authorization.partition(" ")
    if algorithm != "TC3-HMAC-SHA256":
        return "AuthFailure.InvalidAuthorization"
    fields = dict(part.strip().split("=", 1) for part in rest.split(",") if "=" in part)
    secret_id, _, scope = fields.get("Credential", "").partition("/")
    if secret_id != TENCENT_SECRET_ID:
        return "AuthFailure.SecretIdNotFound"
    date, service, terminator = [*scope.split("/"), "", "", ""][:3]
    if service != "sms" or terminator != "tc3_request":
        return "AuthFailure.InvalidAuthorization"
    try:
        timestamp = int(headers.get("X-TC-Timestamp", ""))
    except ValueError:
        return "AuthFailure.InvalidAuthorization"
    if abs(time.time() - timestamp) > 300:
        return "AuthFailure.SignatureExpire"
    if datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d") != date:
        return "AuthFailure.SignatureFailure"
    signed = fields.get("SignedHeaders", "").split(";")
    if not {"content-type", "host"} <= set(signed):
        return "AuthFailure.SignatureFailure"
    canonical_headers = "".join(f"{name}:{(headers.get(name) or '').strip().lower()}\n" for name in signed)
    canonical = "\n".join([method, path or "/", query, canonical_headers, ";".join(signed), _sha256_hex(body)])
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{_sha256_hex(canonical.encode('utf-8'))}"
    key = _hmac(_hmac(_hmac(("TC3" + TENCENT_SECRET_KEY).encode(), date), service), "tc3_request")
    expected = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields.get("Signature", "")):
        return "AuthFailure.SignatureFailure"
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet: the outbox is the record
        pass

    def _answer(self, status: int, payload: dict, content_type: str = "application/json;charset=utf-8") -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/_outbox":
            with STATE.lock:
                return self._answer(200, {"outbox": STATE.outbox, "rejected": STATE.rejected})
        return self._answer(404, {})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = urlsplit(self.path)
        if parts.path == "/_control":
            with STATE.lock:
                STATE.modes.update(json.loads(body or b"{}"))
            return self._answer(200, STATE.modes)
        if parts.path == "/_reset":
            with STATE.lock:
                STATE.outbox.clear()
                STATE.rejected.clear()
                STATE.modes = {"aliyun": "ok", "tencent": "ok"}
            return self._answer(200, {})
        if self.headers.get("x-acs-action"):
            return self._aliyun(parts, body)
        if self.headers.get("X-TC-Action"):
            return self._tencent(body)
        return self._answer(404, {})

    def _mode(self, provider: str) -> str:
        with STATE.lock:
            return STATE.modes[provider]

    def _aliyun(self, parts, body: bytes):
        request_id = str(uuid.uuid4()).upper()
        if self.headers["x-acs-action"] != "SendSms" or self.headers.get("x-acs-version") != "2017-05-25":
            return self._answer(404, {"Code": "InvalidAction.NotFound", "Message": "no such action"})
        if error := aliyun_check("POST", parts.path, parts.query, self.headers, body):
            with STATE.lock:
                STATE.rejected.append({"provider": "aliyun", "code": error})
            return self._answer(400, {"RequestId": request_id, "Code": error, "Message": "signature check failed"})
        mode = self._mode("aliyun")
        if mode == "down":
            return self._answer(503, {"RequestId": request_id, "Code": "ServiceUnavailable", "Message": "down"})
        if mode == "error":  # a business refusal arrives as 200 with a Code other than OK
            return self._answer(
                200, {"RequestId": request_id, "Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发号码天级流控"}
            )
        params = dict(parse_qsl(parts.query))
        missing = [k for k in ("PhoneNumbers", "SignName", "TemplateCode") if not params.get(k)]
        if missing:
            return self._answer(400, {"RequestId": request_id, "Code": "MissingParameter", "Message": missing[0]})
        biz_id = f"{int(time.time() * 1000)}^{uuid.uuid4().int % 10**10}"
        with STATE.lock:
            STATE.outbox.append(
                {
                    "provider": "aliyun",
                    "id": biz_id,
                    "mobile": params["PhoneNumbers"],
                    "sign": params["SignName"],
                    "template": params["TemplateCode"],
                    "params": json.loads(params.get("TemplateParam") or "{}"),
                }
            )
        return self._answer(200, {"RequestId": request_id, "Code": "OK", "Message": "OK", "BizId": biz_id})

    def _tencent_answer(self, payload: dict):
        return self._answer(200, payload, "application/json")

    def _tencent(self, body: bytes):
        request_id = str(uuid.uuid4())
        if self.headers["X-TC-Action"] != "SendSms" or self.headers.get("X-TC-Version") != "2021-01-11":
            error = {"Code": "InvalidAction", "Message": "no such action"}
            return self._tencent_answer({"Response": {"Error": error, "RequestId": request_id}})
        if code := tencent_check("POST", "/", "", self.headers, body):
            with STATE.lock:
                STATE.rejected.append({"provider": "tencent", "code": code})
            error = {"Code": code, "Message": "signature check failed"}
            return self._tencent_answer({"Response": {"Error": error, "RequestId": request_id}})
        mode = self._mode("tencent")
        if mode == "down":
            return self._answer(503, {}, "text/html")
        if mode == "error":
            error = {"Code": "FailedOperation.InsufficientBalanceInSmsPackage", "Message": "套餐包余量不足"}
            return self._tencent_answer({"Response": {"Error": error, "RequestId": request_id}})
        data = json.loads(body or b"{}")
        statuses = []
        for number in data.get("PhoneNumberSet") or []:
            serial = f"2645:{uuid.uuid4().int % 10**20}"
            statuses.append(
                {
                    "SerialNo": serial,
                    "PhoneNumber": number,
                    "Fee": 1,
                    "SessionContext": "",
                    "Code": "Ok",
                    "Message": "send success",
                    "IsoCode": "CN",
                }
            )
            with STATE.lock:
                STATE.outbox.append(
                    {
                        "provider": "tencent",
                        "id": serial,
                        "mobile": number.removeprefix("+86"),
                        "sign": data.get("SignName"),
                        "template": data.get("TemplateId"),
                        "app": data.get("SmsSdkAppId"),
                        "params": data.get("TemplateParamSet") or [],
                    }
                )
        return self._tencent_answer({"Response": {"SendStatusSet": statuses, "RequestId": request_id}})


def serve(port: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


# --- for tests and benchmarks: start it as a process on a free port


@dataclass
class Standin:
    url: str
    process: subprocess.Popen

    def _call(self, method: str, path: str, payload=None):
        import requests

        response = requests.request(method, self.url + path, json=payload, timeout=10)
        response.raise_for_status()
        return response.json()

    def control(self, **modes) -> None:
        self._call("POST", "/_control", modes)

    def reset(self) -> None:
        self._call("POST", "/_reset", {})

    def outbox(self) -> list[dict]:
        return self._call("GET", "/_outbox")["outbox"]

    def rejected(self) -> list[dict]:
        return self._call("GET", "/_outbox")["rejected"]

    def settings(self, backends: str = "aliyun,tencent") -> dict:
        """The settings (as environment variables) that point the providers' SDKs here."""
        return {
            "SMS_BACKEND": backends,
            "SMS_ALIYUN_ACCESS_KEY_ID": ALIYUN_KEY_ID,
            "SMS_ALIYUN_ACCESS_KEY_SECRET": ALIYUN_SECRET,
            "SMS_ALIYUN_ENDPOINT": self.url,
            "SMS_ALIYUN_TEMPLATE_CODE": "SMS_270001",
            "SMS_ALIYUN_TEMPLATE_NOTICE": "SMS_270002",
            "SMS_TENCENT_SECRET_ID": TENCENT_SECRET_ID,
            "SMS_TENCENT_SECRET_KEY": TENCENT_SECRET_KEY,
            "SMS_TENCENT_APP_ID": "1400000001",
            "SMS_TENCENT_ENDPOINT": self.url,
            "SMS_TENCENT_TEMPLATE_CODE": "1100001",
            "SMS_TENCENT_TEMPLATE_NOTICE": "1100002",
        }

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_standin(log_dir: Path) -> Standin:
    port = free_port()
    log_path = log_dir / f"provider-standin-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.provider_standins", "--port", str(port)],
        cwd=Path(__file__).resolve().parent.parent,
        env=os.environ.copy(),
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_until_listening(process, port, name="provider stand-in", log_path=log_path, seconds=20)
    return Standin(f"http://127.0.0.1:{port}", process)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    serve(parser.parse_args().port)
