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


def _assignment_form(client, assignment):
    from tests.lms.test_admin import _form_data

    return _form_data(client.get(reverse("admin:fieldwork_assignment_change", args=[assignment.pk])))


@pytest.mark.parametrize(
    ("field_name", "value", "message"),
    [
        ("allowed_extensions", "5", "请以列表形式填写文件类型"),
        ("allowed_extensions", '"pdf"', "请以列表形式填写文件类型"),
        ("allowed_extensions", "[]", "此项为必填项"),
        ("allowed_extensions", '["pdf", "exe"]', "未知的文件类型：exe。"),
        ("pass_mark", "-5", "确保该值大于或等于0"),
        ("pass_mark", "9999", "及格分须在0到评分量表的"),
        ("max_files", "0", "确保该值大于或等于1"),
    ],
)
def test_admin_refuses_bad_assignment_settings(client, field, operator, field_name, value, message):
    from django.utils import translation

    from fieldwork.models import Assignment

    with translation.override("zh-hans"):  # the admin speaks the interface language: Chinese
        data = _assignment_form(client, field.assignment)
        data[field_name] = value
        response = client.post(
            reverse("admin:fieldwork_assignment_change", args=[field.assignment.pk]), data
        )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in str(errors[field_name]), errors
    fresh = Assignment.objects.get(pk=field.assignment.pk)
    assert (fresh.allowed_extensions, fresh.pass_mark, fresh.max_files) == (
        field.assignment.allowed_extensions,
        field.assignment.pass_mark,
        field.assignment.max_files,
    )


@pytest.mark.parametrize("values", [{"max_files": 0}, {"pass_mark": -5}, {"max_file_size": 0}])
def test_the_database_refuses_impossible_assignment_limits(field, values):
    from django.db import IntegrityError, transaction

    from tests.fieldwork.factories import AssignmentFactory

    with pytest.raises(IntegrityError), transaction.atomic():
        AssignmentFactory(module=field.world.skills, **values)
