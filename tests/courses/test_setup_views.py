"""Cohort set-up pages: what staff see and do, and every bad input answered with a message, a 4xx and no change."""

import pytest

from courses.models import Cohort, Lesson, LessonAttachment, Module, Session
from lms.models import AuditEntry
from tests.courses.factories import LessonFactory
from tests.fieldwork.factories import PDF_BYTES, upload

pytestmark = pytest.mark.django_db


def _state():
    return (
        sorted(Cohort.objects.values_list("pk", "name", "starts_on", "ends_on")),
        sorted(Module.objects.values_list("pk", "title", "position")),
        sorted(Module.requires.through.objects.values_list("from_module_id", "to_module_id")),
        Lesson.objects.count(),
        LessonAttachment.objects.count(),
        Session.objects.count(),
        AuditEntry.objects.changes().count(),
    )


def _error_of(response) -> str:
    text = response.content.decode()
    start = text.index('data-testid="form-error">') + len('data-testid="form-error">')
    return text[start : text.index("</p>", start)]


def test_cohort_list_shows_only_the_staff_members_districts(client, world):
    client.force_login(world.staff)
    page = client.get("/setup/cohorts/").content.decode()
    assert world.cohort.name in page and world.other_cohort.name not in page


def test_staff_home_bar_links_to_set_up_and_audit(client, world):
    client.force_login(world.staff)
    page = client.get("/setup/cohorts/").content.decode()
    assert 'href="/setup/cohorts/"' in page and 'href="/audit/"' in page
    client.force_login(world.instructor)
    page = client.get("/learn/").content.decode()
    assert 'href="/setup/cohorts/"' not in page and 'href="/audit/"' in page
    client.force_login(world.trainee)
    page = client.get("/todo/trainee/").content.decode()
    assert 'href="/setup/cohorts/"' not in page and 'href="/audit/"' not in page


def test_cohort_is_created_from_the_page(client, world):
    client.force_login(world.staff)
    response = client.post(
        "/setup/cohorts/new/",
        {
            "course": world.cohort.course_id,
            "district": world.district.pk,
            "name": "南海区2035年培育班",
            "year": 2035,
            "starts_on": "2035-03-01",
            "ends_on": "2035-12-20",
        },
    )
    cohort = Cohort.objects.get(year=2035)
    assert response.status_code == 302 and response.url == f"/setup/cohorts/{cohort.pk}/"
    assert cohort.district == world.district


@pytest.mark.parametrize(
    "overrides,status,message",
    [
        ({"ends_on": "2035-02-01"}, 400, "2035-02-01"),
        ({"district": "other"}, 400, ""),
        ({"year": "abc"}, 400, ""),
        ({"starts_on": "2035-02-30"}, 400, ""),
        ({"name": ""}, 400, ""),
    ],
)
def test_bad_cohort_input_is_refused_with_a_message(client, world, overrides, status, message):
    client.force_login(world.staff)
    data = {
        "course": world.cohort.course_id,
        "district": world.district.pk,
        "name": "南海区2035年培育班",
        "year": 2035,
        "starts_on": "2035-03-01",
        "ends_on": "2035-12-20",
    }
    data.update(overrides)
    if data["district"] == "other":
        data["district"] = world.other_cohort.district_id
    before = _state()
    response = client.post("/setup/cohorts/new/", data)
    assert response.status_code == status
    assert _error_of(response)
    assert message in response.content.decode()
    assert _state() == before


def test_overview_lists_modules_lessons_sessions_and_certificate_settings(client, world, session):
    client.force_login(world.staff)
    page = client.get(f"/setup/cohorts/{world.cohort.pk}/").content.decode()
    for text in (
        "社区规划基础",
        "专业技能授课",
        "议事会的组织与主持",
        f"/setup/sessions/{session.pk}/",
        "/certificates/rule/",
    ):
        assert text in page


def test_prerequisite_cycle_on_the_page_names_the_modules(client, world):
    client.force_login(world.staff)
    before = _state()
    response = client.post(
        f"/setup/cohorts/{world.cohort.pk}/modules/{world.basics.pk}/",
        {"phase": "centralized", "position": 1, "title": "社区规划基础", "requires": [world.skills.pk]},
    )
    assert response.status_code == 400
    error = _error_of(response)
    assert "“社区规划基础”" in error and "“专业技能授课”" in error
    assert _state() == before


def test_module_of_another_cohort_as_prerequisite_is_refused(client, world):
    client.force_login(world.staff)
    before = _state()
    response = client.post(
        f"/setup/cohorts/{world.cohort.pk}/modules/new/",
        {"phase": "field", "position": 1, "title": "外区", "requires": [world.other_lesson.module_id]},
    )
    assert response.status_code == 400 and _error_of(response)
    assert _state() == before


def test_module_and_lesson_are_saved_from_the_pages(client, world):
    client.force_login(world.staff)
    response = client.post(
        f"/setup/cohorts/{world.cohort.pk}/modules/new/",
        {"phase": "field", "position": 1, "title": "实地支持", "summary": "", "requires": [world.skills.pk]},
    )
    module = Module.objects.get(title="实地支持")
    assert response.status_code == 302 and list(module.requires.all()) == [world.skills]
    response = client.post(
        f"/setup/cohorts/{world.cohort.pk}/modules/{module.pk}/lessons/new/",
        {"position": 1, "kind": "field_guidance", "title": "河岗实地指导", "body": "", "duration_minutes": 180},
    )
    lesson = Lesson.objects.get(title="河岗实地指导")
    assert response.status_code == 302 and response.url == f"/setup/lessons/{lesson.pk}/"


