import os

from celery import Celery
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    before_task_publish,
    task_prerun,
    worker_init,
    worker_ready,
    worker_shutdown,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")

app = Celery("lms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def refuse_broken_storage(**kwargs):
    """A worker whose bucket is missing or refuses the credentials stops at start, with the reason."""
    from lms.storage import require_storage

    require_storage()


@worker_ready.connect
def start_heartbeat(sender=None, **kwargs):
    """Beat into the broker so web pages and /readyz know a worker is there (lms.workers)."""
    from lms.workers import start_heartbeat

    queues = sorted(app.amqp.queues.consume_from) if app.amqp.queues.consume_from else [app.conf.task_default_queue]
    start_heartbeat(hostname=sender.hostname, queues=queues)


@worker_shutdown.connect
def clear_heartbeat(sender=None, **kwargs):
    from lms.workers import heartbeat_clear

    heartbeat_clear(hostname=getattr(sender, "hostname", "") or "")


@after_setup_logger.connect
@after_setup_task_logger.connect
def log_lines_like_the_web(logger=None, **kwargs):
    """Workers write the web's line format (and LOG_FORMAT=json), with the request id of the task's request."""
    from django.conf import settings

    from lms.logs import ContextFilter, formatter_for

    for handler in logger.handlers:
        handler.addFilter(ContextFilter())
        handler.setFormatter(formatter_for(settings.LOG_FORMAT))


@before_task_publish.connect
def carry_request_ids(headers=None, **kwargs):
    from lms.logs import task_headers

    if headers is not None:
        for name, value in task_headers().items():
            headers.setdefault(name, value)


@task_prerun.connect
def take_request_ids(task=None, **kwargs):
    from lms.logs import TASK_HEADER_REQUEST, TASK_HEADER_USER, context_set

    request = task.request
    user = getattr(request, TASK_HEADER_USER, None)
    context_set(request_id=getattr(request, TASK_HEADER_REQUEST, None), user_id=None if user in (None, "-") else user)
