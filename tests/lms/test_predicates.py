"""Each predicate agrees with its queryset twin, for every role."""

import pytest

from courses.models import Cohort, Enrolment, Module
from lms.predicates import can_view_cohort, can_view_progress, cohort_visible_q, enrolment_progress_visible_q

pytestmark = pytest.mark.django_db

ROLES = ["trainee", "other_trainee", "instructor", "other_instructor", "staff", "other_staff", "stranger"]


@pytest.mark.parametrize("role", ROLES)
def test_can_view_cohort_agrees_with_cohort_visible_q(world, role):
    user = world.roles()[role]
    for model in (Cohort, Module):
        visible = set(model.objects.filter(cohort_visible_q(user, model)).values_list("pk", flat=True))
        for obj in model.objects.select_related(*([] if model is Cohort else ["cohort"])):
            cohort = obj if model is Cohort else obj.cohort
            assert can_view_cohort(user, cohort) == (obj.pk in visible), (role, model, obj)


@pytest.mark.parametrize("role", ROLES)
def test_can_view_progress_agrees_with_its_q(world, role):
    user = world.roles()[role]
    visible = set(Enrolment.objects.filter(enrolment_progress_visible_q(user)).values_list("pk", flat=True))
    for enrolment in Enrolment.objects.select_related("cohort"):
        assert can_view_progress(user, enrolment) == (enrolment.pk in visible), (role, enrolment)


def test_expected_visibility(world):
    assert can_view_cohort(world.trainee, world.cohort)
    assert not can_view_cohort(world.other_trainee, world.cohort)
    assert can_view_cohort(world.instructor, world.cohort)
    assert not can_view_cohort(world.other_instructor, world.cohort)
    assert can_view_cohort(world.staff, world.cohort)
    assert not can_view_cohort(world.other_staff, world.cohort)
    assert can_view_progress(world.trainee, world.enrolment)
    assert not can_view_progress(world.trainee, world.other_enrolment)


def test_a_superuser_sees_every_row_through_every_twin(world):
    from courses.models import Attendance, Session
    from lms.predicates import attendance_visible_q, cohort_taught_q
    from tests.courses.factories import SessionFactory
    from tests.lms.factories import UserFactory

    admin = UserFactory(is_superuser=True)
    session = SessionFactory(lesson=world.other_lesson)
    Attendance.objects.create(
        session=session, enrolment=world.other_enrolment, status="present", source="instructor", recorded_by=admin
    )
    assert Cohort.objects.filter(cohort_visible_q(admin, Cohort)).count() == Cohort.objects.count()
    assert Enrolment.objects.filter(enrolment_progress_visible_q(admin)).count() == Enrolment.objects.count()
    assert Session.objects.filter(cohort_taught_q(admin, Session)).count() == Session.objects.count()
    # An OR of an empty Q would narrow to the superuser's own rows: the twin must not.
    assert Attendance.objects.filter(attendance_visible_q(admin)).count() == 1
