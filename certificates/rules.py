import rules

from lms.predicates import (
    can_download_certificate,
    can_edit_certificate_template,
    can_manage_certificate,
    can_manage_cohort,
)

rules.add_perm("certificates.issue_certificates", can_manage_cohort)
rules.add_perm("certificates.manage_certificate", can_manage_certificate)
rules.add_perm("certificates.download_certificate", can_download_certificate)
rules.add_perm("certificates.edit_template", can_edit_certificate_template)

# Admin: read-only for district staff (every change goes through the services); superuser only deletes nothing.
for model in ("certificate", "issuancebatch", "completionrule", "issuerprofile"):
    rules.add_perm(f"certificates.view_{model}", can_manage_certificate)
    rules.add_perm(f"certificates.add_{model}", rules.always_deny)
    rules.add_perm(f"certificates.change_{model}", rules.always_deny)
    rules.add_perm(f"certificates.delete_{model}", rules.always_deny)
