import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")

app = Celery("lms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def refuse_broken_storage(**kwargs):
    """A worker whose bucket is missing or refuses the credentials stops at start, with the reason."""
    from lms.storage import require_storage

    require_storage()
