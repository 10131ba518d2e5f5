"""The staff home opens with what to do: eligible without a certificate, never signed in, graded but not
released, sessions held without attendance, objections overdue."""

from datetime import timedelta

import pytest
from django.utils import timezone

from certificates.models import CompletionRule
from courses import services as course_services
from fieldwork.models import Objection
from tests.courses.factories import SessionFactory

pytestmark = pytest.mark.django_db


def _todo(client) -> str:
    page = client.get("/todo/staff/").content.decode()
    start = page.index("<h3>待办</h3>")
    return page[start : page.index("<h3>", start + 5)]


def test_an_empty_to_do_list_says_so(client, world):
    world.trainee.last_login = timezone.now()
    world.trainee.save(update_fields=["last_login"])
    client.force_login(world.staff)
    assert 'data-testid="todo-empty"' in _todo(client)


def test_each_to_do_appears_and_goes_when_done(client, world, field):
    CompletionRule.objects.create(cohort=world.cohort, min_lesson_percent=0)
    held = SessionFactory(lesson=world.basics_lessons[0], starts_at=timezone.now() - timedelta(hours=2))
    graded = field.graded()
    released = field.released(enrolment=field.classmate_enrolment)
    objection = Objection.objects.create(submission=released, raised_by=field.classmate, reason="评分有误")
    Objection.objects.filter(pk=objection.pk).update(created_at=timezone.now() - timedelta(days=8))
    client.force_login(world.staff)
    todo = _todo(client)
    assert "名学员已符合结业条件但尚未发证" in todo
    assert "名学员从未登录" in todo
    assert "1 份作业已评分但尚未公布" in todo
    assert f'data-todo="unrecorded-{held.pk}"' in todo
    assert "1 条申诉超过一周未答复" in todo

    course_services.attendance_record(session=held, enrolment=world.enrolment, status="present", actor=world.instructor)
    from fieldwork import services as fieldwork_services

    fieldwork_services.grade_release(submission=graded, actor=world.instructor)
    todo = _todo(client)
    assert f'data-todo="unrecorded-{held.pk}"' not in todo
    assert "已评分但尚未公布" not in todo


def test_signing_in_takes_a_trainee_off_the_list_at_once(client, world):
    client.force_login(world.staff)
    before = _todo(client)
    assert "名学员从未登录" in before
    trainee_client = type(client)()
    trainee_client.post("/accounts/login/", {"username": world.trainee.username, "password": "test-pass-123"})
    world.trainee.refresh_from_db()
    assert world.trainee.last_login is not None
    assert _todo(client) != before
