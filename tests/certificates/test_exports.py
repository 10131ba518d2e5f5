import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

pytestmark = pytest.mark.django_db


def test_eligibility_export_lists_reasons(client, certified_world):
    world = certified_world
    client.force_login(world.staff)
    response = client.get(reverse("certificates-eligibility-export", args=[world.cohort.pk, "xlsx"]))
    assert response.status_code == 200
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(response.content)).active.iter_rows()]
    assert rows[0][:6] == ["学员", "用户名", "团队", "社区", "符合条件", "未满足的条件"]
    lagging = next(r for r in rows if r[0] == "陈落后")
    assert lagging[4] == "否" and lagging[5]
    done = next(r for r in rows if r[0] == "刘䶮")
    assert done[4] == "是" and not done[5]


@pytest.mark.parametrize("role", ["trainee", "instructor", "other_staff", "stranger"])
def test_eligibility_export_for_others_is_not_found(client, certified_world, role):
    client.force_login(certified_world.roles()[role])
    url = reverse("certificates-eligibility-export", args=[certified_world.cohort.pk, "csv"])
    assert client.get(url).status_code == 404
