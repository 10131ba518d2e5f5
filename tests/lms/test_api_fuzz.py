"""Fuzz the published API schema against the running app, as each demo role (issue 10, item 10).

The app runs under gunicorn against the test database seeded with the demo; schemathesis (the
CLI, pinned in requirements.txt) reads /api/v1/schema/ and checks that no answer is a server
error and that every status code, content type and body is the one the schema documents.
Bounded by a fixed seed and few examples per operation, the three roles fuzzing at once; with the
coverage phase (boundary and malformed values of every parameter) about 3,700 cases a role, 5.5 min at load 14.
"""

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from tests.certificates.workers import database_url
from tests.lms.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ROLES = {"trainee": "hegang01", "instructor": "mentor.chen", "staff": "nanhai.staff"}
PASSWORD = "demo-pass-2022"
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"
MAX_EXAMPLES = int(os.environ.get("LMS_FUZZ_MAX_EXAMPLES", "5"))
SEED = os.environ.get("LMS_FUZZ_SEED", "1")
# The coverage phase tries boundary and malformed values of every parameter (ids like `%C2%84` or `0.5`).
PHASES = os.environ.get("LMS_FUZZ_PHASES", "examples,coverage,fuzzing")
DEEP_JSON = "[" * 3000 + "]" * 3000

pytestmark = [pytest.mark.fuzz, pytest.mark.xdist_group("fuzz")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(media_root: str, log_path: Path, *, workers: int = 2, threads: int = 4):
    """The app under gunicorn on a free port, against this test's database; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_DEBUG": "0",
        "DJANGO_PRIVATE_ROOT": media_root,
        "CACHE_KEY_PREFIX": f"fuzz-{uuid.uuid4().hex[:8]}",
        # Queued certificates stay inside the server process: no test worker picks them up later.
        "CELERY_BROKER_URL": "memory://",
        "PYTHONUNBUFFERED": "1",
    }
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            # No limit on the request line: a fuzzed query string tests the app, not gunicorn's 414.
            [str(BIN / "gunicorn"), "lms.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers),
             "--threads", str(threads), "--timeout", "60", "--limit-request-line", "0"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/accounts/login/", timeout=5).read()  # noqa: S310 (loopback)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def demo_server(transactional_db, media_root, tmp_path):
    """gunicorn serving the demo, against this test's database."""
    call_command("seed_demo", verbosity=0)
    # The suite hashes with MD5 for speed; the server knows only the production hashers.
    hasher = PBKDF2PasswordHasher()
    get_user_model().objects.filter(username__in=ROLES.values()).update(password=hasher.encode(PASSWORD, hasher.salt()))
    log_path = tmp_path / "gunicorn.log"
    with gunicorn(media_root, log_path) as base:
        yield base, log_path


def token_for(base: str, username: str) -> str:
    body = urllib.parse.urlencode({"username": username, "password": PASSWORD}).encode()
    with urllib.request.urlopen(f"{base}/api/v1/auth/token/", data=body, timeout=30) as answer:  # noqa: S310
        return json.loads(answer.read())["token"]


def test_schemathesis_finds_nothing_as_any_demo_role(demo_server, tmp_path):
    base, server_log = demo_server
    started = time.monotonic()
    runs = {}
    for role, username in ROLES.items():
        out = (tmp_path / f"{role}.txt").open("w")
        command = [
            str(BIN / "schemathesis"), "run", f"{base}/api/v1/schema/",
            "-H", f"Authorization: Token {token_for(base, username)}",
            "--checks", CHECKS, "--max-examples", str(MAX_EXAMPLES), "--seed", SEED,
            "--phases", PHASES, "--no-shrink", "--request-timeout", "30",
            "--workers", "1", "--output-truncate", "true",
        ]  # fmt: skip
        runs[role] = (subprocess.Popen(command, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT), out)
    failures, figures = [], []
    for role, (process, out) in runs.items():
        code = process.wait(timeout=600)
        out.close()
        text = (tmp_path / f"{role}.txt").read_text()
        cases = re.search(r"(\d+) generated", text)
        figures.append(f"{role}: {cases.group(1) if cases else '?'} cases")
        if code != 0:
            failures.append(f"--- schemathesis as {role} (exit {code}):\n{text[-6000:]}")
    elapsed = time.monotonic() - started
    print(f"schemathesis: {', '.join(figures)}; {elapsed:.0f} s; load {os.getloadavg()[0]:.1f}")
    assert not failures, "\n".join(failures) + "\n--- server log (tail):\n" + server_log.read_text()[-4000:]


def test_schema_answers_concurrent_first_requests_in_a_fresh_threaded_process(transactional_db, media_root, tmp_path):
    """drf-spectacular's lazy extension loading raced: 5 of 6 concurrent first requests answered 500."""
    token = Token.objects.create(user=UserFactory()).key
    with gunicorn(media_root, tmp_path / "gunicorn.log", workers=1, threads=8) as base:
        statuses = []

        def fetch():
            headers = {"Authorization": f"Token {token}"}
            request = urllib.request.Request(f"{base}/api/v1/schema/", headers=headers)  # noqa: S310 (loopback)
            try:
                with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 (loopback)
                    statuses.append(answer.status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)

        threads = [threading.Thread(target=fetch) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert statuses == [200] * 6


def _call(base: str, method: str, path: str, token: str, body: bytes | None = None):
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(f"{base}{path}", data=body, headers=headers, method=method.upper())  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (loopback)
            return answer.status, answer.headers.get("Content-Type", ""), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def test_nested_json_and_format_suffixes_on_every_operation(demo_server):
    """Cases schemathesis does not generate (issue 26): a body nested 3,000 deep to every operation that
    takes JSON, the anonymous token endpoint included, and `<path>.json` for every path: a 4xx in JSON."""
    base, server_log = demo_server
    token = token_for(base, ROLES["staff"])
    _status, _type, raw = _call(base, "get", "/api/v1/schema/?format=json", token)
    schema = json.loads(raw)
    wrong, nested, suffixed = [], 0, 0
    for template, operations in schema["paths"].items():
        path = re.sub(r"\{[^}]+\}", "1", template)
        for method, operation in operations.items():
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                nested += 1
                status, kind, body = _call(base, method, path, token, DEEP_JSON.encode())
                if not (400 <= status < 500 and kind == "application/json"):
                    wrong.append(f"{method.upper()} {path} nested: {status} {kind} {body[:120]!r}")
        suffixed += 1
        status, kind, body = _call(base, "get", path.rstrip("/") + ".json", token)
        if status >= 500 or kind != "application/json":
            wrong.append(f"GET {path.rstrip('/')}.json: {status} {kind} {body[:120]!r}")
    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"{base}/api/v1/auth/token/", data=DEEP_JSON.encode(), headers={"Content-Type": "application/json"}
    )
    try:
        urllib.request.urlopen(request, timeout=30)  # noqa: S310 (loopback)
        wrong.append("token endpoint accepted a nested body")
    except urllib.error.HTTPError as error:
        if error.code != 400:
            wrong.append(f"token endpoint nested: {error.code}")
    print(f"nested JSON to {nested} operations, .json suffix on {suffixed} paths")
    assert nested > 10 and suffixed > 30
    assert not wrong, "\n".join(wrong) + "\n--- server log (tail):\n" + server_log.read_text()[-3000:]
