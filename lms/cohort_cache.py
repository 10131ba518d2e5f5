"""A cache per cohort of what every staff member sees alike (the staff home's and the dashboard's figures),
never stale after a change.

Each cohort has a version in the cache. Any save or delete of a row that belongs to a cohort (a model with a
`cohort_lookup`: attendance, completion, enrolment, submission, grade, certificate, rule, project, ...) bumps
its cohort's version at once and again after its transaction commits, so the next request computes afresh: a
request that read the old rows before the commit stores its result under a version nobody asks for again.
Paths that write without `save()` (bulk_create, update) call `cohort_changed` themselves. The receiver is
connected here, on the floor, by duck typing (`cohort_lookup`), so `lms` imports no app.

Without a cache (Redis stopped) writes go on and pages compute their figures uncached; a Redis that comes back
with its data may serve entries stored before it stopped until they expire (MAX_AGE).

An entry also ends at its `valid_until` (a figure that depends on the clock, such as "sessions held", changes
when the next session starts) and after MAX_AGE seconds at most (names of places shown beside the figures).
"""

import logging
import time
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone, translation

MAX_AGE = 300
EVERY_COHORT = "all"

logger = logging.getLogger(__name__)
_last_warning = 0.0


def _warn(error: Exception) -> None:
    """A cache that stopped answering must not stop a check-in or a page: say so once a minute, go on uncached."""
    global _last_warning
    now = time.monotonic()
    if now - _last_warning > 60:
        _last_warning = now
        logger.warning("Cache unreachable (%s: %s); cohort figures are computed uncached.", type(error).__name__, error)


def _version_key(cohort_id) -> str:
    return f"cohort-version:{cohort_id}"


def _bump(keys: list[str]) -> None:
    try:
        for key in keys:
            try:
                cache.incr(key)
            except ValueError:  # never set (or lost): a fresh value that no earlier entry was stored under
                cache.set(key, time.time_ns(), None)
    except Exception as error:  # redis' ConnectionError, TimeoutError and friends
        _warn(error)


def cohort_changed(*cohort_ids) -> None:
    """Make the cohorts' cached figures stale now and once the current transaction commits."""
    keys = [_version_key(i) for i in {i for i in cohort_ids if i is not None}]
    if keys:
        _bump(keys)
        transaction.on_commit(lambda: _bump(keys))


def _cohort_id_of(instance):
    lookup = getattr(type(instance), "cohort_lookup", None)
    if lookup == "id":
        return instance.pk
    *path, last = lookup.split("__")
    target = instance
    for step in path:
        target = getattr(target, step)
        if target is None:
            return None
    return getattr(target, f"{last}_id")


def _row_changed(sender, instance, **kwargs) -> None:
    if getattr(type(instance), "cohort_lookup", None) is None or kwargs.get("raw"):
        return
    try:
        cohort_id = _cohort_id_of(instance)
    except (ObjectDoesNotExist, AttributeError):  # a parent deleted in the same cascade: assume any cohort
        cohort_id = EVERY_COHORT
    cohort_changed(cohort_id)


def _relation_changed(sender, instance, action, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        _row_changed(sender, instance)


def connect() -> None:
    post_save.connect(_row_changed, dispatch_uid="cohort-cache-save")
    post_delete.connect(_row_changed, dispatch_uid="cohort-cache-delete")
    m2m_changed.connect(_relation_changed, dispatch_uid="cohort-cache-m2m")


def _versions(cohort_ids: list) -> dict:
    keys = [_version_key(EVERY_COHORT)] + [_version_key(i) for i in cohort_ids]
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    for key in missing:
        cache.add(key, time.time_ns(), None)
    if missing:
        found.update(cache.get_many(missing))
    every = found.get(_version_key(EVERY_COHORT))
    return {i: (every, found.get(_version_key(i))) for i in cohort_ids}


def cohort_cached(name: str, cohort_ids: Iterable, compute: Callable[[list], dict], *, variant: str = "") -> dict:
    """cohort id → value for each cohort, from the cache where current, else from `compute(missing ids)`.

    `compute` answers {cohort id: (value, valid_until or None)} for the ids it is given; the language is part
    of the key, since values hold translated labels."""
    cohort_ids = list(cohort_ids)
    if not cohort_ids:
        return {}
    try:
        versions = _versions(cohort_ids)
        language = translation.get_language() or ""
        keys = {
            i: f"cohort-cache:{name}:{variant}:{language}:{i}:{versions[i][0]}:{versions[i][1]}" for i in cohort_ids
        }
        found = cache.get_many(list(keys.values()))
    except Exception as error:  # no cache: compute, store nothing
        _warn(error)
        return {cohort_id: value for cohort_id, (value, _until) in compute(cohort_ids).items()}
    now = timezone.now()
    values, missing = {}, []
    for cohort_id, key in keys.items():
        entry = found.get(key)
        if entry is not None and (entry[1] is None or now < entry[1]):
            values[cohort_id] = entry[0]
        else:
            missing.append(cohort_id)
    if missing:
        computed = compute(missing)
        to_store = {}
        for cohort_id in missing:
            value, valid_until = computed[cohort_id]
            values[cohort_id] = value
            to_store[keys[cohort_id]] = (value, valid_until)
        try:
            cache.set_many(to_store, MAX_AGE)
        except Exception as error:
            _warn(error)
    return values
