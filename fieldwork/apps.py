from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldworkConfig(AppConfig):
    name = "fieldwork"
    verbose_name = _("Field work")

    def ready(self):
        from fieldwork.models import ObjectionOutcome, Submission
        from fieldwork.reminders import digest_hand_ins, remind_assignments_due
        from lms import registry

        registry.provide(ObjectionOutcome=ObjectionOutcome, Submission=Submission)  # see lms/registry.py
        registry.provide(remind_assignments_due=remind_assignments_due)  # notifications' beat task
        registry.provide(digest_hand_ins=digest_hand_ins)  # notifications' beat task
        from fieldwork import cohort_setup

        registry.extend("cohort_copy_plan", cohort_setup.copy_plan)
        registry.extend("cohort_copy", cohort_setup.copy_assignments)
        registry.extend("cohort_setup_prefetches", cohort_setup.setup_prefetches)
