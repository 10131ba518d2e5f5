"""Eligibility as a table to take to Excel: each trainee, whether a certificate can be issued, and why not."""

from django.utils.translation import gettext as _

from certificates.eligibility import TraineeEligibility
from lms.spreadsheets import Table


def eligibility_table(rows: list[TraineeEligibility]) -> Table:
    headers = [
        _("Trainee"),
        _("Username"),
        _("Team"),
        _("Community"),
        _("Eligible"),
        _("Reasons not met"),
        _("Details"),
        _("Certificate"),
    ]
    lines = []
    for row in rows:
        enrolment = row.enrolment
        certificate = row.certificate
        lines.append(
            [
                enrolment.trainee.full_name,
                enrolment.trainee.username,
                enrolment.team.name if enrolment.team else "",
                enrolment.community.name,
                _("Yes") if row.eligible else _("No"),
                "；".join(row.reasons),
                "；".join(r.reason for r in row.results),
                f"{certificate.serial} · {certificate.get_status_display()}" if certificate else "",
            ]
        )
    return Table(title=_("Eligibility"), headers=headers, rows=lines)
