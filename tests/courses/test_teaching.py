"""Instructors assigned to a cohort from the cohort's page: who may be assigned, by whom."""

import pytest

from courses.models import Teaching
from courses.services.teaching import teaching_add, teaching_remove
from lms.errors import Conflict, NotFound
from lms.models import AuditEntry
from tests.courses.factories import EnrolmentFactory, TeachingFactory
from tests.lms.factories import UserFactory

pytestmark = pytest.mark.django_db


def teachings():
    return sorted(Teaching.objects.values_list("cohort_id", "instructor_id"))


def test_staff_assign_a_district_instructor_and_a_roleless_account(world):
    colleague = TeachingFactory(cohort__district=world.district).instructor
    newcomer = UserFactory()
    # A trainee of another cohort of the district (one of this cohort's trainees cannot also teach it).
    last_years_trainee = EnrolmentFactory(cohort__district=world.district).trainee
    for person in (colleague, newcomer, last_years_trainee):
        teaching = teaching_add(cohort=world.cohort, instructor=person, actor=world.staff)
        assert AuditEntry.objects.filter(verb="teaching.added", target_id=str(teaching.pk)).exists()
    with pytest.raises(Conflict) as raised:
        teaching_add(cohort=world.cohort, instructor=newcomer, actor=world.staff)
    assert raised.value.code == "already_teaching"


@pytest.mark.parametrize("target", ["other_instructor", "other_staff", "staff", "superuser", "inactive"])
def test_staff_cannot_assign_people_outside_their_reach(world, target):
    if target == "superuser":
        person = UserFactory(is_superuser=True)
    elif target == "inactive":
        person = UserFactory(is_active=False)
    else:
        person = getattr(world, target)
    before = teachings()
    with pytest.raises(NotFound) as caught:
        teaching_add(cohort=world.cohort, instructor=person, actor=world.staff)
    assert caught.value.code == "not_assignable"
    assert teachings() == before


@pytest.mark.parametrize("actor", ["other_staff", "instructor", "trainee"])
def test_only_the_cohorts_staff_assign_and_remove(world, actor):
    before = teachings()
    teaching = Teaching.objects.get(cohort=world.cohort, instructor=world.instructor)
    with pytest.raises(NotFound) as raised:
        teaching_add(cohort=world.cohort, instructor=UserFactory(), actor=getattr(world, actor))
    assert raised.value.code == "not_found"
    with pytest.raises(NotFound) as raised:
        teaching_remove(teaching=teaching, actor=getattr(world, actor))
    assert raised.value.code == "not_found"
    assert teachings() == before


def test_remove_takes_the_instructor_off_and_audits(world):
    teaching = Teaching.objects.get(cohort=world.cohort, instructor=world.instructor)
    teaching_remove(teaching=teaching, actor=world.staff)
    assert not Teaching.objects.filter(pk=teaching.pk).exists()
    assert AuditEntry.objects.get(verb="teaching.removed").data["instructor"] == world.instructor.pk


def test_cohort_page_lists_instructors_and_candidates(client, world):
    colleague = TeachingFactory(cohort__district=world.district).instructor
    TeachingFactory(cohort=world.other_cohort)
    client.force_login(world.staff)
    text = client.get(f"/cohorts/{world.cohort.pk}/").content.decode()
    assert world.instructor.full_name in text
    assert f'<option value="{colleague.pk}">' in text
    assert f'<option value="{world.other_instructor.pk}">' not in text


def test_page_adds_by_choice_or_by_mobile_and_removes(client, world):
    colleague = TeachingFactory(cohort__district=world.district).instructor
    newcomer = UserFactory(mobile="13912345678")
    client.force_login(world.staff)
    url = f"/cohorts/{world.cohort.pk}/instructors/"
    assert client.post(url, {"instructor": colleague.pk}).status_code == 302
    assert client.post(url, {"handle": "139 1234 5678"}).status_code == 302
    assert Teaching.objects.filter(cohort=world.cohort, instructor__in=[colleague, newcomer]).count() == 2
    teaching = Teaching.objects.get(cohort=world.cohort, instructor=newcomer)
    assert client.post(f"/cohorts/{world.cohort.pk}/instructors/{teaching.pk}/remove/").status_code == 302
    assert not Teaching.objects.filter(pk=teaching.pk).exists()


def test_page_refuses_unknown_or_foreign_people_with_400(client, world):
    client.force_login(world.staff)
    before = teachings()
    url = f"/cohorts/{world.cohort.pk}/instructors/"
    for data in ({"handle": world.other_staff.username}, {"instructor": world.other_instructor.pk}, {"handle": ""}):
        response = client.post(url, data)
        assert response.status_code == 400
        assert "No account you may assign matches" in response.content.decode() or "没有" in response.content.decode()
    other = Teaching.objects.get(instructor=world.other_instructor)
    assert client.post(f"/cohorts/{world.cohort.pk}/instructors/{other.pk}/remove/").status_code == 404
    assert client.post(f"/cohorts/{world.other_cohort.pk}/instructors/{other.pk}/remove/").status_code == 404
    assert teachings() == before
