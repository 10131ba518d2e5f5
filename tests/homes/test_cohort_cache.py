"""The staff home and the dashboard are cached per cohort and never stale: a change shows on the next request."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from courses import services as course_services
from courses.models import Attendance, Enrolment
from courses.services import enrolment_withdraw
from lms import cohort_cache
from tests.courses.conftest import SESSION_START
from tests.courses.factories import EnrolmentFactory, SessionFactory

pytestmark = pytest.mark.django_db


def _share(page: str, session_id: int) -> str:
    return re.search(rf'data-session="{session_id}" data-share="(\d*)"', page).group(1)


@pytest.fixture
def held(world):
    """A session held an hour ago with two trainees of the cohort, neither recorded yet."""
    EnrolmentFactory(cohort=world.cohort, community=world.community)
    session = SessionFactory(lesson=world.basics_lessons[0], starts_at=timezone.now() - timedelta(hours=1))
    session.instructors.add(world.instructor)
    return session


def test_a_new_attendance_shows_on_the_next_staff_home_and_dashboard(client, world, held):
    client.force_login(world.staff)
    pages = {"staff home": "/todo/staff/", "dashboard": f"/cohorts/{world.cohort.pk}/dashboard/"}
    assert {name: _share(client.get(url).content.decode(), held.pk) for name, url in pages.items()} == {
        "staff home": "0",
        "dashboard": "0",
    }
    # Cached: the second request reads no attendance at all.
    assert _share(client.get("/todo/staff/").content.decode(), held.pk) == "0"
    course_services.attendance_record(session=held, enrolment=world.enrolment, status="present", actor=world.instructor)
    assert {name: _share(client.get(url).content.decode(), held.pk) for name, url in pages.items()} == {
        "staff home": "50",
        "dashboard": "50",
    }
    attendance = Attendance.objects.get()
    course_services.attendance_correct(attendance=attendance, status="absent", reason="看错了", actor=world.instructor)
    assert _share(client.get("/todo/staff/").content.decode(), held.pk) == "0"


def test_a_withdrawal_shows_on_the_next_staff_home(client, world, held):
    client.force_login(world.staff)
    assert 'data-testid="cohort-' in client.get("/todo/staff/").content.decode()
    first = client.get("/todo/staff/").content.decode()
    assert "2 名学员" in first
    other = Enrolment.objects.exclude(pk=world.enrolment.pk).filter(cohort=world.cohort).first()
    enrolment_withdraw(enrolment=other, reason="工作调动", actor=world.staff)
    page = client.get("/todo/staff/").content.decode()
    assert "1 名学员" in page


def test_a_lesson_done_and_a_grade_released_show_on_the_next_staff_home(client, world, held, field):
    from certificates.models import CompletionRule

    CompletionRule.objects.create(cohort=world.cohort, min_lesson_percent=100)
    client.force_login(world.staff)
    before = client.get("/todo/staff/").content.decode()
    states_before = re.search(r'data-testid="states">(.*?)</ul>', before, re.S).group(1)
    phases_before = re.search(r'data-testid="phases">(.*?)</table>', before, re.S).group(1)
    course_services.lesson_complete(enrolment=world.enrolment, lesson=world.basics_lessons[0], actor=world.trainee)
    field.released()
    after = client.get("/todo/staff/").content.decode()
    assert re.search(r'data-testid="phases">(.*?)</table>', after, re.S).group(1) != phases_before
    assert re.search(r'data-testid="states">(.*?)</ul>', after, re.S).group(1) != states_before


def test_a_session_that_starts_after_the_page_was_cached_counts_once_it_started(client, world, clock):
    upcoming = SessionFactory(lesson=world.basics_lessons[0], starts_at=SESSION_START)
    clock.set(SESSION_START - timedelta(minutes=5))
    client.force_login(world.staff)
    assert f'data-session="{upcoming.pk}"' not in client.get("/todo/staff/").content.decode()
    clock.set(SESSION_START + timedelta(minutes=1))
    assert f'data-session="{upcoming.pk}"' in client.get("/todo/staff/").content.decode()


def test_the_cache_keeps_each_language_apart(client, world, held):
    client.force_login(world.staff)
    assert "各课次考勤" in client.get("/todo/staff/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Attendance per session" in client.get("/todo/staff/").content.decode()


def test_a_change_bumps_the_cohort_version_again_after_commit(world, django_capture_on_commit_callbacks):
    versions = lambda: cohort_cache._versions([world.cohort.pk])[world.cohort.pk]  # noqa: E731
    start = versions()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        EnrolmentFactory(cohort=world.cohort, community=world.community)
    during = versions()
    assert during != start and len(callbacks) >= 1
    for callback in callbacks:
        callback()
    assert versions() != during


def test_without_redis_changes_go_on_and_pages_compute_uncached(client, world, held, settings):
    import copy

    from tests.s3 import free_port

    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = caches
    course_services.attendance_record(session=held, enrolment=world.enrolment, status="present", actor=world.instructor)
    client.force_login(world.staff)
    assert _share(client.get("/todo/staff/").content.decode(), held.pk) == "50"
    assert _share(client.get(f"/cohorts/{world.cohort.pk}/dashboard/").content.decode(), held.pk) == "50"
