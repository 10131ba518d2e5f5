"""Health for load balancers and operators (JSON, no login, no secrets), and the operator page.

- `/healthz`: the process answers (liveness: restart the process when this fails).
- `/readyz`: this web host can serve pages (readiness: the balancer's check). Only the database is
  fatal; Redis (rate limits fall back to per-process counters) and the storage (pages render, a
  download answers 503 with a message) are reported as `degraded` with 200, so a Redis or bucket
  hiccup never takes every web host out of rotation at once. Worker heartbeats are not asked here.
- `/operations/status/` (superusers): every check, workers included, for people and monitoring.
Each failing check is named in the answer and in one log line. Answers name the failing part and
the kind of error only, never a URL, host or message that could carry a credential.
"""

import logging
import os
import time

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Count, Min
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from lms.errors import NotFound
from lms.registry import provided
from lms.storage import is_bucket, storage_problems
from lms.workers import queue_lengths, workers_seen


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_redis() -> None:
    import redis

    location = settings.CACHES["default"]["LOCATION"]
    redis.Redis.from_url(location, socket_connect_timeout=0.5, socket_timeout=1.0).ping()


def _check_storage() -> None:
    if is_bucket(default_storage):
        if storage_problems():
            raise RuntimeError("bucket")
        return
    location = default_storage.location
    if not (os.path.isdir(location) and os.access(location, os.W_OK)):
        raise RuntimeError("folder")


def _check_workers() -> None:
    seen = workers_seen(within=60)
    if seen is None:
        raise RuntimeError("broker")
    if not seen:
        raise RuntimeError("none")


CHECKS = {"database": _check_database, "redis": _check_redis, "storage": _check_storage, "workers": _check_workers}
# What a web host needs to serve pages at all; the other checks of READY_CHECKS only degrade it.
FATAL = ("database",)
READY_CHECKS = ("database", "redis", "storage")
logger = logging.getLogger(__name__)


def readiness(names=tuple(CHECKS)) -> tuple[bool, dict]:
    """(every named check passed, each check's result)."""
    results = {}
    for name in names:
        check = CHECKS[name]
        started = time.monotonic()
        try:
            check()
            results[name] = {"ok": True}
        except Exception as error:  # every failure is an answer here, never a 500
            results[name] = {"ok": False, "error": type(error).__name__ if str(error) not in _SAFE else str(error)}
        results[name]["ms"] = round(1000 * (time.monotonic() - started), 1)
    return all(r["ok"] for r in results.values()), results


_SAFE = {"bucket", "folder", "broker", "none"}  # our own words; anything else shows only its type


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


def _failing(checks: dict) -> list[str]:
    return [f"{name} ({result['error']})" for name, result in checks.items() if not result["ok"]]


@never_cache
def readyz(request):
    """200 while the database answers (status "ok", or "degraded" naming what is not); 503 naming the database."""
    _all, checks = readiness(READY_CHECKS)
    failing = [name for name in FATAL if not checks[name]["ok"]]
    degraded = [name for name in READY_CHECKS if name not in FATAL and not checks[name]["ok"]]
    status = "fail" if failing else "degraded" if degraded else "ok"
    if failing:
        logger.error("readyz: fail: %s", ", ".join(_failing({n: checks[n] for n in failing + degraded})))
    elif degraded:
        logger.warning("readyz: degraded: %s", ", ".join(_failing({n: checks[n] for n in degraded})))
    body = {"status": status, "failing": failing, "degraded": degraded, "checks": checks}
    return JsonResponse(body, status=503 if failing else 200)


@never_cache
def status(request):
    """Every check, worker heartbeats included, for operators (superusers): 200 when all pass, else 503."""
    if not (request.user.is_authenticated and request.user.is_superuser):
        raise NotFound()
    ready, checks = readiness()
    if not ready:
        logger.warning("operations status: failing: %s", ", ".join(_failing(checks)))
    failing = [name for name, result in checks.items() if not result["ok"]]
    return JsonResponse(
        {"status": "ok" if ready else "fail", "failing": failing, "checks": checks}, status=200 if ready else 503
    )


def operations_overview() -> dict:
    """Queues, workers and failed work by cause, for the operator page. A fixed number of queries."""
    Certificate, CertificateStatus = provided("Certificate", "CertificateStatus")
    from lms.models import AuditVerification

    queues = sorted({settings.CERTIFICATES_QUEUE, "celery"})
    pending = Certificate.objects.filter(status=CertificateStatus.PENDING).aggregate(
        n=Count("pk"), oldest=Min("queued_at")
    )
    failed = (
        Certificate.objects.filter(status=CertificateStatus.FAILED)
        .values("error")
        .annotate(count=Count("pk"))
        .order_by("-count")[:50]
    )
    causes: dict[str, int] = {}
    for row in failed:
        cause = (row["error"] or "").split(":", 1)[0][:120] or "?"
        causes[cause] = causes.get(cause, 0) + row["count"]
    return {
        "queues": queue_lengths(queues),
        "workers": workers_seen(within=300),
        "pending": pending["n"],
        "oldest_pending_seconds": (timezone.now() - pending["oldest"]).total_seconds() if pending["oldest"] else None,
        "failed_by_cause": sorted(causes.items(), key=lambda item: -item[1]),
        "ready": readiness()[1],
        "audit_verification": AuditVerification.objects.first(),
    }


@never_cache
def operations(request):
    if not (request.user.is_authenticated and request.user.is_superuser):
        raise NotFound()
    return render(request, "lms/operations.html", {"overview": operations_overview()})
