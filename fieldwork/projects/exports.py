"""Participation totals as a table to take to Excel: one row per project, then one per community."""

from django.utils.translation import gettext as _

from fieldwork.projects.models import PARTICIPANT_GROUPS, ProjectStatus
from fieldwork.projects.selectors import CohortTotals
from lms.spreadsheets import Table


def totals_table(data: CohortTotals) -> Table:
    groups = [(name, str(label)) for name, label in PARTICIPANT_GROUPS]
    headers = [_("Level"), _("Team"), _("Project"), _("Community"), _("Status"), _("Activities")]
    headers += [label for _name, label in groups]
    statuses = dict(ProjectStatus.choices)
    rows = []
    for project in data.per_project:
        line = [
            _("Project"),
            project["team__name"],
            project["title"],
            project["community__name"],
            str(statuses.get(project["status"], project["status"])),
            project["activity_count"],
        ]
        rows.append(line + [project.get(name) or 0 for name, _label in groups])
    for community in data.per_community:
        line = [_("Community"), "", "", community["community__name"], "", community["activities"]]
        rows.append(line + [community.get(name) or 0 for name, _label in groups])
    line = [_("Cohort total"), "", "", "", "", data.totals.get("activities") or 0]
    rows.append(line + [data.totals.get(name) or 0 for name, _label in groups])
    return Table(title=_("Participation"), headers=headers, rows=rows)
