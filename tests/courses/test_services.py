import pytest

from courses import services
from courses.models import Enrolment, EnrolmentStatus, LessonCompletion
from lms.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from lms.models import AuditEntry
from tests.lms.factories import CommunityFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_staff_enrols_a_trainee_and_the_action_is_audited(world):
    trainee = UserFactory(full_name="何家明")
    enrolment = services.enrolment_create(
        cohort=world.cohort, trainee=trainee, community=world.community, actor=world.staff
    )
    assert enrolment.status == EnrolmentStatus.ACTIVE
    assert AuditEntry.objects.filter(verb="enrolment.created", target_id=str(enrolment.pk), actor=world.staff).exists()


def test_second_enrolment_is_refused_and_nothing_is_written(world):
    before = Enrolment.objects.count()
    with pytest.raises(Conflict) as error:
        services.enrolment_create(
            cohort=world.cohort, trainee=world.trainee, community=world.community, actor=world.staff
        )
    assert error.value.code == "already_enrolled"
    assert "已经报名" in str(error.value.message)
    assert Enrolment.objects.count() == before


@pytest.mark.parametrize("actor_name", ["other_staff", "instructor", "trainee"])
def test_only_staff_of_the_cohorts_district_may_enrol(world, actor_name):
    actor = world.roles()[actor_name]
    with pytest.raises(NotAllowed) as caught:
        services.enrolment_create(cohort=world.cohort, trainee=UserFactory(), community=world.community, actor=actor)
    assert caught.value.code == "not_allowed"
    assert Enrolment.objects.filter(cohort=world.cohort).count() == 1


def test_community_of_another_district_is_refused(world):
    elsewhere = CommunityFactory(town__district=world.other_cohort.district)
    with pytest.raises(ValidationFailed) as error:
        services.enrolment_create(cohort=world.cohort, trainee=UserFactory(), community=elsewhere, actor=world.staff)
    assert error.value.code == "community_outside_district"
    assert "community" in error.value.fields
    assert elsewhere.name not in str(error.value.message) and elsewhere.name not in str(error.value.fields)
    assert Enrolment.objects.filter(cohort=world.cohort).count() == 1


def test_withdrawal_needs_a_reason(world):
    with pytest.raises(ValidationFailed) as caught:
        services.enrolment_withdraw(enrolment=world.enrolment, reason="  ", actor=world.staff)
    assert caught.value.code == "invalid"
    world.enrolment.refresh_from_db()
    assert world.enrolment.status == EnrolmentStatus.ACTIVE


def test_withdrawal_by_staff_keeps_the_reason_and_cannot_repeat(world):
    services.enrolment_withdraw(enrolment=world.enrolment, reason="工作调动", actor=world.staff)
    world.enrolment.refresh_from_db()
    assert (world.enrolment.status, world.enrolment.withdrawn_reason) == (EnrolmentStatus.WITHDRAWN, "工作调动")
    with pytest.raises(Conflict) as caught:
        services.enrolment_withdraw(enrolment=world.enrolment, reason="again", actor=world.staff)
    assert caught.value.code == "not_active"


def test_staff_of_another_district_cannot_withdraw(world):
    with pytest.raises(NotAllowed) as caught:
        services.enrolment_withdraw(enrolment=world.enrolment, reason="x", actor=world.other_staff)
    assert caught.value.code == "not_allowed"
    world.enrolment.refresh_from_db()
    assert world.enrolment.status == EnrolmentStatus.ACTIVE


def test_lesson_completion_is_idempotent(world):
    lesson = world.basics_lessons[0]
    first, created = services.lesson_complete(enrolment=world.enrolment, lesson=lesson, actor=world.trainee)
    again, created_again = services.lesson_complete(enrolment=world.enrolment, lesson=lesson, actor=world.trainee)
    assert (created, created_again) == (True, False)
    assert first.pk == again.pk
    assert LessonCompletion.objects.filter(enrolment=world.enrolment).count() == 1


def test_locked_lesson_cannot_be_completed_and_names_the_unlocking_module(world):
    with pytest.raises(services.PrerequisiteUnfinished) as error:
        services.lesson_complete(enrolment=world.enrolment, lesson=world.skills_lesson, actor=world.trainee)
    assert error.value.code == "prerequisite_unfinished"
    assert error.value.modules == [world.basics]
    assert "社区规划基础" in str(error.value.message)
    assert not LessonCompletion.objects.exists()


def test_lesson_unlocks_once_the_required_module_is_finished(world):
    for lesson in world.basics_lessons:
        services.lesson_complete(enrolment=world.enrolment, lesson=lesson, actor=world.trainee)
    _completion, created = services.lesson_complete(
        enrolment=world.enrolment, lesson=world.skills_lesson, actor=world.trainee
    )
    assert created


def test_lesson_of_another_cohort_is_refused(world):
    with pytest.raises(NotFound) as caught:
        services.lesson_complete(enrolment=world.enrolment, lesson=world.other_lesson, actor=world.trainee)
    assert caught.value.code == "not_found"
    assert not LessonCompletion.objects.exists()


@pytest.mark.parametrize("actor_name", ["other_trainee", "instructor", "staff"])
def test_nobody_marks_lessons_done_for_someone_else(world, actor_name):
    with pytest.raises(NotAllowed) as caught:
        services.lesson_complete(
            enrolment=world.enrolment, lesson=world.basics_lessons[0], actor=world.roles()[actor_name]
        )
    assert caught.value.code == "not_allowed"
    assert not LessonCompletion.objects.exists()


def test_withdrawn_trainee_cannot_complete_lessons(world):
    services.enrolment_withdraw(enrolment=world.enrolment, reason="搬迁", actor=world.staff)
    world.enrolment.refresh_from_db()
    with pytest.raises(NotAllowed) as caught:
        services.lesson_complete(enrolment=world.enrolment, lesson=world.basics_lessons[0], actor=world.trainee)
    assert caught.value.code == "not_allowed"
