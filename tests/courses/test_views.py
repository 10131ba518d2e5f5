import pytest

from courses.models import LessonCompletion

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(f"/lessons/{world.basics_lessons[0].pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_login_with_mobile_number_reaches_the_trainee_home(client, world):
    world.trainee.mobile = "13800001234"
    world.trainee.save()
    response = client.post("/accounts/login/", {"username": "13800001234", "password": "test-pass-123"}, follow=True)
    assert response.status_code == 200
    assert [url for url, _status in response.redirect_chain] == ["/", "/todo/trainee/"]  # "/" is the home by role
    assert f'href="/cohorts/{world.cohort.pk}/learn/"' in response.content.decode()  # the course, one tap away


def test_trainee_home_shows_three_phases_and_next_step_in_chinese(client, world):
    client.force_login(world.trainee)
    page = client.get(f"/cohorts/{world.cohort.pk}/learn/").content.decode()
    for phase in ("集中课程", "实地支持", "模式探索"):
        assert phase in page
    assert "下一步" in page
    assert world.basics_lessons[0].title in page
    assert "完成后解锁：社区规划基础" in page


def test_english_is_complete_on_the_trainee_home(client, world):
    client.force_login(world.trainee)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(f"/cohorts/{world.cohort.pk}/learn/").content.decode()
    assert "Centralized lessons" in page and "Next thing to do" in page
    assert "下一步" not in page


def test_mark_done_moves_the_module_progress(client, world):
    client.force_login(world.trainee)
    lesson = world.basics_lessons[0]
    response = client.post(f"/lessons/{lesson.pk}/done/", follow=True)
    assert response.status_code == 200
    assert "已完成“基础课1”" in response.content.decode()
    module_page = client.get(f"/modules/{world.basics.pk}/").content.decode()
    assert "已完成 1 / 2 课时" in module_page


def test_locked_lesson_page_says_which_module_unlocks_it(client, world):
    client.force_login(world.trainee)
    page = client.get(f"/lessons/{world.skills_lesson.pk}/").content.decode()
    assert "本课时尚未解锁" in page and "社区规划基础" in page
    assert "标记为已完成" not in page


def test_marking_a_locked_lesson_done_is_refused_with_a_message(client, world):
    client.force_login(world.trainee)
    response = client.post(f"/lessons/{world.skills_lesson.pk}/done/")
    assert response.status_code == 409
    assert "请先完成“社区规划基础”" in response.content.decode()
    assert not LessonCompletion.objects.exists()


@pytest.mark.parametrize(
    "url", ["/lessons/{other_lesson}/", "/modules/{other_module}/", "/cohorts/{other_cohort}/learn/"]
)
def test_trainee_cannot_open_another_cohorts_content(client, world, url):
    client.force_login(world.trainee)
    response = client.get(
        url.format(
            other_lesson=world.other_lesson.pk,
            other_module=world.other_lesson.module_id,
            other_cohort=world.other_cohort.pk,
        )
    )
    assert response.status_code == 404
    assert "该页面不存在，或您无权访问" in response.content.decode()


def test_trainee_cannot_mark_another_cohorts_lesson_done(client, world):
    client.force_login(world.trainee)
    response = client.post(f"/lessons/{world.other_lesson.pk}/done/")
    assert response.status_code == 404
    assert not LessonCompletion.objects.exists()


@pytest.mark.parametrize("url", ["/lessons/999999/", "/lessons/abc/", "/modules/-1/", "/cohorts/1e3/learn/"])
def test_unknown_or_malformed_ids_answer_not_found(client, world, url):
    client.force_login(world.trainee)
    response = client.get(url)
    assert response.status_code == 404
    assert "该页面不存在" in response.content.decode()


def test_instructor_previews_content_but_cannot_mark_done(client, world):
    client.force_login(world.instructor)
    page = client.get(f"/lessons/{world.basics_lessons[0].pk}/").content.decode()
    assert "标记为已完成" not in page
    response = client.post(f"/lessons/{world.basics_lessons[0].pk}/done/")
    assert response.status_code == 403
    assert not LessonCompletion.objects.exists()


@pytest.mark.parametrize("role", ["other_instructor", "other_staff", "stranger"])
def test_people_of_other_cohorts_see_nothing(client, world, role):
    client.force_login(world.roles()[role])
    assert client.get(f"/cohorts/{world.cohort.pk}/learn/").status_code == 404
    assert client.get(f"/lessons/{world.basics_lessons[0].pk}/").status_code == 404


def test_lesson_content_is_sanitised(client, world):
    lesson = world.basics_lessons[0]
    lesson.body = "**粗体** <script>alert(1)</script> [链接](javascript:alert(1))"
    lesson.save()
    client.force_login(world.trainee)
    page = client.get(f"/lessons/{lesson.pk}/").content.decode()
    assert "<strong>粗体</strong>" in page
    assert "<script>alert(1)" not in page
    assert "javascript:alert" not in page


def test_home_lists_every_role_for_a_person_with_several(client, world):
    from tests.courses.factories import EnrolmentFactory

    EnrolmentFactory(cohort=world.other_cohort, trainee=world.instructor)
    client.force_login(world.instructor)
    page = client.get("/learn/").content.decode()
    assert world.cohort.name in page and world.other_cohort.name in page
