"""Fault script: the database drops its clients' connections (a restart, a failover, an idle timeout).

Web processes keep their connection between requests (DATABASE_CONN_MAX_AGE, 60 s by default): after the
server ends it, the next request must still answer, because Django's health check (CONN_HEALTH_CHECKS)
finds it unusable and opens a new one before the view runs. Celery workers open a connection per task
(Celery's Django fix-up closes it before and after each one), so the next certificate is issued as well.
"""

import urllib.request

import pytest
from django.db import connection

from certificates import services
from certificates.models import Certificate
from tests.certificates.workers import Worker, all_issued, wait_for
from tests.faults.test_worker_killed import cohort_of_eligible_trainees
from tests.lms.test_api_fuzz import gunicorn

pytestmark = pytest.mark.django_db(transaction=True)


def end_other_connections() -> int:
    """What a database restart does to every client but this test: their backends are terminated."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_after_the_database_drops_every_connection_pages_and_workers_carry_on(render_queue, media_root, tmp_path):
    cohort, staff = cohort_of_eligible_trainees()
    enrolments = list(cohort.enrolments.order_by("pk"))
    worker = Worker(render_queue, media_root, extra_env={"DATABASE_CONN_MAX_AGE": "600"})
    try:
        worker.wait_ready()
        first = services.certificate_issue_batch(cohort=cohort, actor=staff, enrolment_ids=[enrolments[0].pk])
        first_ids = list(first.certificates.values_list("pk", flat=True))
        wait_for(lambda: all_issued(first_ids), timeout=90, workers=[worker])
        code = Certificate.objects.get(pk=first_ids[0]).code
        with gunicorn(media_root, tmp_path / "gunicorn.log", workers=1, threads=1) as base:
            page = f"{base}/verify/{code}/"  # public, and reads the database
            assert status_of(page) == 200  # the server process now holds a connection
            assert end_other_connections() >= 1  # gunicorn's among them
            assert [status_of(page) for _ in range(3)] == [200, 200, 200]
        later = services.certificate_issue_batch(
            cohort=cohort, actor=staff, enrolment_ids=[e.pk for e in enrolments[1:4]]
        )
        later_ids = list(later.certificates.values_list("pk", flat=True))
        wait_for(lambda: all_issued(later_ids), timeout=90, workers=[worker])
    finally:
        worker.stop()
    assert "Traceback" not in worker.log_path.read_text(errors="replace")
