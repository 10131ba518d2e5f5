from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from lms import registry
        from notifications.hooks import HOOKS

        for name, function in HOOKS.items():
            registry.extend(name, function)
        from notifications.services import notify_member_moved

        registry.extend("enrolment_moved", notify_member_moved)  # courses moves people; it cannot import us
