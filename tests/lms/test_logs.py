"""Log lines: time, level, logger, request id, user id; the same in workers; LOG_FORMAT=json."""

import datetime as dt
import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lms.logs import ContextFilter, JsonFormatter, TextFormatter
from tests.certificates.conftest import celery_worker, certified_world, render_queue  # noqa: F401
from tests.certificates.workers import all_issued, wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def log_lines():
    """What the root logger writes through the project's filter, with the given formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)

    def lines(formatter=None):
        handler.setFormatter(formatter or TextFormatter())
        return stream

    yield lines
    root.removeHandler(handler)


@pytest.mark.django_db
def test_a_web_line_has_time_level_logger_request_id_and_user(client, world, log_lines):
    stream = log_lines()
    client.force_login(world.trainee)
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-test-0001")
    assert response.status_code == 404 and response["X-Request-ID"] == "req-test-0001"
    line = next(line for line in stream.getvalue().splitlines() if "Not Found" in line)
    stamp = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "
    who = f"request=req-test-0001 user={world.trainee.pk}"
    pattern = stamp + rf"WARNING django\.request {who} Not Found: /no-such-page/$"
    assert re.match(pattern, line), line


@pytest.mark.django_db
def test_a_malformed_incoming_request_id_is_replaced(client, log_lines):
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="<script>x</script>")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


@pytest.mark.django_db
def test_json_lines_for_log_collectors(client, world, log_lines):
    stream = log_lines(JsonFormatter())
    client.force_login(world.staff)
    client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-json-0002")
    entry = json.loads(next(line for line in stream.getvalue().splitlines() if "Not Found" in line))
    assert entry["level"] == "WARNING" and entry["logger"] == "django.request"
    assert entry["request_id"] == "req-json-0002" and entry["user_id"] == str(world.staff.pk)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"])
    logged = dt.datetime.fromisoformat(entry["time"])
    assert abs((logged - dt.datetime.now(dt.UTC)).total_seconds()) < 60  # UTC, not the site's zone


def test_log_format_json_setting_applies_to_the_whole_process():
    env = {**os.environ, "LOG_FORMAT": "json"}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "import logging; logging.getLogger('lms.demo').warning('河岗')",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    entry = json.loads(result.stderr.strip().splitlines()[-1])
    assert entry["logger"] == "lms.demo" and entry["message"] == "河岗" and entry["level"] == "WARNING"


@pytest.mark.django_db(transaction=True)
def test_a_worker_line_carries_the_id_of_the_request_that_queued_the_task(client, certified_world, celery_worker):  # noqa: F811
    w = certified_world
    client.force_login(w.staff)
    response = client.post(
        f"/cohorts/{w.cohort.pk}/certificates/issue/", {"scope": "all"}, HTTP_X_REQUEST_ID="req-issue-0042"
    )
    assert response.status_code == 302
    from certificates.models import Certificate

    ids = list(Certificate.objects.values_list("pk", flat=True))
    wait_for(lambda: all_issued(ids), timeout=90, workers=[celery_worker])
    wait_for(lambda: "succeeded" in celery_worker.log_path.read_text(), timeout=10)
    lines = [line for line in celery_worker.log_path.read_text().splitlines() if "render_certificate" in line]
    stamp = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
    assert any(
        re.match(rf"{stamp} INFO \S+ request=req-issue-0042 user={w.staff.pk} ", line) for line in lines
    ), "\n".join(lines)
    assert "Creating layout" not in celery_worker.log_path.read_text()  # WeasyPrint's progress stays out
