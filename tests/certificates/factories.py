from courses.models import Lesson, LessonCompletion


def complete_all_lessons(enrolment) -> None:
    """Mark every lesson of the enrolment's cohort done (directly: setup, not the flow under test)."""
    lessons = Lesson.objects.filter(module__cohort_id=enrolment.cohort_id)
    LessonCompletion.objects.bulk_create(
        [LessonCompletion(enrolment=enrolment, lesson=lesson) for lesson in lessons], ignore_conflicts=True
    )
