import pytest
from django.urls import reverse

from courses.models import Attendance, AttendanceSource, AttendanceStatus, LessonCompletion
from fieldwork.models import Submission, SubmissionState, WorkMode
from lms.models import AuditEntry
from tests.courses.factories import EnrolmentFactory, SessionFactory
from tests.lms.factories import CommunityFactory

pytestmark = pytest.mark.django_db


def _fill(world, *, trainees: int, community_name: str = "西樵社区"):
    """`trainees` more trainees in a second community; each attends the session and does one lesson."""
    from tests.fieldwork.factories import AssignmentFactory

    session = SessionFactory(lesson=world.basics_lessons[0])
    elsewhere = CommunityFactory(town=world.community.town, name=community_name)
    assignment = AssignmentFactory(module=world.basics, title="社区资产地图", mode=WorkMode.INDIVIDUAL)
    for _ in range(trainees):
        enrolment = EnrolmentFactory(cohort=world.cohort, community=elsewhere)
        Attendance.objects.create(
            session=session, enrolment=enrolment, status=AttendanceStatus.PRESENT,
            source=AttendanceSource.INSTRUCTOR, recorded_by=world.instructor,
        )
        LessonCompletion.objects.create(enrolment=enrolment, lesson=world.basics_lessons[0])
        Submission.objects.create(assignment=assignment, enrolment=enrolment, state=SubmissionState.SUBMITTED)
    return elsewhere


def test_dashboard_shows_each_chart_with_its_table(client, world):
    elsewhere = _fill(world, trainees=3)
    client.force_login(world.staff)
    page = client.get(reverse("cohort-dashboard", args=[world.cohort.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    for part in ("progress", "attendance", "submissions", "participation", "communities"):
        assert f'data-testid="dashboard-{part}"' in html
    assert html.count("<svg") >= 3 and "社区资产地图" in html
    board = page.context["board"]
    assert board.trainees == 4
    assert board.sessions[0]["value"] == 3 and board.sessions[0]["unrecorded"] == 1
    assert board.assignments[0]["values"][:2] == [1, 3]  # one not handed in, three submitted
    centralized = board.phases[0]["values"]
    assert centralized == [1, 3, 0, 0]  # three did 1 of 3 lessons, one did none

    filtered = client.get(reverse("cohort-dashboard", args=[world.cohort.pk]), {"community": elsewhere.pk})
    assert filtered.context["board"].trainees == 3
    assert filtered.context["board"].assignments[0]["values"][:2] == [0, 3]


@pytest.mark.parametrize("value", ["abc", "99999999", "-1", "1e3", "9" * 30])
def test_unknown_filter_answers_400_with_a_message(client, world, value):
    client.force_login(world.staff)
    before = AuditEntry.objects.changes().count()
    page = client.get(reverse("cohort-dashboard", args=[world.cohort.pk]), {"community": value})
    assert page.status_code == 400
    assert "社区" in page.content.decode()
    assert AuditEntry.objects.changes().count() == before


def test_another_districts_community_is_an_unknown_filter(client, world):
    client.force_login(world.staff)
    foreign = world.other_enrolment.community
    page = client.get(reverse("cohort-dashboard", args=[world.cohort.pk]), {"community": foreign.pk})
    assert page.status_code == 400


@pytest.mark.parametrize(
    ("role", "status"),
    [("staff", 200), ("instructor", 200), ("trainee", 404), ("other_staff", 404), ("other_instructor", 404),
     ("stranger", 404)],
)
def test_dashboard_is_for_staff_and_the_cohorts_instructors(client, world, role, status):
    client.force_login(world.roles()[role])
    assert client.get(reverse("cohort-dashboard", args=[world.cohort.pk])).status_code == status


def test_dashboard_takes_the_same_number_of_queries_at_any_size(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.staff)
    url = reverse("cohort-dashboard", args=[world.cohort.pk])
    counts = []
    for trainees in (2, 20):
        _fill(world, trainees=trainees, community_name=f"社区{trainees}")
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 25, counts
