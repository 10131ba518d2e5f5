import os

from celery import Celery
from celery.signals import worker_init, worker_ready, worker_shutdown

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
