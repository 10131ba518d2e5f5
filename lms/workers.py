"""Which Celery workers are alive and how long the queues are, as seen through the broker (Redis).

Each worker's main process writes a heartbeat key into the broker every few seconds; it expires on
its own when the worker dies or loses the broker. A web process that cannot see a fresh heartbeat
therefore knows that nothing can pick up queued work, whether the worker or the broker is at fault.
"""

import json
import logging
import os
import socket
import threading
import time

from django.conf import settings

logger = logging.getLogger(__name__)

HEARTBEAT_PREFIX = "lms:worker-heartbeat:"
HEARTBEAT_EVERY_SECONDS = 10
HEARTBEAT_TTL_SECONDS = 60


def broker_client():
    """A Redis client on the broker that gives up fast when the broker does not answer."""
    import redis

    return redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=0.5, socket_timeout=1.0)


def heartbeat_write(*, hostname: str, queues: list[str], client=None) -> None:
    """Record that this worker is alive and which queues it serves (expires on its own)."""
    client = client or broker_client()
    value = json.dumps({"hostname": hostname, "queues": queues, "pid": os.getpid(), "seen": time.time()})
    client.set(HEARTBEAT_PREFIX + hostname, value, ex=HEARTBEAT_TTL_SECONDS)


def heartbeat_clear(*, hostname: str) -> None:
    try:
        broker_client().delete(HEARTBEAT_PREFIX + hostname)
    except Exception:  # the broker may be the reason the worker stops
        logger.warning("Could not clear the heartbeat of %s", hostname, exc_info=True)


def workers_seen(*, within: float = 60.0) -> list[dict] | None:
    """Workers with a heartbeat in the last `within` seconds; None when the broker cannot be read."""
    try:
        client = broker_client()
        keys = list(client.scan_iter(match=HEARTBEAT_PREFIX + "*", count=200))
        values = client.mget(keys) if keys else []
    except Exception as error:
        logger.warning("Broker unreachable while looking for workers: %s", error)
        return None
    now = time.time()
    seen = []
    for raw in values:
        if raw:
            beat = json.loads(raw)
            beat["age"] = now - beat["seen"]
            if beat["age"] <= within:
                seen.append(beat)
    return sorted(seen, key=lambda beat: beat["hostname"])


def worker_reachable(*, within: float = 60.0, queue: str | None = None) -> bool:
    """Whether some worker serving `queue` (any queue when None) beat within `within` seconds."""
    seen = workers_seen(within=within) or []
    return any(queue is None or queue in beat["queues"] for beat in seen)


def queue_lengths(queues: list[str]) -> dict[str, int] | None:
    """Messages waiting in each queue (not those a worker holds); None when the broker cannot be read."""
    try:
        client = broker_client()
        return {name: client.llen(name) for name in queues}
    except Exception as error:
        logger.warning("Broker unreachable while measuring queues: %s", error)
        return None


def sweep_stale(pending, *, stamp_field: str, older_than, queue: str, send) -> int:
    """Re-queue rows of `pending` whose `stamp_field` is older than `older_than`; how many were sent.

    The one sweep for work queued after commit (certificates, previews): a message lost between commit
    and broker, or with a dead worker, leaves its row pending, and the state of record is the row.
    While `queue` still holds as many messages as there are pending rows nothing was lost (they are
    only waiting their turn), so nothing is sent twice. Stamps are moved before sending, under
    `skip_locked`, so two sweeps never send the same rows.
    """
    from django.db import transaction
    from django.utils import timezone

    waiting = (queue_lengths([queue]) or {}).get(queue, 0)
    if waiting and waiting >= pending.count():
        return 0
    with transaction.atomic():
        stale = list(
            pending.select_for_update(skip_locked=True)
            .filter(**{f"{stamp_field}__lte": timezone.now() - older_than})
            .order_by("pk")
            .values_list("pk", flat=True)[:1000]
        )
        if not stale:
            return 0
        pending.model.objects.filter(pk__in=stale).update(**{stamp_field: timezone.now()})
    send(stale)
    return len(stale)


def start_heartbeat(*, hostname: str, queues: list[str]) -> threading.Thread:
    """Beat from a daemon thread of the worker's main process until it exits."""

    def beat():
        client = None
        while True:
            try:
                client = client or broker_client()
                heartbeat_write(hostname=hostname, queues=queues, client=client)
            except Exception as error:
                client = None
                logger.warning("Worker heartbeat not written (broker unreachable): %s", error)
            time.sleep(HEARTBEAT_EVERY_SECONDS)

    thread = threading.Thread(target=beat, name="lms-heartbeat", daemon=True)
    thread.start()
    return thread


def default_hostname() -> str:
    return f"celery@{socket.gethostname()}"
