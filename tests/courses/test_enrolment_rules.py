"""Enrolment: a second cohort of one course needs staff's confirmation; errors name nothing foreign."""

import pytest

from courses import services
from courses.models import Enrolment
from lms.errors import Conflict, ValidationFailed
from tests.courses.factories import CohortFactory
from tests.lms.factories import CommunityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def next_year(world):
    return CohortFactory(course=world.cohort.course, district=world.district, year=world.cohort.year + 1)


def test_second_cohort_of_a_course_needs_confirmation(world, next_year, english):
    with pytest.raises(Conflict) as caught:
        services.enrolment_create(
            cohort=next_year, trainee=world.trainee, community=world.community, actor=world.staff
        )
    assert caught.value.code == "confirm_second_cohort"
    assert not Enrolment.objects.filter(cohort=next_year).exists()
    enrolment = services.enrolment_create(
        cohort=next_year, trainee=world.trainee, community=world.community, actor=world.staff, confirm=True
    )
    assert enrolment.cohort == next_year


def test_page_and_api_take_the_confirm_flag(client, world, next_year):
    client.force_login(world.staff)
    body = {"trainee": world.trainee.username, "community": world.community.pk, "team": ""}
    response = client.post(f"/cohorts/{next_year.pk}/enrol/", body)
    assert response.status_code == 409
    assert "已在本课程的另一个培育班" in response.content.decode()
    assert not Enrolment.objects.filter(cohort=next_year).exists()
    api = {"cohort": next_year.pk, "trainee": world.trainee.pk, "community": world.community.pk}
    response = client.post("/api/v1/enrolments/", api, content_type="application/json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "confirm_second_cohort"
    response = client.post("/api/v1/enrolments/", {**api, "confirm": True}, content_type="application/json")
    assert response.status_code == 201
    assert Enrolment.objects.filter(cohort=next_year, trainee=world.trainee).exists()


def test_enrol_errors_never_name_another_districts_community(client, world, english):
    foreign = CommunityFactory(town__district=world.other_cohort.district, name="顺德秘密社区")
    newcomer = UserFactory()
    with pytest.raises(ValidationFailed) as caught:
        services.enrolment_create(cohort=world.cohort, trainee=newcomer, community=foreign, actor=world.staff)
    assert caught.value.code == "community_outside_district"
    assert "顺德秘密社区" not in str(caught.value.message) and "顺德秘密社区" not in str(caught.value.fields)
    client.force_login(world.staff)
    page = client.post(
        f"/cohorts/{world.cohort.pk}/enrol/", {"trainee": newcomer.username, "community": foreign.pk, "team": ""}
    )
    api = client.post(
        "/api/v1/enrolments/",
        {"cohort": world.cohort.pk, "trainee": newcomer.pk, "community": foreign.pk},
        content_type="application/json",
    )
    missing = client.post(
        "/api/v1/enrolments/",
        {"cohort": world.cohort.pk, "trainee": newcomer.pk, "community": 99999999},
        content_type="application/json",
    )
    assert page.status_code == 400 and "顺德秘密社区" not in page.content.decode()
    assert api.status_code == 400 and "顺德秘密社区" not in api.content.decode()
    assert api.json()["error"] == missing.json()["error"]  # a foreign community answers as a missing one
    assert not Enrolment.objects.filter(trainee=newcomer).exists()
