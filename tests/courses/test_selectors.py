import pytest

from courses import selectors, services
from courses.models import Phase
from tests.courses.factories import CohortFactory, EnrolmentFactory, LessonFactory, ModuleFactory

pytestmark = pytest.mark.django_db


def test_progress_counts_per_phase_and_overall(world):
    services.lesson_complete(enrolment=world.enrolment, lesson=world.basics_lessons[0], actor=world.trainee)
    progress = selectors.course_progress(cohort=world.cohort, enrolment=world.enrolment)
    centralized = progress.phases[0]
    assert [p.phase for p in progress.phases] == [Phase.CENTRALIZED, Phase.FIELD, Phase.MODEL]
    assert (centralized.done, centralized.total, centralized.percent) == (1, 3, 33)
    assert (progress.done, progress.total, progress.percent) == (1, 3, 33)
    basics = progress.for_module(world.basics.pk)
    assert (basics.done, basics.total, basics.percent) == (1, 2, 50)


def test_next_step_skips_locked_modules_and_done_lessons(world):
    services.lesson_complete(enrolment=world.enrolment, lesson=world.basics_lessons[0], actor=world.trainee)
    progress = selectors.course_progress(cohort=world.cohort, enrolment=world.enrolment)
    module_progress, lesson = progress.next_step
    assert (module_progress.module, lesson) == (world.basics, world.basics_lessons[1])
    assert progress.for_module(world.skills.pk).locked_by == [world.basics]


def test_module_finished_unlocks_its_dependants(world):
    for lesson in world.basics_lessons:
        services.lesson_complete(enrolment=world.enrolment, lesson=lesson, actor=world.trainee)
    progress = selectors.course_progress(cohort=world.cohort, enrolment=world.enrolment)
    assert not progress.for_module(world.skills.pk).locked
    assert progress.next_step[1] == world.skills_lesson


def _course(modules: int, lessons_per_module: int):
    cohort = CohortFactory()
    enrolment = EnrolmentFactory(cohort=cohort)
    previous = None
    for m in range(modules):
        module = ModuleFactory(cohort=cohort, phase=Phase.values[m % 3], position=m + 1)
        if previous:
            module.requires.add(previous)
        previous = module
        for position in range(lessons_per_module):
            LessonFactory(module=module, position=position + 1)
    return cohort, enrolment


@pytest.mark.parametrize(("modules", "lessons_per_module"), [(4, 10), (10, 8)])
def test_trainee_home_answers_in_fixed_queries(client, django_assert_max_num_queries, modules, lessons_per_module):
    """40 lessons and 80 lessons: the same number of queries."""
    cohort, enrolment = _course(modules, lessons_per_module)
    for lesson in cohort.modules.order_by("phase", "position").first().lessons.all()[:3]:
        services.lesson_complete(enrolment=enrolment, lesson=lesson, actor=enrolment.trainee)
    client.force_login(enrolment.trainee)
    with django_assert_max_num_queries(13):  # 12, and the notification bell's count
        response = client.get(f"/cohorts/{cohort.pk}/learn/")
    assert response.status_code == 200
    assert response.content.count(b'class="module-row') == modules
