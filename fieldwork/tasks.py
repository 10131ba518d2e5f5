"""Celery tasks of fieldwork: thin wrappers around one service each, safe to run twice."""

from celery import shared_task

from lms.celery import app  # noqa: F401 -- binds the shared tasks below to the project's app


@shared_task(name="fieldwork.finalise_grades")
def finalise_grades() -> int:
    """Beat: released grades whose objection window has ended become final."""
    from fieldwork.services import grades_finalise_due

    return grades_finalise_due()
