"""The three homes: what each role must do next, from the selectors where each rule lives."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from certificates.eligibility import cohort_eligibility
from certificates.models import CompletionRule
from courses.models import Attendance, AttendanceSource, AttendanceStatus, Enrolment
from fieldwork import services as fieldwork_services
from fieldwork.models import Submission, SubmissionState
from fieldwork.projects.models import CaseStatus, NextStep
from lms.cohort_cache import cohort_changed
from lms.models import User
from tests.courses.factories import SessionFactory
from tests.projects.factories import FieldProjectFactory, ModelCaseFactory, SupportVisitFactory


def english(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})


def test_todo_leads_each_person_to_its_home(client, world):
    for user, target in (
        (world.trainee, "/todo/trainee/"),
        (world.instructor, "/todo/instructor/"),
        (world.staff, "/todo/staff/"),
        (world.stranger, "/learn/"),
    ):
        client.force_login(user)
        response = client.get("/todo/")
        assert response.status_code == 302 and response["Location"] == target, user


@pytest.mark.parametrize("url", ["/todo/instructor/", "/todo/staff/"])
def test_a_trainee_cannot_open_other_roles_homes(client, world, url):
    client.force_login(world.trainee)
    assert client.get(url).status_code == 404


def test_the_top_bar_links_to_the_home(client, world):
    client.force_login(world.trainee)
    assert 'data-testid="todo-link"' in client.get("/todo/trainee/").content.decode()


def test_trainee_sees_its_extended_due_date_returned_work_and_released_grades(client, field):
    world = field.world
    extended = timezone.now() + timedelta(days=20)
    fieldwork_services.extension_grant(
        assignment=field.team_assignment, due_at=extended, reason="病假", actor=world.instructor, team=field.team
    )
    returned = field.submitted()
    fieldwork_services.submission_return(submission=returned, feedback="请补充。", actor=world.instructor)
    english(client, world.trainee)
    page = client.get("/todo/trainee/").content.decode()
    local = timezone.localtime(extended).strftime("%Y-%m-%d %H:%M")
    assert f'data-testid="due-{field.team_assignment.pk}">Due {local} <span class="tag">extended</span>' in page
    assert 'data-testid="returned"' in page and "社区资产地图" in page
    # The assignment page itself shows the extended date too.
    detail = client.get(f"/assignments/{field.team_assignment.pk}/").content.decode()
    assert local in detail
    listing = client.get(f"/modules/{world.skills.pk}/assignments/").content.decode()
    assert f"Due {local} (extended)" in listing


def test_trainee_sees_a_released_grade_and_not_an_unreleased_one(client, field):
    world = field.world
    field.graded()
    client.force_login(world.trainee)
    assert 'data-testid="released"' not in client.get("/todo/trainee/").content.decode()
    fieldwork_services.assignment_release_grades(assignment=field.assignment, actor=world.instructor)
    page = client.get("/todo/trainee/").content.decode()
    assert 'data-testid="released"' in page and "15.0" in page


def test_trainee_sees_the_next_session_with_check_in_when_open(client, world):
    now = timezone.now()
    session = SessionFactory(lesson=world.basics_lessons[0], starts_at=now + timedelta(minutes=10))
    client.force_login(world.trainee)
    page = client.get("/todo/trainee/").content.decode()
    assert world.basics_lessons[0].title in page and f'href="/check-in/{session.pk}/"' in page


def test_trainee_sees_open_next_steps_and_the_reasons_it_is_not_eligible(client, field):
    world = field.world
    CompletionRule.objects.create(cohort=world.cohort, min_lesson_percent=100)
    project = FieldProjectFactory(team=field.team, title="特色农耕馆")
    visit = SupportVisitFactory(project=project, instructor=world.instructor)
    NextStep.objects.create(visit=visit, description="组织第二次议事会", owner="黄书记")
    NextStep.objects.create(visit=visit, description="已完成的一步", owner="黄书记", done=True)
    english(client, world.trainee)
    page = client.get("/todo/trainee/").content.decode()
    assert "组织第二次议事会" in page and "已完成的一步" not in page
    [row] = cohort_eligibility(cohort=world.cohort, enrolment_ids=[world.enrolment.pk])
    assert row.reasons and all(escape(reason) in page for reason in row.reasons)


def test_instructor_sees_work_to_grade_oldest_first_objections_sessions_steps_and_cases(client, field):
    world = field.world
    first = field.submitted()
    second = field.submitted(enrolment=field.classmate_enrolment)
    Submission.objects.filter(pk=first.pk).update(submitted_at=timezone.now() - timedelta(days=2))
    objected = field.released(enrolment=field.teammate_enrolment)
    fieldwork_services.objection_raise(submission=objected, reason="评分偏低", actor=field.teammate)
    session = SessionFactory(lesson=world.basics_lessons[0], starts_at=timezone.now() + timedelta(minutes=1))
    project = FieldProjectFactory(team=field.team, title="特色农耕馆")
    visit = SupportVisitFactory(project=project, instructor=world.instructor)
    NextStep.objects.create(
        visit=visit, description="修复风扇", owner="居委会", due_on=timezone.localdate() - timedelta(days=1)
    )
    NextStep.objects.create(
        visit=visit, description="下周的事", owner="居委会", due_on=timezone.localdate() + timedelta(days=7)
    )
    ModelCaseFactory(project=project, status=CaseStatus.SUBMITTED, title="农耕馆共建模式", submitted_at=timezone.now())
    client.force_login(world.instructor)
    page = client.get("/todo/instructor/").content.decode()
    assert 'data-testid="to-grade-count">2<' in page
    assert page.index(f"/submissions/{first.pk}/grade/") < page.index(f"/submissions/{second.pk}/grade/")
    assert f"/submissions/{objected.pk}/grade/" in page  # under objections
    assert f"/sessions/{session.pk}/screen/" in page and f"/sessions/{session.pk}/" in page
    assert "修复风扇" in page and "下周的事" not in page
    assert "农耕馆共建模式" in page


def test_instructor_home_shows_nothing_of_other_cohorts(client, field):
    field.submitted(assignment=field.other_assignment, enrolment=field.world.other_enrolment)
    client.force_login(field.world.instructor)
    assert 'data-testid="to-grade-count">0<' in client.get("/todo/instructor/").content.decode()


def test_staff_sees_each_cohort_with_states_reasons_and_certificates(client, field):
    world = field.world
    CompletionRule.objects.create(cohort=world.cohort, min_lesson_percent=100)
    field.submitted()
    english(client, world.staff)
    page = client.get("/todo/staff/").content.decode()
    assert world.cohort.name in page and world.other_cohort.name not in page
    assert "Submitted 1" in page
    assert "3 trainees not yet eligible" in page and "Lessons not finished: 3" in page


# --- query counts at two sizes


def grow(world, field, count: int, session, prefix: str) -> None:
    """`count` more active trainees, each with handed-in work and an attendance at the session."""
    users = User.objects.bulk_create(
        [User(username=f"{prefix}{i}", full_name=f"学员{prefix}{i}", password="!") for i in range(count)]
    )
    enrolments = Enrolment.objects.bulk_create(
        [Enrolment(cohort=world.cohort, trainee=u, community=world.community) for u in users]
    )
    now = timezone.now()
    Submission.objects.bulk_create(
        [
            Submission(assignment=field.assignment, enrolment=e, state=SubmissionState.SUBMITTED, submitted_at=now)
            for e in enrolments
        ]
    )
    Attendance.objects.bulk_create(
        [
            Attendance(
                session=session,
                enrolment=e,
                status=AttendanceStatus.PRESENT,
                source=AttendanceSource.INSTRUCTOR,
                recorded_by=world.instructor,
            )
            for e in enrolments
        ]
    )


# Session and user (2), the bell (1), roles (3), then the home itself.
# The staff home computes on a miss of its per-cohort cache (as here: a fresh cache per test) and reads the
# cache on the next request.
LIMITS = {"trainee": 20, "instructor": 11, "staff": 26}
CACHED_LIMITS = {"staff": 10}  # + the to-do counts that change without a cohort row: sign-ins, the clock


@pytest.mark.parametrize("role", list(LIMITS))
def test_homes_answer_in_the_same_queries_at_5_and_100_trainees(client, field, role, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    world = field.world
    CompletionRule.objects.create(cohort=world.cohort, min_lesson_percent=100, min_attendance_percent=50)
    session = SessionFactory(lesson=world.basics_lessons[0], starts_at=timezone.now() - timedelta(hours=1))
    user = {"trainee": world.trainee, "instructor": world.instructor, "staff": world.staff}[role]
    counts = []
    for more in (2, 97):  # 3 trainees in the world, then 5, then 102
        grow(world, field, more, session, prefix=f"size{len(counts)}-")
        cohort_changed(world.cohort.pk)  # grow() writes by bulk_create, which no save signal sees
        client.force_login(user)
        with django_assert_max_num_queries(LIMITS[role]), CaptureQueriesContext(connection) as queries:
            response = client.get(f"/todo/{role}/")
        assert response.status_code == 200
        counts.append(len(queries))
        if role in CACHED_LIMITS:
            with django_assert_max_num_queries(CACHED_LIMITS[role]):
                page = client.get(f"/todo/{role}/").content.decode()
                assert page[page.index("<h1") :] == response.content.decode()[page.index("<h1") :]
    assert counts[0] == counts[1], counts
