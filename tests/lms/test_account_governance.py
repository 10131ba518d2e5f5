"""Staff act only on accounts they govern: the cross-district takeover path stays closed."""

import pytest

from courses import services
from courses.models import Enrolment, Teaching
from lms.errors import NotFound
from lms.models import User
from lms.predicates import can_govern_user, governed_users_q
from tests.courses.factories import EnrolmentFactory
from tests.lms.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["trainee", "other_trainee", "instructor", "other_instructor", "staff", "other_staff", "stranger"]


def test_takeover_path_stays_refused(client, world):
    """Staff of district A enrol B's staff in an A cohort, then reset its password: both steps refused."""
    client.force_login(world.staff)
    victim = world.other_staff

    page = client.post(
        f"/cohorts/{world.cohort.pk}/enrol/",
        {"trainee": victim.username, "community": world.community.pk, "team": ""},
    )
    api = client.post(
        "/api/v1/enrolments/",
        {"cohort": world.cohort.pk, "trainee": victim.pk, "community": world.community.pk},
        content_type="application/json",
    )
    assert page.status_code == 400
    assert api.status_code == 400
    assert not Enrolment.objects.filter(trainee=victim).exists()

    reset = client.post(
        f"/admin/lms/user/{victim.pk}/password/",
        {"password1": "taken-over-123!", "password2": "taken-over-123!"},
    )
    assert reset.status_code in (302, 403, 404)
    victim.refresh_from_db()
    assert victim.check_password(PASSWORD)
    assert not client.login(username=victim.username, password="taken-over-123!")


def test_service_refuses_staff_and_superusers_as_trainees(world, english):
    superuser = UserFactory(is_superuser=True)
    for person in (world.other_staff, superuser, world.staff):
        with pytest.raises(NotFound) as caught:
            services.enrolment_create(
                cohort=world.cohort, trainee=person, community=world.community, actor=world.staff
            )
        assert caught.value.code == "not_enrollable"
    assert not Enrolment.objects.filter(trainee__in=[world.other_staff, superuser, world.staff]).exists()


def test_a_superuser_may_enrol_a_staff_member(world):
    superuser = UserFactory(is_superuser=True)
    enrolment = services.enrolment_create(
        cohort=world.cohort, trainee=world.other_staff, community=world.community, actor=superuser
    )
    assert enrolment.trainee == world.other_staff


def test_staff_member_enrolled_elsewhere_is_still_not_governed(world):
    """Even once a superuser enrolled B's staff in an A cohort, A's staff cannot take the account."""
    EnrolmentFactory(cohort=world.cohort, trainee=world.other_staff, community=world.community)
    assert not can_govern_user(world.staff, world.other_staff)
    assert not User.objects.filter(governed_users_q(world.staff), pk=world.other_staff.pk).exists()


def test_person_with_a_role_in_another_district_is_not_governed(world):
    EnrolmentFactory(cohort=world.other_cohort, trainee=world.trainee)
    assert not can_govern_user(world.staff, world.trainee)


def test_expected_governance(world):
    assert can_govern_user(world.staff, world.trainee)
    assert can_govern_user(world.staff, world.instructor)
    assert not can_govern_user(world.staff, world.other_trainee)
    assert not can_govern_user(world.staff, world.other_staff)
    assert not can_govern_user(world.staff, world.stranger)  # no role anywhere: only a superuser governs it
    assert not can_govern_user(world.staff, world.staff)
    assert not can_govern_user(world.staff, UserFactory(is_superuser=True))
    assert not can_govern_user(world.trainee, world.other_trainee)
    assert not can_govern_user(world.instructor, world.trainee)


@pytest.mark.parametrize("role", ROLES)
def test_can_govern_user_agrees_with_its_q(world, role):
    actor = world.roles()[role]
    UserFactory(is_superuser=True)
    governed = set(User.objects.filter(governed_users_q(actor)).values_list("pk", flat=True))
    for target in User.objects.all():
        assert can_govern_user(actor, target) == (target.pk in governed), (role, target)


def test_staff_cannot_open_the_user_admin(client, world):
    client.force_login(world.staff)
    for url in ("/admin/lms/user/?q=", f"/admin/lms/user/{world.trainee.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_instructor_assignment_in_the_admin_is_for_operators(client, world):
    from tests.courses.factories import EnrolmentFactory

    cohort = world.cohort
    person = EnrolmentFactory(cohort__district=world.district).trainee  # not this cohort's trainee
    data = {
        "name": cohort.name,
        "year": cohort.year,
        "starts_on": cohort.starts_on.isoformat(),
        "ends_on": cohort.ends_on.isoformat(),
        "teachings-TOTAL_FORMS": "1",
        "teachings-INITIAL_FORMS": "0",
        "teachings-MIN_NUM_FORMS": "0",
        "teachings-MAX_NUM_FORMS": "1000",
        "teachings-0-instructor": str(person.pk),
        "teachings-0-cohort": str(cohort.pk),
    }
    client.force_login(world.staff)
    assert client.post(f"/admin/courses/cohort/{cohort.pk}/change/", data).status_code == 302
    assert not Teaching.objects.filter(instructor=person).exists()

    client.force_login(UserFactory(is_superuser=True))
    assert client.post(f"/admin/courses/cohort/{cohort.pk}/change/", data).status_code == 302
    assert Teaching.objects.filter(cohort=cohort, instructor=person).exists()
