import pytest

from courses.models import Enrolment
from tests.lms.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_staff_sees_only_its_districts_cohorts(client, world):
    client.force_login(world.staff)
    page = client.get("/admin/courses/cohort/").content.decode()
    assert world.cohort.name in page
    assert world.other_cohort.name not in page


def test_staff_cannot_open_another_districts_cohort(client, world):
    client.force_login(world.staff)
    response = client.get(f"/admin/courses/cohort/{world.other_cohort.pk}/change/")
    assert response.status_code in (302, 404)
    assert world.other_cohort.name not in client.get("/admin/courses/enrolment/").content.decode()


def test_admin_enrolment_goes_through_the_service(client, world):
    client.force_login(world.staff)
    trainee = UserFactory()
    response = client.post(
        "/admin/courses/enrolment/add/",
        {"cohort": world.cohort.pk, "trainee": trainee.pk, "community": world.community.pk, "team": ""},
    )
    assert response.status_code == 302
    enrolment = Enrolment.objects.get(trainee=trainee)
    assert enrolment.cohort == world.cohort
    from lms.models import AuditEntry

    assert AuditEntry.objects.filter(verb="enrolment.created", target_id=str(enrolment.pk)).exists()


def test_admin_cannot_enrol_into_another_districts_cohort(client, world):
    client.force_login(world.staff)
    trainee = UserFactory()
    response = client.post(
        "/admin/courses/enrolment/add/",
        {"cohort": world.other_cohort.pk, "trainee": trainee.pk, "community": world.community.pk, "team": ""},
    )
    assert response.status_code == 200  # the form comes back with an error
    assert not Enrolment.objects.filter(trainee=trainee).exists()


def test_instructor_has_no_admin(client, world):
    client.force_login(world.instructor)
    assert client.get("/admin/courses/cohort/").status_code == 302


def test_staff_reads_own_districts_sessions_and_attendance_in_the_admin_but_cannot_edit(client, world):
    from courses import services
    from tests.courses.factories import SessionFactory

    mine = SessionFactory(lesson=world.basics_lessons[0])
    theirs = SessionFactory(lesson=world.other_lesson)
    attendance = services.attendance_record(
        session=mine, enrolment=world.enrolment, status="present", actor=world.staff
    )
    client.force_login(world.staff)
    page = client.get("/admin/courses/session/").content.decode()
    assert f"/admin/courses/session/{mine.pk}/" in page and f"/admin/courses/session/{theirs.pk}/" not in page
    assert client.get(f"/admin/courses/session/{theirs.pk}/change/").status_code in (302, 403, 404)
    assert client.get("/admin/courses/session/add/").status_code == 403
    assert client.get(f"/admin/courses/attendance/{attendance.pk}/change/").status_code == 200
    response = client.post(f"/admin/courses/attendance/{attendance.pk}/change/", {"status": "absent"})
    assert response.status_code == 403
    attendance.refresh_from_db()
    assert attendance.status == "present"
