from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LmsConfig(AppConfig):
    name = "lms"
    verbose_name = _("People and places")

    def ready(self):
        from lms import audit_events, cohort_cache, sessions_policy, storage  # noqa: F401 -- sign-in receivers; the storage check

        cohort_cache.connect()
