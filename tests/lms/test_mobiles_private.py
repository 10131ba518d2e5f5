"""People's numbers are not usernames: new accounts get a username that says nothing about the person,
old ones are renamed by a data migration, the mobile stays a login identifier, and a mobile number is
shown only to whom `can_view_mobile` allows (the person, superusers, staff of its districts)."""

import importlib
import re

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from lms import services
from lms.models import User
from lms.predicates import can_view_mobile, mobile_visible_q
from tests.lms.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
NOT_PERSONAL = re.compile(r"u[2-9a-hj-km-np-z]{10}")


def logs_in(login: str, password: str = PASSWORD) -> bool:
    client = Client()
    client.post(reverse("login"), {"username": login, "password": password})
    return "_auth_user_id" in client.session


def test_an_account_made_by_staff_gets_a_username_that_is_not_its_mobile_and_logs_in_with_either(world):
    person, password = services.person_create(
        full_name="李丽", mobile="13800012345", community=world.community, cohort=world.cohort, role="trainee",
        actor=world.staff,
    )  # fmt: skip
    assert NOT_PERSONAL.fullmatch(person.username) and "13800012345" not in person.username
    assert logs_in("13800012345", password)
    assert logs_in(person.username, password)

    services.person_update(
        person=person, full_name="李丽", mobile="13900099999", email="", community=world.community, actor=world.staff
    )
    person.refresh_from_db()
    assert "13800012345" not in person.username  # a number that changed hands leaves nothing behind
    assert not logs_in("13800012345", password) and logs_in("13900099999", password)


def test_two_accounts_never_share_a_generated_username(world):
    names = {services.people.new_username() for _ in range(200)}
    assert len(names) == 200 and all(NOT_PERSONAL.fullmatch(name) for name in names)


def test_the_migration_renames_every_username_that_is_a_mobile_number():
    migration = importlib.import_module("lms.migrations.0007_usernames_not_mobiles")
    same = UserFactory(username="13800000001", mobile="13800000001")
    suffixed = UserFactory(username="13800000002-2", mobile="")  # no mobile: keeps the number as its mobile
    changed = UserFactory(username="13800000003", mobile="13900000003")  # its number changed since
    lost = UserFactory(username="13800000004", mobile="")  # the number now belongs to someone else
    UserFactory(username="other", mobile="13800000004")
    kept = UserFactory(username="hegang01", mobile="13800000005")

    migration.forwards(apps, None)

    for user in (same, suffixed, changed, lost, kept):
        user.refresh_from_db()
    for user in (same, suffixed, changed, lost):
        assert NOT_PERSONAL.fullmatch(user.username), user.username
    assert kept.username == "hegang01"
    assert (same.mobile, suffixed.mobile, changed.mobile, lost.mobile) == (
        "13800000001",
        "13800000002",
        "13900000003",
        "",
    )
    assert not User.objects.filter(username__regex=r"^1[0-9]{10}").exists()
    assert logs_in("13800000001") and logs_in("13800000002") and logs_in("13900000003")
    assert not logs_in("13800000003")  # the old number is no longer a way in


def test_who_may_see_a_mobile_number(world):
    superuser = UserFactory(is_superuser=True)
    people = {**world.roles(), "superuser": superuser}
    seen = {
        viewer: sorted(name for name, person in people.items() if can_view_mobile(people[viewer], person))
        for viewer in people
    }
    assert seen["trainee"] == ["trainee"]
    assert seen["instructor"] == ["instructor"]  # not its trainees', not its fellow staff's
    assert seen["staff"] == ["instructor", "staff", "trainee"]  # its district's people, not Shunde's
    assert seen["other_staff"] == ["other_instructor", "other_staff", "other_trainee"]
    assert seen["stranger"] == ["stranger"]
    assert seen["superuser"] == sorted(people)


def test_can_view_mobile_agrees_with_its_queryset_twin(world):
    superuser = UserFactory(is_superuser=True)
    people = [*world.roles().values(), superuser]
    for viewer in people:
        visible = set(User.objects.filter(mobile_visible_q(viewer)).values_list("pk", flat=True))
        for person in people:
            assert can_view_mobile(viewer, person) == (person.pk in visible), (viewer, person)


@pytest.mark.parametrize("export", ["attendance-export", "fieldwork:gradebook-export"])
def test_exports_carry_mobiles_only_for_whom_may_see_them(world, export):
    User.objects.filter(pk=world.trainee.pk).update(mobile="13812345678")
    url = reverse(export, args=[world.cohort.pk, "csv"])

    staff = Client()
    staff.force_login(world.staff)
    answer = staff.get(url)
    assert answer.status_code == 200
    text = answer.content.decode("utf-8-sig")
    assert "13812345678" in text

    instructor = Client()
    instructor.force_login(world.instructor)
    answer = instructor.get(url)
    assert answer.status_code == 200
    text = answer.content.decode("utf-8-sig")
    assert "13812345678" not in text and world.trainee.full_name in text


def test_a_hidden_mobile_is_masked_where_it_is_shown(world):
    from lms.mobiles import mask_mobile
    from lms.templatetags.roles import mobile_for

    assert mask_mobile("13800138000") == "138****8000"
    assert mask_mobile("") == "" and mask_mobile("12") == "****"
    world.instructor.mobile = "13800138000"
    world.instructor.save(update_fields=["mobile"])
    assert mobile_for(world.instructor, world.staff) == "13800138000"  # staff of its district
    assert mobile_for(world.instructor, world.instructor) == "13800138000"  # itself
    for viewer in (world.trainee, world.other_staff, world.other_instructor):
        assert mobile_for(world.instructor, viewer) == "138****8000"
