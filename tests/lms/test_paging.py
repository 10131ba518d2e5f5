"""Long staff tables a page at a time: 50 rows, the page number parsed strictly."""

import pytest
from django.urls import reverse

from tests.courses.factories import EnrolmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def crowded(world):
    for _ in range(55):
        EnrolmentFactory(cohort=world.cohort, community=world.community)
    return world


@pytest.mark.parametrize("url_name", ["cohort-detail", "fieldwork:gradebook"])
def test_a_long_table_comes_fifty_rows_a_page(client, crowded, url_name):
    client.force_login(crowded.staff)
    url = reverse(url_name, args=[crowded.cohort.pk])
    first = client.get(url)
    second = client.get(url, {"page": "2"})
    assert first.status_code == second.status_code == 200
    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 6  # the world's trainee and the 55 more
    assert 'data-testid="pager"' in first.content.decode()


def test_the_attendance_sheet_comes_fifty_trainees_a_page_and_lists_everyone_missing(client, crowded):
    from tests.courses.factories import SessionFactory

    session = SessionFactory(lesson=crowded.basics_lessons[0])
    client.force_login(crowded.instructor)
    page = client.get(reverse("attendance-sheet", args=[session.pk]))
    assert page.status_code == 200
    assert len(page.context["page"].object_list) == 50
    assert len(page.context["missing"]) == 56  # the "not checked in yet" list stays whole


@pytest.mark.parametrize("page", ["0", "3", "abc", "-1", "1e3", "٢", "9" * 40])
def test_a_page_that_does_not_exist_answers_not_found(client, crowded, page):
    client.force_login(crowded.staff)
    response = client.get(reverse("cohort-detail", args=[crowded.cohort.pk]), {"page": page})
    assert response.status_code == 404
