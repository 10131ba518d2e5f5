""" "/" takes each signed-in person to the home that fits it; the learning page stays at /learn/, linked from the
top bar and the cohort pages; nothing else assumes "/" is the learning page."""

import pytest
from django.conf import settings
from django.shortcuts import resolve_url

from tests.courses.factories import EnrolmentFactory, TeachingFactory
from tests.lms.factories import PASSWORD, DistrictStaffFactory

pytestmark = pytest.mark.django_db


def test_anonymous_root_goes_to_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response.url == "/accounts/login/?next=/"


@pytest.mark.parametrize(
    "role,home",
    [
        ("trainee", "/todo/trainee/"),
        ("instructor", "/todo/instructor/"),
        ("staff", "/todo/staff/"),
        ("stranger", "/learn/"),  # no role yet: the learning page says there is nothing to follow
    ],
)
def test_root_lands_each_role_on_its_home(client, world, role, home):
    client.force_login(world.roles()[role])
    response = client.get("/")
    assert response.status_code == 302 and response.url == home
    assert client.get(home).status_code == 200


def test_a_person_with_several_roles_lands_on_the_todo_page_with_tabs_to_choose(client, world):
    EnrolmentFactory(cohort=world.other_cohort, trainee=world.instructor)
    DistrictStaffFactory(district=world.other_cohort.district, user=world.instructor)
    client.force_login(world.instructor)
    response = client.get("/", follow=True)
    assert [url for url, _status in response.redirect_chain] == ["/todo/", "/todo/trainee/"]
    page = response.content.decode()
    for tab in ("/todo/trainee/", "/todo/instructor/", "/todo/staff/"):
        assert f'href="{tab}"' in page


@pytest.mark.parametrize(("role", "home"), [("trainee", "/todo/trainee/"), ("staff", "/todo/staff/")])
def test_login_without_next_and_with_next_root_lands_on_the_home(client, world, role, home):
    user = world.roles()[role]
    assert resolve_url(settings.LOGIN_REDIRECT_URL) == "/"
    for url in ("/accounts/login/", "/accounts/login/?next=/"):
        client.logout()
        response = client.post(url, {"username": user.username, "password": PASSWORD}, follow=True)
        assert response.redirect_chain[-1][0] == home, url


def test_login_with_another_next_still_goes_there(client, world):
    url = f"/accounts/login/?next=/cohorts/{world.cohort.pk}/learn/"
    response = client.post(url, {"username": world.trainee.username, "password": PASSWORD})
    assert response.url == f"/cohorts/{world.cohort.pk}/learn/"


def test_the_learning_page_stays_reachable_from_the_top_bar_and_the_cohort_page(client, world):
    client.force_login(world.instructor)
    todo = client.get("/todo/instructor/").content.decode()
    assert 'href="/learn/"' in todo and 'class="brand" href="/"' in todo
    cohort_page = client.get(f"/cohorts/{world.cohort.pk}/").content.decode()
    assert 'href="/learn/"' in cohort_page
    learning = client.get("/learn/")
    assert learning.status_code == 200 and world.cohort.name in learning.content.decode()


def test_a_trainee_of_one_cohort_goes_from_the_learning_page_to_its_course(client, world):
    client.force_login(world.trainee)
    assert client.get("/learn/").url == f"/cohorts/{world.cohort.pk}/learn/"


def test_an_instructor_teaching_two_cohorts_lands_on_its_instructor_home(client, world):
    TeachingFactory(cohort=world.other_cohort, instructor=world.instructor)
    client.force_login(world.instructor)
    assert client.get("/").url == "/todo/instructor/"
