"""What the benchmarks share: a free port, a fresh database, gunicorn serving the app, a Celery worker, a session."""

import http.client
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def recreate_database(url: str) -> None:
    """Drop and create the PostgreSQL database named in `url` (the benchmark's own)."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def start_gunicorn(port: int, workers: int, env: dict, *, log_name: str, extra_args=()) -> subprocess.Popen:
    """gunicorn serving the app on localhost, answered once the login page answers (30 s at most)."""
    log_path = ROOT / "var" / log_name
    log = open(log_path, "w")  # noqa: SIM115 - lives as long as the server
    process = subprocess.Popen(
        [
            ROOT / ".venv" / "bin" / "gunicorn",
            "lms.wsgi",
            *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
            *extra_args,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/accounts/login/")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    os.killpg(process.pid, signal.SIGTERM)
    raise SystemExit(f"gunicorn did not answer within 30 s; see {log_path}")


def session_key(user) -> str:
    """A signed-in session for `user` in the database, as the login page would make it after the second factor
    (staff must give one): its cookie value."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from lms.second_factor import SESSION_VERIFIED

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[SESSION_VERIFIED] = True
    store.create()
    return store.session_key


def start_celery_worker(
    env: dict, queue: str, *, log_name: str, concurrency: int = 1, loglevel: str = "INFO"
) -> subprocess.Popen:
    """A real Celery worker (prefork) on `queue`, returned once it says it is ready (60 s at most; the
    "ready." line is logged at INFO)."""
    import uuid

    log_path = ROOT / "var" / log_name
    log = open(log_path, "w")  # noqa: SIM115 - lives as long as the worker
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "celery"),
            *("-A", "lms", "worker", "-Q", queue, "-c", str(concurrency), "-P", "prefork"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat", f"--loglevel={loglevel}"),
            *("-n", f"bench-{uuid.uuid4().hex[:6]}@%h"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while b"ready." not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGTERM)
            raise SystemExit(f"the Celery worker did not start; see {log_path}")
        time.sleep(0.2)
    return process
