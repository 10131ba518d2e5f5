"""Production refuses to start half-configured; the real client address behind trusted proxies."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from lms.net import client_address, trusted_proxies_parse

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "p" * 64 + "-production-secret",
    "DJANGO_ALLOWED_HOSTS": "lms.example.org",
}


def start(**env):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "LMS_"))} | env
    full_env = {k: v for k, v in full_env.items() if v is not None}
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("DATABASE_URL", "DATABASE_URL must be set in production"),
        ("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY must be set in production"),
        ("DJANGO_ALLOWED_HOSTS", "DJANGO_ALLOWED_HOSTS must be set in production"),
    ],
)
def test_production_refuses_to_start_without_its_essentials(missing, message):
    env = {**PRODUCTION, "DATABASE_URL": os.environ["DATABASE_URL"], missing: None}
    result = start(**env)
    assert result.returncode != 0 and message in result.stderr


@pytest.mark.parametrize("value", ["one", "10.0.0.300", "10.0.0.0/8,,x", "99"])
def test_malformed_trusted_proxies_are_refused_at_start(value):
    result = start(LMS_TRUSTED_PROXIES=value)
    assert result.returncode != 0 and "LMS_TRUSTED_PROXIES" in result.stderr
    with pytest.raises(ImproperlyConfigured):
        trusted_proxies_parse(value)


def test_dropped_database_connections_are_checked_before_use():
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "client"),
    [
        ("10.0.0.5", "203.0.113.7", "", "10.0.0.5"),  # no proxy configured: the socket's address
        ("127.0.0.1", "203.0.113.7", "1", "203.0.113.7"),
        ("127.0.0.1", "198.51.100.9, 203.0.113.7", "1", "203.0.113.7"),  # the client's own header is ignored
        ("127.0.0.1", "203.0.113.7, 10.0.0.2", "2", "203.0.113.7"),
        ("127.0.0.1", "", "1", "127.0.0.1"),
        ("10.0.0.2", "198.51.100.9, 203.0.113.7, 10.0.0.3", "10.0.0.0/8", "203.0.113.7"),
        ("10.0.0.2", "not-an-ip", "1", "10.0.0.2"),
        ("10.0.0.2", "2001:db8::1", "10.0.0.2", "2001:db8::1"),
    ],
)
def test_the_real_client_address_is_read_behind_trusted_proxies(remote, forwarded, trusted, client):
    assert client_address(remote, forwarded, trusted_proxies_parse(trusted)) == client


@pytest.mark.django_db
def test_rate_limits_see_the_forwarded_address(client, settings):
    settings.LMS_TRUSTED_PROXIES = 1
    settings.CERTIFICATES_VERIFY_RATE = (2, 60)
    url = "/verify/ABCD-EFGH-JKMN-PQRS/"
    first = [client.get(url, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code for _ in range(3)]
    assert first == [404, 404, 429]
    assert client.get(url, HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 404


def test_the_readme_lists_every_variable_the_settings_read():
    import re

    source = (ROOT / "lms/settings.py").read_text()
    read = set(re.findall(r'(?:environ\.get|env_bool|env_list|env_int)\(\s*"([A-Z][A-Z0-9_]+)"', source))
    read -= {"PYTEST_XDIST_WORKER"}  # the test runner's own
    assert {"DATABASE_URL", "AWS_S3_ENDPOINT_URL", "LMS_TRUSTED_PROXIES"} <= read
    readme = (ROOT / "README.md").read_text()
    assert [name for name in sorted(read) if f"`{name}`" not in readme] == []


@pytest.mark.parametrize(
    ("unit", "command"),
    [("lms-web", "gunicorn lms.wsgi"), ("lms-worker", "celery -A lms worker"), ("lms-beat", "celery -A lms beat")],
)
def test_systemd_units_run_as_the_dedicated_user(unit, command):
    text = (ROOT / "deploy" / f"{unit}.service").read_text()
    lines = dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
    assert lines["User"] == "lms" and lines["Group"] == "lms"
    assert lines["EnvironmentFile"] == "/etc/lms/env" and command in lines["ExecStart"]
    assert lines["NoNewPrivileges"] == "true" and lines["Restart"] == "on-failure"
