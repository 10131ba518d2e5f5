import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.projects.factories import ActivityFactory, FieldProjectFactory

pytestmark = pytest.mark.django_db


def test_totals_export_has_numbers_per_project_community_and_cohort(client, world):
    from tests.courses.factories import TeamFactory

    team = TeamFactory(cohort=world.cohort, community=world.community, name="河岗一队")
    project = FieldProjectFactory(team=team, community=world.community, title="特色农耕馆")
    ActivityFactory(project=project, residents=87, parent_child_pairs=5)
    ActivityFactory(project=project, residents=13, parent_child_pairs=0)
    client.force_login(world.staff)
    response = client.get(reverse("projects:cohort-totals-export", args=[world.cohort.pk, "xlsx"]))
    assert response.status_code == 200
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(response.content)).active.iter_rows()]
    assert rows[0][:6] == ["层级", "团队", "项目", "社区", "状态", "活动"]
    project_row = next(r for r in rows if r[2] == "特色农耕馆")
    assert project_row[5] == 2 and project_row[6] == 100 and project_row[7] == 5
    total_row = rows[-1]
    assert total_row[5] == 2 and total_row[6] == 100


@pytest.mark.parametrize("role", ["trainee", "other_instructor", "other_staff", "stranger"])
def test_totals_export_of_a_cohort_not_visible_is_not_found(client, world, role):
    client.force_login(world.roles()[role])
    assert client.get(reverse("projects:cohort-totals-export", args=[world.cohort.pk, "csv"])).status_code == 404
