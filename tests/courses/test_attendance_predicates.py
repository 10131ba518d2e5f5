"""The attendance rules and their queryset twins give the same answers, role by role."""

import pytest

from courses import services
from courses.models import Attendance, Session
from lms.predicates import attendance_visible_q, cohort_taught_q
from tests.courses.factories import SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(world, session):
    other = SessionFactory(lesson=world.other_lesson)
    return [
        services.attendance_record(session=session, enrolment=world.enrolment, status="present", actor=world.staff),
        services.attendance_record(
            session=other, enrolment=world.other_enrolment, status="late", actor=world.other_staff
        ),
    ]


def test_attendance_rule_and_its_twin_agree(world, records):
    for name, user in world.roles().items():
        by_rule = {a.pk for a in Attendance.objects.all() if user.has_perm("courses.read_attendance", a)}
        by_query = set(Attendance.objects.filter(attendance_visible_q(user)).values_list("pk", flat=True))
        assert by_rule == by_query, name


def test_teaching_rule_and_its_twin_agree_on_sessions(world, records):
    for name, user in world.roles().items():
        by_rule = {s.pk for s in Session.objects.all() if user.has_perm("courses.record_attendance", s)}
        by_query = set(Session.objects.filter(cohort_taught_q(user, Session)).values_list("pk", flat=True))
        assert by_rule == by_query, name


def test_trainee_reads_only_its_own_record(world, records):
    assert world.trainee.has_perm("courses.read_attendance", records[0])
    assert not world.trainee.has_perm("courses.read_attendance", records[1])
    assert not world.trainee.has_perm("courses.record_attendance", records[0].session)
