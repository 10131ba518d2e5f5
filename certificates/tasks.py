"""Celery tasks: thin wrappers around services, taking ids, safe to run twice."""

import contextlib
import logging
import signal
import threading

from celery import Task, shared_task
from celery.exceptions import Reject, SoftTimeLimitExceeded, TimeLimitExceeded
from celery.signals import worker_init, worker_process_init
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError

from certificates import services
from certificates.rendering import RenderError
from certificates.signing import KeyNotReadableHere, SigningKeyUnavailable
from lms.celery import app  # binds the shared tasks below to the project's app

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
    except KeyNotReadableHere as error:
        # This host's fault (its LMS_KEY_ENCRYPTION_KEY), not the district's: stop taking renders here and put
        # the message back for a host that can sign, rather than drain the queue with quick failures.
        logger.error(
            "Certificate %s: this worker cannot read the signing key (%s). It stops taking certificates and "
            "leaves them on the queue for other workers.",
            certificate_id,
            error,
        )
        leave_the_queue(self.request.hostname)
        raise Reject(str(error), requeue=True) from None
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


@shared_task(name="certificates.make_image", ignore_result=True)
def make_image(certificate_id: int) -> None:
    """The issued certificate's picture for the trainee's page (safe to run twice: a fixed name)."""
    from certificates.models import Certificate, CertificateStatus

    certificate = Certificate.objects.filter(pk=certificate_id, status=CertificateStatus.ISSUED).first()
    if certificate is not None and certificate.pdf:
        try:
            services.certificate_image(certificate=certificate)
        except (RenderError, OSError):
            logger.warning("Certificate %s: its picture could not be made; the page will try again", certificate_id)


@shared_task(acks_late=True, name="certificates.queue_renders")  # sending twice is harmless: renders are idempotent
def queue_renders(certificate_ids: list[int]) -> int:
    """Send one render task per certificate: a cohort's worth, sent here rather than in the staff's request."""
    return services.queue_render(certificate_ids)


@shared_task(name="certificates.sweep_pending")
def sweep_pending() -> int:
    """Re-queue certificates left pending too long (run by Celery beat)."""
    return services.certificates_sweep()


def leave_the_queue(hostname: str | None) -> None:
    """Stop this worker consuming the render queue (the other queues it serves go on)."""
    try:
        app.control.cancel_consumer(settings.CERTIFICATES_QUEUE, destination=[hostname] if hostname else None)
    except Exception:  # the broker is what tells the worker; if it is down, the reject below still requeues
        logger.exception("Could not stop consuming %s", settings.CERTIFICATES_QUEUE)


@worker_init.connect
def check_rendering_environment(**kwargs):
    from certificates.rendering import check_environment

    for problem in check_environment():
        logger.error("Certificates: %s", problem)


@worker_init.connect
def refuse_without_readable_keys(**kwargs) -> None:
    """A worker that cannot open every usable signing key does not start: it would take renders only to fail
    them quickly, draining the queue that a host with the right LMS_KEY_ENCRYPTION_KEY could serve.

    Strategy: refuse at start (this), and a key made after the start that this host cannot open makes the
    worker stop consuming the render queue and requeue the message (render_certificate). A district with no
    key at all is refused at issue time, so nothing of it is queued.
    """
    from django.db import DatabaseError as DjangoDatabaseError

    from certificates import signing

    try:
        problems = signing.readable_here()
    except DjangoDatabaseError:
        logger.warning("Certificates: the database is unreachable; the signing keys are checked per render")
        return
    if problems:
        for problem in problems:
            logger.critical("Certificates: %s", problem)
        raise SystemExit(
            "This worker cannot read the signing keys (see above); it does not start, so the certificates "
            "wait on the queue for a worker that can. Set LMS_KEY_ENCRYPTION_KEY as on the other hosts."
        )


@worker_process_init.connect
def warm_up_renderer(**kwargs):
    from certificates import rendering, signing

    try:
        rendering.warm_up(certificates=True)
        signing.warm_up()
    except Exception:
        logger.exception("Certificates: warming up WeasyPrint and the signing keys failed")
