"""People pages for staff, the temporary-password login, own password change and the e-mailed reset link."""

import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from courses.models import Enrolment
from lms.models import User
from tests.courses.factories import EnrolmentFactory, TeachingFactory
from tests.lms.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, world):
    client.force_login(world.staff)
    return client


def test_people_list_shows_own_districts_people_with_roles_only(staff_client, world):
    page = staff_client.get("/people/")
    text = page.content.decode()
    assert page.status_code == 200
    assert world.trainee.full_name in text and world.instructor.full_name in text
    assert world.cohort.name in text
    assert world.other_trainee.full_name not in text and world.other_staff.full_name not in text
    assert world.other_cohort.name not in text
    assert f'href="/people/{world.trainee.pk}/"' in text


def test_people_list_searches_and_filters_by_role(staff_client, world):
    world.trainee.mobile = "13812345678"
    world.trainee.save()
    text = staff_client.get("/people/?q=1234567").content.decode()
    assert world.trainee.full_name in text and world.instructor.full_name not in text
    text = staff_client.get("/people/?role=instructor").content.decode()
    assert world.instructor.full_name in text and world.trainee.full_name not in text


def test_person_with_a_role_elsewhere_is_listed_without_a_link(staff_client, world):
    EnrolmentFactory(cohort=world.other_cohort, trainee=world.trainee)
    text = staff_client.get("/people/").content.decode()
    assert world.trainee.full_name in text
    assert f'href="/people/{world.trainee.pk}/"' not in text
    assert world.other_cohort.name not in text
    assert staff_client.get(f"/people/{world.trainee.pk}/").status_code == 404


def _people_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/people/").status_code == 200
    return len(queries)


def test_people_list_query_count_is_fixed(staff_client, world):
    small = _people_queries(staff_client)
    for _ in range(30):
        EnrolmentFactory(cohort=world.cohort, community=world.community)
        TeachingFactory(cohort=world.cohort)
    assert _people_queries(staff_client) == small


def test_people_list_paginates(staff_client, world):
    for _ in range(55):
        EnrolmentFactory(cohort=world.cohort, community=world.community)
    first = staff_client.get("/people/").content.decode()
    second = staff_client.get("/people/?page=2").content.decode()
    assert first.count("data-person=") == 50 and second.count("data-person=") == 7


@pytest.mark.parametrize("role", ["trainee", "instructor", "other_trainee", "stranger"])
def test_people_pages_are_not_found_for_everyone_but_staff(client, world, role):
    client.force_login(getattr(world, role))
    assert client.get("/people/").status_code == 404
    assert client.get("/people/new/").status_code == 404
    assert client.get(f"/people/{world.trainee.pk}/").status_code == 404


