from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = _("Certificates")

    def ready(self):
        from certificates.models import Certificate, CertificateStatus, RevocationReason
        from lms import registry

        registry.provide(  # the operations page, the audit trail's labels, certificate predicates (lms/registry.py)
            Certificate=Certificate, CertificateStatus=CertificateStatus, RevocationReason=RevocationReason
        )
        from certificates import cohort_setup

        registry.extend("lesson_holds", cohort_setup.lesson_holds)
        registry.extend("cohort_copy_plan", cohort_setup.copy_plan)
        registry.extend("cohort_copy", cohort_setup.copy_completion_rule)
        registry.extend("cohort_setup_context", cohort_setup.setup_context)
