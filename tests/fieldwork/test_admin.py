import pytest
from django.urls import reverse

from tests.lms.factories import UserFactory


@pytest.fixture
def operator(client, db):
    user = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(user)
    return user


@pytest.mark.parametrize("model", ["assignment", "submission", "assessment", "gradechange", "objection", "extension"])
def test_admin_lists_load_for_operators_only(client, field, model):
    field.released()
    client.force_login(field.world.staff)
    assert client.get(reverse(f"admin:fieldwork_{model}_changelist")).status_code == 302
    client.force_login(UserFactory(is_superuser=True))
    assert client.get(reverse(f"admin:fieldwork_{model}_changelist")).status_code == 200


def test_grade_history_cannot_be_edited_in_the_admin(client, field, operator):
    submission = field.released()
    change = submission.grade_changes.first()
    assert client.post(reverse("admin:fieldwork_gradechange_change", args=[change.pk]), {}).status_code == 403
    assert client.get(reverse("admin:fieldwork_submission_add")).status_code == 403
