"""Health for load balancers and operators: /healthz, /readyz (JSON, no login, no secrets), the operator page.

Answers name the failing part and the kind of error only, never a URL, host or message that could
carry a credential.
"""

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


def readiness() -> tuple[bool, dict]:
    results = {}
    for name, check in CHECKS.items():
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


@never_cache
def readyz(request):
    ready, checks = readiness()
    return JsonResponse({"status": "ok" if ready else "fail", "checks": checks}, status=200 if ready else 503)


def operations_overview() -> dict:
    """Queues, workers and failed work by cause, for the operator page. A fixed number of queries."""
    Certificate, CertificateStatus = provided("Certificate", "CertificateStatus")

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
    }


@never_cache
def operations(request):
    if not (request.user.is_authenticated and request.user.is_superuser):
        raise NotFound()
    return render(request, "lms/operations.html", {"overview": operations_overview()})
