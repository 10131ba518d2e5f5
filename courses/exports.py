"""The cohort's attendance as a table to take to Excel: trainees × sessions, with counts per status."""

from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import AttendanceStatus
from courses.selectors import AttendanceMatrix
from lms.spreadsheets import Table


def attendance_table(matrix: AttendanceMatrix, *, title: str, mobiles: dict[int, str] | None = None) -> Table:
    """`mobiles`: the numbers the viewer may see (lms.selectors.visible_mobiles); a column only when there are any."""
    labels = dict(AttendanceStatus.choices)
    counted = list(AttendanceStatus)
    headers = [_("Trainee"), _("Username"), *([_("Mobile number")] if mobiles else []), _("Team"), _("Community")]
    headers += [
        f"{timezone.localtime(s.starts_at):%Y-%m-%d %H:%M} {s.lesson.title}" for s in matrix.sessions
    ]
    headers += [str(labels[status]) for status in counted]
    rows = []
    for enrolment, statuses in matrix.rows:
        line = [
            enrolment.trainee.full_name,
            enrolment.trainee.username,
            *([mobiles.get(enrolment.trainee_id, "")] if mobiles else []),
            enrolment.team.name if enrolment.team else "",
            enrolment.community.name,
        ]
        line += [str(labels[s]) if s else "" for s in statuses]
        line += [statuses.count(status) for status in counted]
        rows.append(line)
    return Table(title=title, headers=headers, rows=rows)
