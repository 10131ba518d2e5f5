"""Cohort tables and attendance sheets answer in a fixed number of queries, whatever the cohort's size.

The second size is the issue's scale: 500 trainees, 40 lessons, 20 sessions.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.models import Attendance, Enrolment, LessonCompletion, Phase
from lms.models import User
from tests.courses.factories import LessonFactory, ModuleFactory, SessionFactory

pytestmark = pytest.mark.django_db

# Queries include the session, the user and its roles (3) on top of the selectors'.
# Pages include the top bar's notification bell: one COUNT query. Sheets read their corrections: one query.
LIMITS = {
    "cohort page": 19,  # + the instructors and the instructors one may add, + attendance shares (2), sessions (2)
    "attendance sheet": 14,  # + the filter's teams and communities (2) and who is not checked in (1)
    "api progress": 11,
    "api sheet": 11,
    "district overview": 11,  # sessions' expected trainees and their records: 2
}


def populate(world, trainees: int, lessons: int, sessions: int, tag: int):
    """Add trainees, lessons in every phase, completions and attendance to the world's cohort."""
    modules = [ModuleFactory(cohort=world.cohort, phase=phase, position=10 * tag) for phase in Phase.values]
    new_lessons = [LessonFactory(module=modules[i % 3], position=100 + i) for i in range(lessons)]
    users = User.objects.bulk_create(
        [User(username=f"bulk{tag}-{i}", full_name=f"学员{i}", password="!") for i in range(trainees)]
    )
    enrolments = Enrolment.objects.bulk_create(
        [Enrolment(cohort=world.cohort, trainee=u, community=world.community) for u in users]
    )
    LessonCompletion.objects.bulk_create(
        [
            LessonCompletion(enrolment=e, lesson=lesson)
            for e in enrolments
            for lesson in new_lessons[: len(new_lessons) // 2]
        ]
    )
    session_rows = [
        SessionFactory(lesson=new_lessons[i % len(new_lessons)], starts_at=world_start() - timedelta(days=i + 1))
        for i in range(sessions)
    ]
    Attendance.objects.bulk_create(
        [
            Attendance(session=s, enrolment=e, status="present", source="self", recorded_by=e.trainee)
            for s in session_rows
            for e in enrolments[::2]
        ]
    )
    return session_rows[0]


def world_start():
    from tests.courses.conftest import SESSION_START

    return SESSION_START


PAGES = {
    "cohort page": lambda w, s: f"/cohorts/{w.cohort.pk}/",
    "attendance sheet": lambda w, s: f"/sessions/{s.pk}/",
    "api progress": lambda w, s: f"/api/v1/progress/?cohort={w.cohort.pk}",
    "api sheet": lambda w, s: f"/api/v1/sessions/{s.pk}/attendance/",
    "district overview": lambda w, s: "/district/cohorts/",
}


@pytest.mark.parametrize("page", list(PAGES))
def test_query_count_does_not_grow_with_the_cohort(client, world, clock, django_assert_max_num_queries, page):
    counts = []
    session = None
    for tag, (trainees, lessons, sessions) in enumerate(((3, 3, 2), (500, 40, 20)), start=1):
        first = populate(world, trainees, lessons, sessions, tag)
        session = session or first
        client.force_login(world.staff)
        with django_assert_max_num_queries(LIMITS[page]), CaptureQueriesContext(connection) as queries:
            response = client.get(PAGES[page](world, session))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
