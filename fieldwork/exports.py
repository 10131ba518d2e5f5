"""The gradebook as a table to take to Excel: state and score per assignment, and a total."""

from django.utils.translation import gettext as _

from fieldwork.selectors import Gradebook
from lms.spreadsheets import Table


def gradebook_table(book: Gradebook, *, mobiles: dict[int, str] | None = None) -> Table:
    """One row a trainee; scores are numbers (a member's adjustment in place of its team's score).
    `mobiles`: the numbers the viewer may see (lms.selectors.visible_mobiles); a column only when there are any."""
    headers = [_("Trainee"), _("Username"), *([_("Mobile number")] if mobiles else []), _("Team"), _("Community")]
    for assignment in book.assignments:
        headers += [
            _("%(title)s · state") % {"title": assignment.title},
            _("%(title)s · score") % {"title": assignment.title},
        ]
    headers.append(_("Total score"))
    rows = []
    for row in book.rows:
        enrolment = row.enrolment
        line = [
            enrolment.trainee.full_name,
            enrolment.trainee.username,
            *([mobiles.get(enrolment.trainee_id, "")] if mobiles else []),
            enrolment.team.name if enrolment.team else "",
            enrolment.community.name,
        ]
        total = 0
        for cell in row.cells:
            state = cell.state_label + (_(" (late)") if cell.is_late else "") if cell.state else _("Not handed in")
            line += [state, cell.score]
            total += cell.score or 0
        line.append(total)
        rows.append(line)
    return Table(title=_("Gradebook"), headers=headers, rows=rows)
