"""Every error keeps the form: adding or editing a person with a typo re-renders the page with what was typed and
the message beside the field, never a bare error page."""

import pytest

from lms.models import AuditEntry, User

pytestmark = pytest.mark.django_db


def state():
    return sorted(User.objects.values_list("pk", "full_name", "mobile", "email")), AuditEntry.objects.count()


def test_adding_a_person_with_a_typo_keeps_the_form(client, world):
    client.force_login(world.staff)
    before = state()
    response = client.post(
        "/people/new/",
        {
            "full_name": "何小英",
            "mobile": "1390000000",  # ten digits
            "email": "he@example.com",
            "community": world.community.pk,
            "cohort": world.cohort.pk,
            "role": "instructor",
        },
    )
    text = response.content.decode()
    assert response.status_code == 400 and 'id="mobile-error"' in text
    assert 'value="何小英"' in text and 'value="1390000000"' in text and 'value="he@example.com"' in text
    assert '<option value="instructor" selected>' in text and 'data-testid="person-new"' in text
    assert state() == before


def test_a_mobile_someone_else_holds_keeps_the_form_and_names_nobody(client, world):
    world.other_trainee.mobile = "13900000001"
    world.other_trainee.save()
    client.force_login(world.staff)
    before = state()
    response = client.post(
        "/people/new/",
        {
            "full_name": "何小英",
            "mobile": "13900000001",
            "community": world.community.pk,
            "cohort": world.cohort.pk,
            "role": "trainee",
        },
    )
    text = response.content.decode()
    assert response.status_code == 409 and 'id="mobile-error"' in text and 'value="何小英"' in text
    assert world.other_trainee.full_name not in text
    assert state() == before


def test_editing_a_person_with_a_typo_keeps_the_form(client, world):
    client.force_login(world.staff)
    before = state()
    response = client.post(
        f"/people/{world.trainee.pk}/edit/", {"full_name": "", "mobile": "13900000001", "email": "x@example.com"}
    )
    text = response.content.decode()
    assert response.status_code == 400 and 'id="full_name-error"' in text and 'value="x@example.com"' in text
    assert state() == before
