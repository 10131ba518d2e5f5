"""Real Celery worker subprocesses for tests and fault scripts."""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.db import connection

from certificates.models import Certificate, CertificateStatus

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The URL of the test database pytest-django created, for worker subprocesses."""
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Worker:
    """A real `celery -A lms worker` subprocess on its own queue, against the test database."""

    def __init__(self, queue: str, media_root: str, *, concurrency: int = 1, pool: str = "prefork", extra_env=None):
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DATABASE_CONN_MAX_AGE": "0",
            "CERTIFICATES_QUEUE": queue,
            "DJANGO_PRIVATE_ROOT": media_root,
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.log_path = Path(media_root) / f"worker-{uuid.uuid4().hex[:6]}.log"
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "lms",
                "worker",
                "-Q",
                queue,
                "-c",
                str(concurrency),
                "-P",
                pool,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{queue}-{uuid.uuid4().hex[:6]}@%h",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if b"ready." in self.log_path.read_bytes():
                return
            assert self.process.poll() is None, self.log_path.read_text()
            time.sleep(0.2)
        raise AssertionError("worker did not start:\n" + self.log_path.read_text())

    def tasks(self, event: str) -> int:
        """How many render tasks this worker has logged as `event` ("received" or "succeeded")."""
        text = self.log_path.read_text()
        return sum(
            1 for line in text.splitlines() if "certificates.render_certificate[" in line and f"] {event}" in line
        )

    def drain(self, queue: str, timeout: float = 60) -> None:
        """Queue a probe (a render of no certificate) and wait until this worker has run it: everything
        queued before it has then been received, so "nothing happened" is a fact, not a guess."""
        from certificates.tasks import render_certificate

        probe = render_certificate.apply_async(args=[0], queue=queue).id
        wait_for(lambda: f"[{probe}] succeeded" in self.log_path.read_text(), timeout=timeout, workers=[self])

    def children(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    def kill(self) -> None:
        """SIGKILL the whole worker: parent and pool processes, as a crashed host would."""
        for pid in [*self.children(), self.process.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def wait_for(predicate, timeout: float = 60, interval: float = 0.2, *, workers=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(interval)
    logs = "\n".join(w.log_path.read_text()[-3000:] for w in workers)
    raise AssertionError("timed out waiting" + (f"; worker logs:\n{logs}" if logs else ""))


def all_issued(ids) -> bool:
    return Certificate.objects.filter(pk__in=ids, status=CertificateStatus.ISSUED).count() == len(ids)


def purge_queue(name: str) -> None:
    """Drop what a test left in its own queue (e.g. duplicate deliveries), so the shared Redis stays clean."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")
