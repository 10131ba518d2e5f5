"""People governed by staff: create, edit, deactivate, temporary passwords, own password changes."""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from courses.models import Enrolment, Teaching
from lms import services
from lms.errors import Conflict, NotFound, ValidationFailed
from lms.models import AuditEntry, User
from tests.lms.factories import PASSWORD, CommunityFactory, UserFactory

pytestmark = pytest.mark.django_db


def users_state():
    return sorted(User.objects.values_list("pk", "full_name", "mobile", "email", "is_active", "password"))


def test_person_create_enrols_a_trainee_with_a_temporary_password(world):
    person, password = services.person_create(
        full_name=" 李丽 ",
        mobile="１３８ ０００１ ２３４５",
        email="li@example.com",
        community=world.community,
        cohort=world.cohort,
        role="trainee",
        actor=world.staff,
    )
    assert (person.full_name, person.mobile) == ("李丽", "13800012345")
    assert person.must_change_password and person.check_password(password) and len(password) == 12
    assert Enrolment.objects.filter(trainee=person, cohort=world.cohort, community=world.community).exists()
    assert AuditEntry.objects.filter(verb="user.created", target_id=str(person.pk), actor=world.staff).exists()
    assert services.person_update  # governed from now on
    from lms.predicates import can_govern_user

    assert can_govern_user(world.staff, person)


def test_person_create_as_instructor(world):
    person, _ = services.person_create(
        full_name="陈导师",
        mobile="13900000001",
        community=None,
        cohort=world.cohort,
        role="instructor",
        actor=world.staff,
    )
    assert Teaching.objects.filter(instructor=person, cohort=world.cohort).exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"full_name": ""}, "The name must have 1 to 50 characters."),
        ({"full_name": "名" * 51}, "The name must have 1 to 50 characters."),
        ({"mobile": "2380001234"}, "The mobile number must have 11 digits and start with 1."),
        ({"mobile": "23800012345"}, "The mobile number must have 11 digits and start with 1."),
        ({"email": "not-an-email"}, "Enter a valid e-mail address."),
        ({"community": None}, "A trainee needs a community."),
    ],
)
def test_person_create_refuses_bad_fields(world, english, fields, message):
    values = {"full_name": "李丽", "mobile": "13800012345", "email": "", "community": world.community}
    values.update(fields)
    before = users_state()
    with pytest.raises(ValidationFailed) as caught:
        services.person_create(**values, cohort=world.cohort, role="trainee", actor=world.staff)
    assert caught.value.code == "invalid"
    assert str(caught.value.message) == message
    assert users_state() == before


def test_person_create_refuses_a_taken_mobile_and_a_foreign_community_and_cohort(world, english):
    UserFactory(mobile="13800012345")
    before = users_state()
    with pytest.raises(Conflict) as raised:
        services.person_create(
            full_name="李丽",
            mobile="13800012345",
            community=world.community,
            cohort=world.cohort,
            role="trainee",
            actor=world.staff,
        )
    assert raised.value.code == "mobile_taken"
    with pytest.raises(ValidationFailed) as raised:
        services.person_create(
            full_name="李丽",
            mobile="13800012346",
            community=CommunityFactory(),
            cohort=world.cohort,
            role="trainee",
            actor=world.staff,
        )
    assert raised.value.code == "invalid"
    with pytest.raises(NotFound) as raised:
        services.person_create(
            full_name="李丽",
            mobile="13800012347",
            community=world.community,
            cohort=world.other_cohort,
            role="trainee",
            actor=world.staff,
        )
    assert raised.value.code == "not_found"
    assert users_state() == before


def test_person_update_changes_fields_and_audits(world):
    community = CommunityFactory(town__district=world.district, name="简村社区")
    services.person_update(
        person=world.trainee,
        full_name="梁慧敏",
        mobile="13700000000",
        email="l@example.com",
        community=community,
        actor=world.staff,
    )
    world.trainee.refresh_from_db()
    assert (world.trainee.full_name, world.trainee.mobile, world.trainee.community) == (
        "梁慧敏",
        "13700000000",
        community,
    )
    entry = AuditEntry.objects.get(verb="user.updated")
    assert entry.data["fields"] == ["community_id", "email", "full_name", "mobile"]


@pytest.mark.parametrize("target", ["other_trainee", "other_staff", "staff", "stranger", "superuser"])
def test_staff_cannot_act_on_people_they_do_not_govern(world, target):
    person = UserFactory(is_superuser=True) if target == "superuser" else getattr(world, target)
    before = users_state()
    for call in (
        lambda: services.person_update(
            person=person, full_name="x", mobile="13700000000", email="", community=None, actor=world.staff
        ),
        lambda: services.person_deactivate(person=person, actor=world.staff),
        lambda: services.password_reset_by_staff(person=person, actor=world.staff),
    ):
        with pytest.raises(NotFound) as raised:
            call()
        assert raised.value.code == "not_found"
    assert users_state() == before
    assert not AuditEntry.objects.exists()


def test_instructor_and_trainee_govern_nobody(world):
    for actor in (world.instructor, world.trainee):
        with pytest.raises(NotFound) as raised:
            services.password_reset_by_staff(
                person=world.trainee if actor != world.trainee else world.instructor, actor=actor
            )
        assert raised.value.code == "not_found"


def test_deactivate_ends_login_sessions_and_token(world):
    session = Client()
    session.force_login(world.trainee)
    Token.objects.create(user=world.trainee)
    services.person_deactivate(person=world.trainee, actor=world.staff)
    world.trainee.refresh_from_db()
    assert not world.trainee.is_active
    assert not Token.objects.filter(user=world.trainee).exists()
    assert session.get("/").url == "/accounts/login/?next=/"  # logged out
    assert not Client().login(username=world.trainee.username, password=PASSWORD)
    with pytest.raises(Conflict) as raised:
        services.person_deactivate(person=world.trainee, actor=world.staff)
    assert raised.value.code == "inactive"


def test_staff_reset_gives_a_temporary_password_ends_sessions_and_replaces_token(world):
    session = Client()
    session.force_login(world.trainee)
    old_token = Token.objects.create(user=world.trainee).key
    password = services.password_reset_by_staff(person=world.trainee, actor=world.staff)
    world.trainee.refresh_from_db()
    assert world.trainee.check_password(password) and not world.trainee.check_password(PASSWORD)
    assert world.trainee.must_change_password
    assert Token.objects.get(user=world.trainee).key != old_token
    assert session.get("/").url == "/accounts/login/?next=/"  # logged out
    entry = AuditEntry.objects.get(verb="user.password_reset")
    assert entry.actor == world.staff and password not in str(entry.data)


def test_own_password_change_replaces_token_and_clears_the_flag(world):
    world.trainee.must_change_password = True
    world.trainee.save()
    old_token = Token.objects.create(user=world.trainee).key
    services.password_change(user=world.trainee, new_password="new-pass-456!", actor=world.trainee)
    world.trainee.refresh_from_db()
    assert world.trainee.check_password("new-pass-456!") and not world.trainee.must_change_password
    assert Token.objects.get(user=world.trainee).key != old_token
    assert AuditEntry.objects.filter(verb="user.password_changed", actor=world.trainee).exists()
