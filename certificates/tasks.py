"""Celery tasks: thin wrappers around services, taking ids, safe to run twice."""

import contextlib
import logging
import signal
import threading

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from celery.signals import worker_init, worker_process_init
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError

from certificates import services
from certificates.rendering import RenderError
from certificates.signing import SigningKeyUnavailable
from lms.celery import app  # noqa: F401 -- binds the shared tasks below to the project's app

logger = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError, DatabaseError, OSError)
MAX_RETRIES = 4


class RenderTimedOut(BaseException):
    """Raised by the alarm in the middle of a render. A BaseException: WeasyPrint's own
    `except Exception` blocks (which swallow Celery's SoftTimeLimitExceeded) cannot catch it."""


@contextlib.contextmanager
def soft_limit(seconds: float):
    """Interrupt the block after `seconds` with RenderTimedOut (main thread only, as in a prefork pool process)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise RenderTimedOut()

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _too_slow() -> str:
    return f"Rendering took longer than {settings.CERTIFICATES_RENDER_SOFT_SECONDS:g} s; check the template."


class RenderTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        """Celery's hard limit stopped a render stuck where our alarm could not reach (in C code).

        Called in the worker's main process before the stuck pool process is killed, which still holds the
        certificate's row lock: so a task records the failure (once the lock is gone) rather than this hook.
        Without it the row would stay pending and the sweep re-send it for ever."""
        if isinstance(exc, TimeLimitExceeded):
            certificate_id = kwargs.get("certificate_id", args[0] if args else None)
            logger.error("Certificate %s: the render was stopped at the hard time limit.", certificate_id)
            render_timed_out.apply_async(args=[certificate_id], queue=settings.CERTIFICATES_QUEUE)


@shared_task(name="certificates.render_timed_out")
def render_timed_out(certificate_id: int) -> None:
    services.certificate_mark_failed(certificate_id=certificate_id, error=_too_slow(), attempts=1)


@shared_task(
    base=RenderTask,
    bind=True,
    acks_late=True,  # the render is idempotent, so a redelivery after a crash is harmless
    reject_on_worker_lost=True,  # a SIGKILLed worker's task goes back to the queue
    max_retries=MAX_RETRIES,
    # The soft limit is our own alarm (see soft_limit); Celery's hard limit is a last resort for a process stuck in C.
    time_limit=settings.CERTIFICATES_RENDER_HARD_SECONDS,
    name="certificates.render_certificate",
)
def render_certificate(self, certificate_id: int) -> None:
    """Render one certificate; retry transient failures with backoff, then mark it failed."""
    try:
        with soft_limit(settings.CERTIFICATES_RENDER_SOFT_SECONDS):
            services.certificate_render(certificate_id=certificate_id)
    except RenderError as error:
        services.certificate_mark_failed(certificate_id=certificate_id, error=str(error), attempts=1)
    except (RenderTimedOut, SoftTimeLimitExceeded):
        services.certificate_mark_failed(certificate_id=certificate_id, error=_too_slow(), attempts=1)
    except SigningKeyUnavailable as error:
        # Never issued unsigned: the certificate stays pending and the sweep re-queues it once the key is there.
        # The message says what is missing and who makes it (a district's key: the operator's keygen; this
        # host's LMS_KEY_ENCRYPTION_KEY: the operator's environment).
        logger.error("Certificate %s left pending: %s", certificate_id, error)
        raise
    except TRANSIENT as error:
        if self.request.retries >= self.max_retries:
            services.certificate_mark_failed(
                certificate_id=certificate_id,
                error=f"{type(error).__name__}: {error}",
                attempts=self.request.retries + 1,
            )
            return
        # 5 s, 20 s, 80 s, 320 s by default: far below the broker's 3 h visibility timeout.
        countdown = settings.CERTIFICATES_RETRY_BASE_SECONDS * 4**self.request.retries
        raise self.retry(exc=error, countdown=countdown) from error


@shared_task(acks_late=True, name="certificates.queue_renders")  # sending twice is harmless: renders are idempotent
def queue_renders(certificate_ids: list[int]) -> int:
    """Send one render task per certificate: a cohort's worth, sent here rather than in the staff's request."""
    return services.queue_render(certificate_ids)


@shared_task(name="certificates.sweep_pending")
def sweep_pending() -> int:
    """Re-queue certificates left pending too long (run by Celery beat)."""
    return services.certificates_sweep()


@worker_init.connect
def check_rendering_environment(**kwargs):
    from certificates.rendering import check_environment

    for problem in check_environment():
        logger.error("Certificates: %s", problem)


@worker_process_init.connect
def warm_up_renderer(**kwargs):
    from certificates import rendering, signing

    try:
        rendering.warm_up(certificates=True)
        signing.warm_up()
    except Exception:
        logger.exception("Certificates: warming up WeasyPrint and the signing keys failed")
