"""Upload memory under gunicorn: a 200 MB file through the real HTTP path, and the limits at its edges.

Builds a throw-away SQLite site in a temporary folder, starts gunicorn (one sync worker) on a free
localhost port, logs in through the API, then:

1. uploads a file of exactly the limit (200 MB): accepted, with the worker's peak memory (VmHWM) < 80 MB;
2. starts uploading a file over the limit: refused by its length with a 413 and a clear message
   before the body is read (never a 500), answered within a fraction of a second.

Prints each figure beside its target and exits non-zero when one is missed. Not a test: run it by hand,
`bench/upload_memory` (options: --size-mb, --keep).
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
PEAK_TARGET_MB = 80
REFUSAL_TARGET_S = 1.0
PASSWORD = "bench-pass-2022"  # noqa: S105 - a throw-away local site


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def worker_pid(master: int, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def set_up_site(env: dict, size: int) -> dict:
    """Migrate a fresh SQLite database and create a trainee with a 200 MB-limit assignment."""
    script = f"""
import django, json
django.setup()
from datetime import timedelta
from django.core.management import call_command
from django.utils import timezone
call_command("migrate", verbosity=0)
from rest_framework.authtoken.models import Token
from courses.models import Cohort, Course, Enrolment, Module, Phase
from fieldwork import services
from fieldwork.models import Assignment
from lms.models import Community, District, Town, User
from datetime import date
district = District.objects.create(name="南海区", code="nh")
community = Community.objects.create(town=Town.objects.create(district=district, name="西樵镇"), name="河岗社区")
course = Course.objects.create(title="社区规划师培育课程", code="bench")
cohort = Cohort.objects.create(course=course, district=district, name="bench", year=2022,
                               starts_on=date(2022, 3, 1), ends_on=date(2022, 12, 31))
module = Module.objects.create(cohort=cohort, phase=Phase.FIELD, position=1, title="实地支持")
trainee = User.objects.create_user(username="bench.trainee", password={PASSWORD!r}, full_name="何家明")
enrolment = Enrolment.objects.create(cohort=cohort, trainee=trainee, community=community)
assignment = Assignment.objects.create(module=module, title="居民访谈报告", opens_at=timezone.now() - timedelta(days=1),
    due_at=timezone.now() + timedelta(days=7), max_file_size={size}, max_total_size={size}, max_files=5,
    allowed_extensions=["pdf"])
submission = services.submission_start(assignment=assignment, enrolment=enrolment, actor=trainee)
print(json.dumps({{"submission": submission.pk}}))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def log_in(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = json.dumps({"username": "bench.trainee", "password": PASSWORD})
    conn.request("POST", "/api/v1/auth/token/", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    data = json.loads(response.read())
    conn.close()
    return data["token"]


def make_file(path: Path, size: int) -> None:
    """A PDF-looking file of exactly `size` bytes, written in chunks."""
    header = b"%PDF-1.4\n% bench upload\n"
    chunk = b"0" * MB
    with path.open("wb") as f:
        f.write(header)
        left = size - len(header)
        while left > 0:
            f.write(chunk[: min(MB, left)])
            left -= min(MB, left)


def multipart_parts(name: str) -> tuple[bytes, bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head, tail, boundary


def upload(port: int, token: str, submission: int, path: Path, *, declared: int | None = None, send_all=True):
    """POST the file as multipart, streaming it from disk. Returns (status, body, seconds)."""
    head, tail, boundary = multipart_parts(path.name)
    size = declared if declared is not None else path.stat().st_size
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.monotonic()
    conn.putrequest("POST", f"/api/v1/submissions/{submission}/files/")
    conn.putheader("Authorization", f"Token {token}")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(len(head) + size + len(tail)))
    conn.endheaders()
    try:
        conn.send(head)
        with path.open("rb") as f:
            sent = 0
            while chunk := f.read(MB):
                conn.send(chunk)
                sent += len(chunk)
                if not send_all and sent >= 4 * MB:
                    break
        if send_all:
            conn.send(tail)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed before the whole body was sent, as it should
    response = conn.getresponse()
    body = response.read()
    elapsed = time.monotonic() - started
    conn.close()
    return response.status, body, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    limit = args.size_mb * MB

    tmp = Path(tempfile.mkdtemp(prefix="upload-bench-"))
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="lms.settings",
        LMS_VAR_DIR=str(tmp / "var"),
        DJANGO_PRIVATE_ROOT=str(tmp / "private"),
        TMPDIR=str(tmp),
        DJANGO_DEBUG="0",
    )
    ids = set_up_site(env, limit)
    port = free_port()
    gunicorn = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "lms.wsgi",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "600",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    results: list[tuple[str, str, str, bool]] = []
    try:
        worker = worker_pid(gunicorn.pid)
        for _ in range(100):
            try:
                token = log_in(port)
                break
            except (ConnectionRefusedError, http.client.RemoteDisconnected):
                time.sleep(0.1)
        baseline = status_kb(worker, "VmRSS") / 1024

        exact = tmp / "exactly-at-limit.pdf"
        make_file(exact, limit)
        peak_polled = [0]
        done = threading.Event()

        def poll():
            while not done.is_set():
                try:
                    peak_polled[0] = max(peak_polled[0], status_kb(worker, "VmRSS"))
                except FileNotFoundError:
                    return
                time.sleep(0.02)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        status_code, body, seconds = upload(port, token, ids["submission"], exact)
        done.set()
        poller.join()
        peak = status_kb(worker, "VmHWM") / 1024
        results.append(
            (f"file exactly at the limit ({args.size_mb} MB) accepted", "201", str(status_code), status_code == 201)
        )
        results.append(
            (
                f"worker peak memory (VmHWM; baseline {baseline:.0f} MB, polled RSS max {peak_polled[0] / 1024:.0f} MB,"
                f" {seconds:.1f} s)",
                f"< {PEAK_TARGET_MB} MB",
                f"{peak:.1f} MB",
                peak < PEAK_TARGET_MB,
            )
        )
        exact.unlink()

        over = tmp / "over-limit.pdf"
        make_file(over, 8 * MB)  # only the first MBs are sent; the declared length says limit + 50 MB
        status_code, body, seconds = upload(
            port, token, ids["submission"], over, declared=limit + 50 * MB, send_all=False
        )
        try:
            error = json.loads(body)["error"]
        except (ValueError, KeyError):
            error = {"code": "?", "message": body[:200].decode(errors="replace")}
        results.append(("over-limit upload refused with 413", "413", str(status_code), status_code == 413))
        results.append(
            (
                f"refusal says why: “{error.get('message')}”",
                "request_too_large",
                error.get("code", "?"),
                error.get("code") == "request_too_large",
            )
        )
        results.append(
            ("over-limit refusal time", f"< {REFUSAL_TARGET_S:.1f} s", f"{seconds:.3f} s", seconds < REFUSAL_TARGET_S)
        )
        results.append(
            ("gunicorn worker still alive", "yes", "yes" if gunicorn.poll() is None else "no", gunicorn.poll() is None)
        )
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        try:
            gunicorn.wait(timeout=10)
        except subprocess.TimeoutExpired:
            gunicorn.kill()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    width = max(len(r[0]) for r in results)
    print(f"{'measure'.ljust(width)}  {'target':>18}  {'measured':>10}  ok")
    for label, target, measured, ok in results:
        print(f"{label.ljust(width)}  {target:>18}  {measured:>10}  {'✓' if ok else '✗ MISSED'}")
    return 0 if all(r[3] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
