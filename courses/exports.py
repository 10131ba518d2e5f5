"""The cohort's attendance as a table to take to Excel: trainees × sessions, with counts per status and the
share as `courses.selectors.attendance_shares` defines it ("—" marks another team's or community's session)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import AttendanceStatus
from courses.selectors import NOT_EXPECTED, AttendanceMatrix
from lms.spreadsheets import Table


def attendance_table(matrix: AttendanceMatrix, *, title: str, mobiles: dict[int, str] | None = None) -> Table:
    """`mobiles`: the numbers the viewer may see (lms.selectors.visible_mobiles); a column only when there are any."""
    labels = dict(AttendanceStatus.choices)
    counted = list(AttendanceStatus)
    headers = [_("Trainee"), _("Username"), *([_("Mobile number")] if mobiles else []), _("Team"), _("Community")]
    headers += [f"{timezone.localtime(s.starts_at):%Y-%m-%d %H:%M} {s.lesson.title}" for s in matrix.sessions]
    headers += [str(labels[status]) for status in counted]
    headers += [_("Attendance share (%)")]
    rows = []
    for enrolment, statuses in matrix.rows:
        line = [
            enrolment.trainee.full_name,
            enrolment.trainee.username,
            *([mobiles.get(enrolment.trainee_id, "")] if mobiles else []),
            enrolment.team.name if enrolment.team else "",
            enrolment.community.name,
        ]
        line += ["—" if s == NOT_EXPECTED else str(labels[s]) if s else "" for s in statuses]
        line += [statuses.count(status) for status in counted]
        share = matrix.shares[enrolment.pk].percent if enrolment.pk in matrix.shares else None
        line += ["" if share is None else share]
        rows.append(line)
    return Table(title=title, headers=headers, rows=rows)
