from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldworkConfig(AppConfig):
    name = "fieldwork"
    verbose_name = _("Field work")

    def ready(self):
        from fieldwork.models import ObjectionOutcome, Submission
        from lms import registry

        registry.provide(ObjectionOutcome=ObjectionOutcome, Submission=Submission)  # see lms/registry.py
