from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LmsConfig(AppConfig):
    name = "lms"
    verbose_name = _("People and places")

    def ready(self):
        from django.contrib.auth.signals import user_login_failed

        from lms import audit_events, cohort_cache, sessions_policy, storage  # noqa: F401 -- sign-in receivers; the storage check
        from lms.authentication import login_failure_counted

        cohort_cache.connect()
        user_login_failed.connect(login_failure_counted, dispatch_uid="lms-login-failure-per-address")
