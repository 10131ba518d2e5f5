"""Counters in a time window (rate limits, lock-outs), shared through the cache, kept per process when it is down.

Redis going away must not take check-in or public verification with it: each counter then lives in
this process's memory for its window, with a logged warning. A key that passes its limit is still
refused (by this process), so a lock-out stays closed for the attacker's key and open for everyone else.
"""

import logging
import threading
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_local: dict[str, tuple[int, float]] = {}  # key -> (count, window end on the monotonic clock)
_LOCAL_MAX_KEYS = 50_000
_last_warning = 0.0


def _warn(error: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning > 60:  # one line a minute, not one per request
        _last_warning = now
        logger.warning("Cache unreachable (%s: %s); counters are kept per process.", type(error).__name__, error)


def _local_hit(key: str, window: int) -> int:
    now = time.monotonic()
    with _lock:
        count, expires = _local.get(key, (0, 0.0))
        if expires <= now:
            count, expires = 0, now + window
            if len(_local) >= _LOCAL_MAX_KEYS:
                for stale in [k for k, (_c, e) in _local.items() if e <= now] or list(_local)[: _LOCAL_MAX_KEYS // 10]:
                    del _local[stale]
        _local[key] = (count + 1, expires)
        return count + 1


def _local_peek(key: str) -> int:
    with _lock:
        count, expires = _local.get(key, (0, 0.0))
    return count if expires > time.monotonic() else 0


def counter_hit(key: str, window: int) -> int:
    """Count one event for the key in a window of `window` seconds; the count so far, this one included."""
    try:
        cache.add(key, 0, timeout=window)
        try:
            shared = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            shared = 1
    except Exception as error:  # redis' ConnectionError, TimeoutError and friends
        _warn(error)
        return _local_hit(key, window)
    # Counts made while the cache was down still count once it is back, until their window ends.
    return shared + _local_peek(key)


def counter_value(key: str) -> int:
    """The key's count in its current window (0 when none)."""
    try:
        shared = cache.get(key) or 0
    except Exception as error:
        _warn(error)
        shared = 0
    return shared + _local_peek(key)


def local_counters_clear() -> None:
    """Forget the per-process counters (tests)."""
    with _lock:
        _local.clear()
