import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, **env):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")} | env
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_in_production_mode():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY="x" * 64 + "-a-long-random-production-secret",
        DJANGO_ALLOWED_HOSTS="lms.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret():
    result = _manage("check", DJANGO_ENV="production", DJANGO_ALLOWED_HOSTS="lms.example.org")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_development_secret_lives_in_an_ignored_file():
    ignored = (ROOT / ".gitignore").read_text().split()
    assert ".secret_key" in ignored
    tracked = subprocess.run(["git", "ls-files", ".secret_key"], cwd=ROOT, capture_output=True, text=True).stdout
    assert tracked == ""


def test_sqlite_is_the_embedded_default():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "from django.db import connection; print(connection.vendor)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip().splitlines()[-1] == "sqlite", result.stderr


def test_pool_processes_have_time_to_warm_up_before_celery_kills_them():
    """The warm-up took 11.8 s at load 13; Celery's default 4 s killed every replacement process in a loop."""
    from lms.celery import app

    assert app.conf.worker_proc_alive_timeout >= 60
