"""The set-up pages that delete and move: confirmation pages that say what holds a row, 409 with the message
and nothing changed, not-found for another district, POST only with CSRF."""

from datetime import datetime

import pytest
from django.test import Client

from courses.models import LessonCompletion, Module, Phase
from tests.courses.factories import SHANGHAI, ModuleFactory, SessionFactory
from tests.courses.test_setup_removal import positions, state, stored
from tests.fieldwork.factories import PDF_BYTES, AssignmentFactory, add_rubric, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def english_client(client, settings):
    """The test client signed in as a person, with English chosen in the language switch."""

    def signed_in(user):
        client.force_login(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return signed_in


def _session(world):
    return SessionFactory(lesson=world.basics_lessons[0], starts_at=datetime(2022, 4, 9, 9, tzinfo=SHANGHAI))


def urls(world) -> dict[str, str]:
    """One delete page of each kind, on rows nothing holds."""
    empty = ModuleFactory(cohort=world.cohort, phase=Phase.FIELD, position=1, title="空模块")
    return {
        "module": f"/setup/modules/{empty.pk}/delete/",
        "lesson": f"/setup/lessons/{world.skills_lesson.pk}/delete/",
        "session": f"/setup/sessions/{_session(world).pk}/delete/",
        "assignment": f"/setup/assignments/{AssignmentFactory(module=world.skills).pk}/delete/",
    }


def test_overview_shows_arrows_within_a_phase_delete_links_and_the_rules(english_client, world):
    field = ModuleFactory(cohort=world.cohort, phase=Phase.FIELD, position=1, title="实地支持")
    client = english_client(world.staff)
    page = client.get(f"/setup/cohorts/{world.cohort.pk}/").content.decode()
    assert page.count(f'action="/setup/modules/{world.basics.pk}/move/"') == 1  # first of its phase: down only
    assert page.count(f'action="/setup/modules/{world.skills.pk}/move/"') == 1  # last: up only
    assert f'action="/setup/modules/{field.pk}/move/"' not in page  # alone in its phase
    assert page.count(f'action="/setup/lessons/{world.basics_lessons[0].pk}/move/"') == 1
    assert f'href="/setup/modules/{field.pk}/delete/"' in page
    assert f'href="/setup/lessons/{world.skills_lesson.pk}/delete/"' in page
    assert "A module can be deleted while it has no lessons and no assignments and no other module requires it." in page
    assert "A session can be deleted while no attendance is recorded for it." in page


@pytest.mark.parametrize("kind", ["module", "lesson", "session", "assignment"])
def test_a_row_nothing_holds_is_deleted_after_confirming(client, world, kind):
    url = urls(world)[kind]
    client.force_login(world.staff)
    confirm = client.get(url)
    assert confirm.status_code == 200 and 'data-testid="holds"' not in confirm.content.decode()
    assert "csrfmiddlewaretoken" in confirm.content.decode()
    response = client.post(url)
    assert response.status_code == 302 and response.url.startswith(f"/setup/cohorts/{world.cohort.pk}/")
    assert client.get(url).status_code == 404


def test_refusal_on_the_page_says_what_holds_it_with_409_and_changes_nothing(world, english_client):
    client = english_client(world.staff)
    url = f"/setup/modules/{world.basics.pk}/delete/"
    confirm = client.get(url).content.decode()
    assert 'data-testid="holds"' in confirm and "It has 2 lessons: delete them first." in confirm
    assert 'type="submit"' not in confirm.split('data-testid="delete-module"')[1]  # nothing to confirm
    before = state()
    response = client.post(url)
    page = response.content.decode()
    assert response.status_code == 409
    assert "“社区规划基础” cannot be deleted. It has 2 lessons: delete them first." in page
    assert state() == before


def test_lesson_refused_on_the_page_keeps_its_reading_material(world, english_client, private_storage):
    from courses.services import setup as services

    lesson = world.basics_lessons[0]
    services.lesson_attachment_add(lesson=lesson, upload=upload("阅读材料.pdf", PDF_BYTES), actor=world.staff)
    LessonCompletion.objects.create(enrolment=world.enrolment, lesson=lesson)
    client = english_client(world.staff)
    before, files = state(), stored(private_storage)
    response = client.post(f"/setup/lessons/{lesson.pk}/delete/")
    assert response.status_code == 409 and "1 trainee has finished it." in response.content.decode()
    assert state() == before and stored(private_storage) == files


def test_assignment_with_a_draft_is_refused_on_the_page(world, english_client):
    from fieldwork import services as fieldwork

    assignment = AssignmentFactory(module=world.skills, title="社区资产地图")
    add_rubric(assignment)
    fieldwork.submission_start(assignment=assignment, enrolment=world.enrolment, actor=world.trainee)
    client = english_client(world.staff)
    before = state()
    response = client.post(f"/setup/assignments/{assignment.pk}/delete/")
    assert response.status_code == 409 and "has started work on it" in response.content.decode()
    assert state() == before


@pytest.mark.parametrize("role", ["other_staff", "instructor", "trainee", "stranger"])
@pytest.mark.parametrize("kind", ["module", "lesson", "session", "assignment"])
def test_delete_pages_of_another_district_or_role_are_not_found(client, world, role, kind):
    url = urls(world)[kind]
    client.force_login(world.roles()[role])
    before = state()
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert state() == before


@pytest.mark.parametrize("role", ["other_staff", "instructor"])
def test_moves_of_another_district_or_role_are_not_found(client, world, role):
    client.force_login(world.roles()[role])
    before = state()
    assert client.post(f"/setup/modules/{world.skills.pk}/move/", {"direction": "up"}).status_code == 404
    assert client.post(f"/setup/lessons/{world.basics_lessons[1].pk}/move/", {"direction": "up"}).status_code == 404
    assert state() == before


@pytest.mark.parametrize("bad_id", ["0", "99999999", "abc", "1.5"])
def test_malformed_or_missing_ids_are_not_found(client, world, bad_id):
    client.force_login(world.staff)
    for url in (f"/setup/modules/{bad_id}/delete/", f"/setup/lessons/{bad_id}/move/"):
        assert client.post(url, {"direction": "up"}).status_code == 404


def test_moves_on_the_page_reorder_and_refuse_at_the_ends(world, english_client):
    client = english_client(world.staff)
    response = client.post(f"/setup/modules/{world.skills.pk}/move/", {"direction": "up"})
    assert response.status_code == 302 and response.url == f"/setup/cohorts/{world.cohort.pk}/#module-{world.skills.pk}"
    assert positions(cohort=world.cohort, phase=Phase.CENTRALIZED) == [("专业技能授课", 1), ("社区规划基础", 2)]
    before = state()
    refused = client.post(f"/setup/modules/{world.skills.pk}/move/", {"direction": "up"})
    assert refused.status_code == 409
    assert "“专业技能授课” is already the first module of its phase." in refused.content.decode()
    sideways = client.post(f"/setup/lessons/{world.basics_lessons[0].pk}/move/", {"direction": "sideways"})
    assert sideways.status_code == 400 and "Move up or down." in sideways.content.decode()
    assert state() == before
    lesson = client.post(f"/setup/lessons/{world.basics_lessons[0].pk}/move/", {"direction": "down"})
    assert lesson.status_code == 302
    assert list(world.basics.lessons.order_by("position").values_list("title", flat=True)) == ["基础课2", "基础课1"]
    page = client.get(f"/setup/cohorts/{world.cohort.pk}/").content.decode()
    assert page.index(">基础课2</a>") < page.index(">基础课1</a>")  # the overview lists lessons by position
    assert page.index(">专业技能授课</strong>") < page.index(">社区规划基础</strong>")


def test_moves_and_deletes_take_post_only_with_a_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.staff)
    assert client.get(f"/setup/modules/{world.skills.pk}/move/").status_code == 405
    assert client.post(f"/setup/modules/{world.skills.pk}/move/", {"direction": "up"}).status_code == 403
    empty = ModuleFactory(cohort=world.cohort, phase=Phase.FIELD, position=1, title="空模块")
    before = state()
    assert client.post(f"/setup/modules/{empty.pk}/delete/").status_code == 403
    client.get(f"/setup/modules/{empty.pk}/delete/")  # the confirmation page sets the CSRF cookie
    assert client.put(f"/setup/modules/{empty.pk}/delete/").status_code in (403, 405)  # never a deletion
    assert state() == before and Module.objects.filter(pk=empty.pk).exists()


def test_edit_pages_link_to_their_delete_page(client, world):
    client.force_login(world.staff)
    assignment = AssignmentFactory(module=world.skills)
    session = _session(world)
    for page, target in (
        (f"/setup/cohorts/{world.cohort.pk}/modules/{world.basics.pk}/", f"/setup/modules/{world.basics.pk}/delete/"),
        (f"/setup/lessons/{world.skills_lesson.pk}/", f"/setup/lessons/{world.skills_lesson.pk}/delete/"),
        (f"/setup/sessions/{session.pk}/", f"/setup/sessions/{session.pk}/delete/"),
        (f"/setup/assignments/{assignment.pk}/", f"/setup/assignments/{assignment.pk}/delete/"),
    ):
        assert f'href="{target}"' in client.get(page).content.decode(), page
