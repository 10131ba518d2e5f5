"""Celery tasks of field projects: thin wrappers, taking plain values, safe to run twice."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from lms.celery import app  # noqa: F401 -- binds the shared tasks below to the project's app

logger = logging.getLogger(__name__)


@shared_task(name="projects.build_booklet", acks_late=True, reject_on_worker_lost=True)
def build_booklet(params: dict, language: str) -> str:
    from fieldwork.projects.booklet import booklet_build

    return booklet_build(params=params, language=language)


def queue_booklet(*, params: dict, language: str) -> bool:
    """Ask a worker for this booklet, once a minute at most per booklet; a broker outage is logged, not raised.

    "This booklet" is its storage name, which carries the library's state: a change to the library
    within the minute asks for the new booklet at once."""
    from fieldwork.projects.booklet import booklet_name
    from fieldwork.projects.selectors import clean_library_filters

    name = booklet_name(filters=clean_library_filters(**params), language=language)
    key = f"booklet-queued:{name}"
    try:
        if not cache.add(key, 1, timeout=60):
            return False
    except Exception:  # the cache is Redis too; without it, queue anyway
        logger.warning("Cache unreachable while queueing a booklet; queueing without de-duplication.")
    try:
        build_booklet.apply_async(args=[params, language], queue=settings.BOOKLET_QUEUE)
    except Exception:
        logger.exception("Could not queue the case booklet; it will be queued on the next request.")
        cache.delete(key)
        return False
    return True
