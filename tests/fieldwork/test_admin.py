import pytest
from django.urls import reverse


@pytest.mark.parametrize("model", ["assignment", "submission", "assessment", "gradechange", "objection", "extension"])
def test_admin_lists_load_for_staff_and_are_district_scoped(client, field, model):
    field.released()
    client.force_login(field.world.staff)
    response = client.get(reverse(f"admin:fieldwork_{model}_changelist"))
    assert response.status_code == 200
    client.force_login(field.world.other_staff)
    response = client.get(reverse(f"admin:fieldwork_{model}_changelist"))
    assert response.status_code == 200
    assert "社区资产地图" not in response.content.decode()


def test_grade_history_cannot_be_edited_in_the_admin(client, field):
    submission = field.released()
    client.force_login(field.world.staff)
    change = submission.grade_changes.first()
    assert client.post(reverse("admin:fieldwork_gradechange_change", args=[change.pk]), {}).status_code == 403
    assert client.get(reverse("admin:fieldwork_submission_add")).status_code == 403
