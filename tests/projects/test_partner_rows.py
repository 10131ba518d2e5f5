"""Issue 12.6: partners edited as rows (a kind from a Chinese list, a name), errors naming the row."""

from fieldwork.projects.models import FieldProject, Partner


def edit_url(projects):
    return f"/projects/teams/{projects.team.pk}/edit/"


def rows(*pairs):
    body = {}
    for i, (kind, name) in enumerate(pairs):
        body |= {f"partner_{i}_kind": kind, f"partner_{i}_name": name}
    return body


def test_partners_are_saved_from_rows_and_shown_again(client, projects):
    client.force_login(projects.world.trainee)
    page = client.get(edit_url(projects)).content.decode()
    assert "党支部" in page  # the kinds are a Chinese list, not codes to type
    assert "party_branch:" not in page
    body = {"title": "特色农耕馆", "status": "under_way"} | rows(
        ("party_branch", "西坊党支部"), ("", ""), ("volunteer_group", "河岗志愿服务队")
    )
    response = client.post(edit_url(projects), body)
    assert response.status_code == 302
    assert set(projects.project.partners.values_list("kind", "name")) == {
        ("party_branch", "西坊党支部"),
        ("volunteer_group", "河岗志愿服务队"),
    }
    page = client.get(edit_url(projects)).content.decode()
    assert 'value="西坊党支部"' in page and 'value="河岗志愿服务队"' in page


def test_a_bad_row_is_named_and_nothing_changes(client, projects):
    Partner.objects.create(project=projects.project, kind="party_branch", name="竹塘党支部")
    client.force_login(projects.world.trainee)
    body = {"title": "新标题", "status": "under_way"} | rows(
        ("party_branch", "西坊党支部"), ("party_branch", ""), ("branch", "竹园党支部")
    )
    response = client.post(edit_url(projects), body)
    assert response.status_code == 400
    page = response.content.decode()
    assert "第 2 个合作方：请填写名称。" in page
    assert "第 3 个合作方：请从列表中选择类型。" in page
    assert list(projects.project.partners.values_list("name", flat=True)) == ["竹塘党支部"]
    assert FieldProject.objects.get(pk=projects.project.pk).title == "特色农耕馆"