def test_module_in_the_url_of_another_cohort_is_not_found(client, world):
    client.force_login(world.staff)
    # a module of the staff's own cohort named under another cohort's id, and the reverse
    assert client.get(f"/setup/cohorts/{world.other_cohort.pk}/modules/{world.basics.pk}/").status_code == 404
    assert client.get(f"/setup/cohorts/{world.cohort.pk}/modules/{world.other_lesson.module_id}/").status_code == 404


def test_session_outside_the_run_on_the_page_is_refused(client, world):
    client.force_login(world.staff)
    before = _state()
    response = client.post(
        f"/setup/cohorts/{world.cohort.pk}/sessions/new/",
        {
            "lesson": world.skills_lesson.pk,
            "date": f"{world.cohort.year + 1}-01-10",
            "start_time": "09:00",
            "end_time": "11:00",
            "place": "河岗社区",
        },
    )
    assert response.status_code == 400
    assert str(world.cohort.ends_on) in _error_of(response)
    assert _state() == before


def test_session_with_an_instructor_of_another_cohort_is_refused(client, world):
    client.force_login(world.staff)
    before = _state()
    response = client.post(
        f"/setup/cohorts/{world.cohort.pk}/sessions/new/",
        {
            "lesson": world.skills_lesson.pk,
            "date": f"{world.cohort.year}-04-10",
            "start_time": "09:00",
            "end_time": "11:00",
            "place": "河岗社区",
            "instructors": [world.other_instructor.pk],
        },
    )
    assert response.status_code == 400
    assert _state() == before


def test_reading_material_upload_and_who_may_open_it(client, world, private_storage):
    client.force_login(world.staff)
    lesson = world.basics_lessons[0]
    response = client.post(f"/setup/lessons/{lesson.pk}/attachments/", {"file": upload("议事规则.pdf", PDF_BYTES)})
    assert response.status_code == 302
    attachment = LessonAttachment.objects.get()
    for user, status in (
        (world.trainee, 200),
        (world.instructor, 200),
        (world.staff, 200),
        (world.other_trainee, 404),
        (world.other_staff, 404),
        (world.other_instructor, 404),
    ):
        client.force_login(user)
        response = client.get(f"/lesson-files/{attachment.pk}/")
        assert response.status_code == status, user
        if status == 200:
            assert response["Content-Disposition"].startswith("attachment")
            assert response["X-Content-Type-Options"] == "nosniff"
            assert b"".join(response.streaming_content) == PDF_BYTES
    client.force_login(world.trainee)
    assert f"/lesson-files/{attachment.pk}/" in client.get(f"/lessons/{lesson.pk}/").content.decode()


def test_bad_reading_material_on_the_page_is_refused(client, world, private_storage):
    client.force_login(world.staff)
    before = _state()
    response = client.post(
        f"/setup/lessons/{world.basics_lessons[0].pk}/attachments/",
        {"file": upload("讲义.pdf", b"<html><script>alert(1)</script>")},
    )
    assert response.status_code == 400 and _error_of(response)
    response = client.post(f"/setup/lessons/{world.basics_lessons[0].pk}/attachments/", {})
    assert response.status_code == 400
    assert _state() == before
    assert not any(p.is_file() for p in private_storage.rglob("*"))


def test_oversized_reading_material_is_refused_before_reading(client, world):
    client.force_login(world.staff)
    response = client.post(
        f"/setup/lessons/{world.basics_lessons[0].pk}/attachments/",
        data=b"x",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(500 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert not LessonAttachment.objects.exists()


def test_removing_reading_material_deletes_the_file(client, world, private_storage, django_capture_on_commit_callbacks):
    client.force_login(world.staff)
    lesson = world.basics_lessons[0]
    client.post(f"/setup/lessons/{lesson.pk}/attachments/", {"file": upload("议事规则.pdf", PDF_BYTES)})
    attachment = LessonAttachment.objects.get()
    client.force_login(world.other_staff)
    assert client.post(f"/setup/attachments/{attachment.pk}/remove/").status_code == 404
    client.force_login(world.staff)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/setup/attachments/{attachment.pk}/remove/").status_code == 302
    assert not LessonAttachment.objects.exists()
    assert not (private_storage / attachment.storage_name).exists()


def _grow(world, n):
    from tests.courses.factories import ModuleFactory, SessionFactory
    from tests.fieldwork.factories import AssignmentFactory, add_rubric

    for _ in range(n):
        module = ModuleFactory(cohort=world.cohort, phase="field")
        module.requires.add(world.basics)
        lesson = LessonFactory(module=module)
        session = SessionFactory(lesson=lesson)
        session.instructors.add(world.instructor)
        add_rubric(AssignmentFactory(module=module))


@pytest.mark.parametrize("page", ["/setup/cohorts/", "/setup/cohorts/{cohort}/", "/setup/cohorts/{cohort}/copy/"])
def test_setup_pages_answer_in_a_fixed_number_of_queries(client, world, page, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = page.format(cohort=world.cohort.pk)
    client.force_login(world.staff)
    _grow(world, 2)
    client.get(url)  # warm the content-type and session caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow(world, 12)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200