def test_create_person_page_shows_the_temporary_password_once(staff_client, world):
    response = staff_client.post(
        "/people/new/",
        {
            "full_name": "李丽",
            "mobile": "13800012345",
            "email": "",
            "community": world.community.pk,
            "cohort": world.cohort.pk,
            "role": "trainee",
        },
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    password = re.search(r'data-testid="temporary-password">([^<]+)<', response.content.decode()).group(1)
    person = User.objects.get(mobile="13800012345")
    assert person.check_password(password)
    assert Enrolment.objects.filter(trainee=person, cohort=world.cohort).exists()
    assert password not in staff_client.get(f"/people/{person.pk}/").content.decode()


def test_create_person_bad_input_answers_400_and_writes_nothing(staff_client, world):
    before = User.objects.count()
    response = staff_client.post(
        "/people/new/",
        {
            "full_name": "李丽",
            "mobile": "12345",
            "community": world.community.pk,
            "cohort": world.cohort.pk,
            "role": "trainee",
        },
    )
    assert response.status_code == 400
    assert "11" in response.content.decode()
    response = staff_client.post(
        "/people/new/",
        {
            "full_name": "李丽",
            "mobile": "13800012345",
            "community": world.community.pk,
            "cohort": world.other_cohort.pk,
            "role": "trainee",
        },
    )
    assert response.status_code == 404
    assert User.objects.count() == before


def test_edit_and_deactivate_pages(staff_client, world):
    response = staff_client.post(
        f"/people/{world.trainee.pk}/edit/",
        {"full_name": "梁慧敏", "mobile": "13700000000", "email": "", "community": world.community.pk},
    )
    assert response.status_code == 302
    world.trainee.refresh_from_db()
    assert world.trainee.full_name == "梁慧敏" and world.trainee.community == world.community
    assert staff_client.post(f"/people/{world.trainee.pk}/deactivate/").status_code == 302
    world.trainee.refresh_from_db()
    assert not world.trainee.is_active


def test_edit_refuses_a_taken_mobile(staff_client, world, settings):
    UserFactory(mobile="13700000000")
    response = staff_client.post(
        f"/people/{world.trainee.pk}/edit/",
        {"full_name": "梁慧敏", "mobile": "13700000000", "email": "", "community": ""},
    )
    assert response.status_code == 409
    world.trainee.refresh_from_db()
    assert world.trainee.mobile == "" and world.trainee.full_name != "梁慧敏"


def test_temporary_password_login_must_set_a_new_one_first(staff_client, world):
    response = staff_client.post(f"/people/{world.trainee.pk}/password-reset/")
    password = re.search(r'data-testid="temporary-password">([^<]+)<', response.content.decode()).group(1)
    trainee = Client()
    assert (
        trainee.post("/accounts/login/", {"username": world.trainee.username, "password": password}).status_code == 302
    )
    assert trainee.get("/").url == "/accounts/password/set/"
    assert trainee.get(f"/cohorts/{world.cohort.pk}/learn/").url == "/accounts/password/set/"
    assert trainee.get("/api/v1/me/").status_code == 403
    weak = trainee.post("/accounts/password/set/", {"new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200 and "form-error" in weak.content.decode()
    done = trainee.post("/accounts/password/set/", {"new_password1": "hegang-2026!", "new_password2": "hegang-2026!"})
    assert done.status_code == 302
    assert trainee.get(f"/cohorts/{world.cohort.pk}/learn/").status_code == 200
    world.trainee.refresh_from_db()
    assert not world.trainee.must_change_password and world.trainee.check_password("hegang-2026!")


def test_own_password_change_ends_other_sessions_and_replaces_token(world):
    this, other = Client(), Client()
    this.force_login(world.trainee)
    other.force_login(world.trainee)
    token = Token.objects.create(user=world.trainee).key
    response = this.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": "hegang-2026!", "new_password2": "hegang-2026!"},
    )
    assert response.status_code == 302
    assert this.get("/accounts/password/change/").status_code == 200  # this session stays
    assert other.get("/accounts/password/change/").status_code == 302  # the other one ends
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code in (401, 403)


def test_wrong_old_password_changes_nothing(client, world):
    client.force_login(world.trainee)
    response = client.post(
        "/accounts/password/change/",
        {"old_password": "wrong", "new_password1": "hegang-2026!", "new_password2": "hegang-2026!"},
    )
    assert response.status_code == 200 and "form-error" in response.content.decode()
    world.trainee.refresh_from_db()
    assert world.trainee.check_password(PASSWORD)


@pytest.fixture
def eager_tasks():
    from lms.celery import app

    previous, app.conf.task_always_eager = app.conf.task_always_eager, True
    yield
    app.conf.task_always_eager = previous


def test_forgot_password_mails_a_one_time_link(client, world, settings, eager_tasks):
    """The mail is sent by a task (here run at once), so the request looks nobody up."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world.trainee.email = "hegang01@example.com"
    world.trainee.set_unusable_password()  # as an account made from a sheet
    world.trainee.save()
    assert client.post("/accounts/password/reset/", {"email": "hegang01@example.com"}).status_code == 302
    assert client.post("/accounts/password/reset/", {"email": "nobody@example.com"}).status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and 'name="new_password1"' in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "Qingtian-lane-77", "new_password2": "Qingtian-lane-77"}
    )
    assert done.status_code == 302
    world.trainee.refresh_from_db()
    assert world.trainee.check_password("Qingtian-lane-77")
    again = client.get(link, follow=True)
    assert 'name="new_password1"' not in again.content.decode()  # the link worked once


def test_a_token_taken_with_a_temporary_password_opens_no_api(client, world):
    password = services_reset(world)
    token = client.post("/api/v1/auth/token/", {"username": world.trainee.username, "password": password}).json()
    response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token['token']}")
    assert response.status_code == 403
    assert response.json()["error"]["message"] in ("Set a new password first.", "请先设置新密码。")


def services_reset(world):
    from lms.services import password_reset_by_staff

    return password_reset_by_staff(person=world.trainee, actor=world.staff)


def test_role_filter_counts_only_roles_in_the_staff_members_districts(staff_client, world):
    TeachingFactory(cohort=world.other_cohort, instructor=world.trainee)  # teaches elsewhere, trainee here
    text = staff_client.get("/people/?role=instructor").content.decode()
    assert world.trainee.full_name not in text and world.instructor.full_name in text
