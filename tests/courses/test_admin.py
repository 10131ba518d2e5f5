"""The admin is for operators; where it writes, it goes through the services."""

import pytest

from courses import services
from courses.models import Enrolment
from lms.models import AuditEntry
from tests.courses.factories import SessionFactory
from tests.lms.factories import CommunityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    user = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(user)
    return user


@pytest.mark.parametrize("role", ["staff", "instructor"])
def test_staff_and_instructors_have_no_admin(client, world, role):
    client.force_login(world.roles()[role])
    response = client.get("/admin/courses/cohort/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert world.cohort.name not in client.get("/admin/courses/enrolment/").content.decode()


def test_admin_enrolment_goes_through_the_service(client, world, operator):
    trainee = UserFactory()
    response = client.post(
        "/admin/courses/enrolment/add/",
        {"cohort": world.cohort.pk, "trainee": trainee.pk, "community": world.community.pk, "team": ""},
    )
    assert response.status_code == 302
    enrolment = Enrolment.objects.get(trainee=trainee)
    assert enrolment.cohort == world.cohort
    assert AuditEntry.objects.filter(verb="enrolment.created", target_id=str(enrolment.pk), actor=operator).exists()


def test_admin_enrolment_refuses_a_community_of_another_district(client, world, operator):
    trainee = UserFactory()
    foreign = CommunityFactory(town__district=world.other_cohort.district)
    response = client.post(
        "/admin/courses/enrolment/add/",
        {"cohort": world.cohort.pk, "trainee": trainee.pk, "community": foreign.pk, "team": ""},
    )
    assert response.status_code == 302 and response["Location"].endswith("/admin/courses/enrolment/add/")
    assert not Enrolment.objects.filter(trainee=trainee).exists()


def test_sessions_and_attendance_are_read_only_in_the_admin(client, world, operator):
    session = SessionFactory(lesson=world.basics_lessons[0])
    attendance = services.attendance_record(
        session=session, enrolment=world.enrolment, status="present", actor=world.staff
    )
    assert client.get(f"/admin/courses/session/{session.pk}/change/").status_code == 200
    assert client.get("/admin/courses/session/add/").status_code == 403
    assert client.get(f"/admin/courses/attendance/{attendance.pk}/change/").status_code == 200
    response = client.post(f"/admin/courses/attendance/{attendance.pk}/change/", {"status": "absent"})
    assert response.status_code == 403
    attendance.refresh_from_db()
    assert attendance.status == "present"
