from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LmsConfig(AppConfig):
    name = "lms"
    verbose_name = _("People and places")

    def ready(self):
        from lms import cohort_cache, storage  # noqa: F401 -- registers the storage system check

        cohort_cache.connect()
