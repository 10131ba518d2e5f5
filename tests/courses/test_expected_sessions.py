"""A team's session is that team's: sessions expected of an enrolment, one home and everything asking it.

Everyone's sessions count for everyone of the cohort; a field-guidance session for a team counts and takes
check-in only from its members, one for a community only from that community's trainees.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certificates import services as certificate_services
from certificates.eligibility import MET, cohort_eligibility
from courses import checkin_codes, selectors, services
from courses.models import Attendance, AttendanceSource, Enrolment, LessonKind, Session
from lms.errors import ValidationFailed
from tests.courses.conftest import SESSION_START
from tests.courses.factories import EnrolmentFactory, LessonFactory, SessionFactory, TeamFactory
from tests.lms.factories import CommunityFactory

pytestmark = pytest.mark.django_db


class Teams:
    """Team A (community 河岗) and team B (community 竹园) of the world's cohort, a lecture for everyone and a
    field-guidance session for team A, both held on the same morning."""

    def __init__(self, world):
        self.world = world
        self.other_community = CommunityFactory(town=world.community.town, name="竹园社区")
        self.team_a = TeamFactory(cohort=world.cohort, name="河岗队", community=world.community)
        self.team_b = TeamFactory(cohort=world.cohort, name="竹园队", community=self.other_community)
        self.a = world.enrolment
        self.a.team = self.team_a
        self.a.save(update_fields=["team"])
        self.b = EnrolmentFactory(cohort=world.cohort, community=self.other_community, team=self.team_b)
        guidance = LessonFactory(module=world.basics, position=9, kind=LessonKind.FIELD_GUIDANCE, title="实地指导")
        self.lecture = SessionFactory(lesson=world.basics_lessons[0], starts_at=SESSION_START - timedelta(days=7))
        self.guidance_a = SessionFactory(lesson=guidance, starts_at=SESSION_START, team=self.team_a)
        self.guidance_a.instructors.add(world.instructor)

    def mark(self, session, enrolment, status="present"):
        Attendance.objects.create(
            session=session,
            enrolment=enrolment,
            status=status,
            source=AttendanceSource.INSTRUCTOR,
            recorded_by=self.world.instructor,
        )


@pytest.fixture
def teams(world):
    return Teams(world)


def test_team_b_share_is_unaffected_by_team_a_guidance_session(teams, clock):
    clock.set(SESSION_START + timedelta(days=1))  # both sessions held
    teams.mark(teams.lecture, teams.a)
    teams.mark(teams.guidance_a, teams.a)
    teams.mark(teams.lecture, teams.b)
    shares = selectors.attendance_shares(enrolments=[teams.a, teams.b])
    assert (shares[teams.a.pk].attended, shares[teams.a.pk].held, shares[teams.a.pk].percent) == (2, 2, 100)
    assert (shares[teams.b.pk].attended, shares[teams.b.pk].held, shares[teams.b.pk].percent) == (1, 1, 100)
    certificate_services.completion_rule_save(
        cohort=teams.world.cohort, actor=teams.world.staff, min_lesson_percent=0, min_attendance_percent=80
    )
    rows = {row.enrolment.pk: row for row in cohort_eligibility(cohort=teams.world.cohort)}
    assert [r.status for r in rows[teams.b.pk].results if r.key == "attendance"] == [MET]


def test_team_b_is_refused_at_team_a_check_in_with_the_reason(client, teams, clock):
    client.force_login(teams.b.trainee)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    code = checkin_codes.code_for(teams.guidance_a.pk)
    response = client.post(f"/check-in/{teams.guidance_a.pk}/", {"code": code})
    assert response.status_code == 403
    page = response.content.decode()
    assert 'data-code="not_expected"' in page
    assert "This session is for the team “河岗队” only, so you cannot check in here." in page
    api = client.post(
        "/api/v1/check-in/", {"session": teams.guidance_a.pk, "code": code}, content_type="application/json"
    )
    assert api.status_code == 403 and api.json()["error"]["code"] == "not_expected"
    assert not Attendance.objects.exists()
    # Team A's member checks in as before.
    client.force_login(teams.a.trainee)
    assert client.post(f"/check-in/{teams.guidance_a.pk}/", {"code": code}).status_code == 200
    assert list(Attendance.objects.values_list("enrolment_id", flat=True)) == [teams.a.pk]


def test_community_session_takes_check_in_from_that_community_only(teams, clock, english):
    guidance = teams.guidance_a.lesson
    session = SessionFactory(lesson=guidance, starts_at=SESSION_START, community=teams.other_community)
    code = checkin_codes.code_for(session.pk)
    with pytest.raises(services.CheckInRefused) as refused:
        services.attendance_check_in(session=session, user=teams.a.trainee, code=code)
    assert refused.value.code == "not_expected"
    assert (
        str(refused.value.message) == "This session is for the trainees of 竹园社区 only, so you cannot check in here."
    )
    _attendance, created = services.attendance_check_in(session=session, user=teams.b.trainee, code=code)
    assert created and Attendance.objects.get().enrolment == teams.b


def test_open_sessions_list_and_trainee_home_leave_out_another_team_session(client, teams, clock):
    client.force_login(teams.b.trainee)
    assert f'data-testid="open-session-{teams.guidance_a.pk}"' not in client.get("/check-in/").content.decode()
    home = client.get("/todo/trainee/").content.decode()
    assert "实地指导" not in home
    client.force_login(teams.a.trainee)
    assert f'data-testid="open-session-{teams.guidance_a.pk}"' in client.get("/check-in/").content.decode()
    assert "实地指导" in client.get("/todo/trainee/").content.decode()


def test_sheet_lists_only_the_team_and_refuses_recording_another_team(client, teams, english):
    rows = selectors.attendance_sheet(session=teams.guidance_a)
    assert [row.enrolment.pk for row in rows] == [teams.a.pk]
    assert [e.pk for e in selectors.not_checked_in(session=teams.guidance_a)] == [teams.a.pk]
    with pytest.raises(ValidationFailed) as refused:
        services.attendance_record(
            session=teams.guidance_a, enrolment=teams.b, status="present", actor=teams.world.instructor
        )
    assert refused.value.code == "not_expected"
    assert not Attendance.objects.exists()


def test_a_record_at_another_team_session_counts_for_nobody(teams, clock):
    """A row written before the rule (B checked in to A's session) neither lifts B's share nor the session's."""
    clock.set(SESSION_START + timedelta(days=1))
    teams.mark(teams.guidance_a, teams.b)
    assert selectors.attendance_shares(enrolments=[teams.b])[teams.b.pk].attended == 0
    [guidance] = [s for s in selectors.cohort_sessions(cohort=teams.world.cohort) if s.pk == teams.guidance_a.pk]
    assert (guidance.expected, guidance.attended, guidance.share.percent) == (1, 0, 0)


def test_expected_sessions_query_and_predicate_agree(teams):
    """Every session × enrolment: the QuerySet home, its reverse, the records' filter and the predicate agree."""
    world = teams.world
    guidance = teams.guidance_a.lesson
    sessions = [
        teams.lecture,
        teams.guidance_a,
        SessionFactory(lesson=guidance, team=teams.team_b),
        SessionFactory(lesson=guidance, community=world.community),
        SessionFactory(lesson=guidance, community=teams.other_community),
        SessionFactory(lesson=guidance, team=teams.team_a, community=teams.other_community),
        SessionFactory(lesson=world.other_lesson),
    ]
    enrolments = [
        teams.a,
        teams.b,
        EnrolmentFactory(cohort=world.cohort, community=world.community),  # no team, community 河岗
        EnrolmentFactory(cohort=world.cohort, community=teams.other_community),  # no team, community 竹园
        EnrolmentFactory(cohort=world.cohort, community=world.community, team=teams.team_b),  # B, living in 河岗
        world.other_enrolment,
    ]
    for enrolment in enrolments:
        Attendance.objects.bulk_create(
            Attendance(session=s, enrolment=enrolment, status="present", source="self", recorded_by=world.trainee)
            for s in sessions
        )
    records = set(Attendance.objects.at_expected_sessions().values_list("session_id", "enrolment_id"))
    for enrolment in enrolments:
        by_predicate = {s.pk for s in sessions if s.is_expected_of(enrolment)}
        assert set(Session.objects.expected_of(enrolment).values_list("pk", flat=True)) == by_predicate
        assert set(Session.objects.expected_of_any([enrolment]).values_list("pk", flat=True)) == by_predicate
        assert {s for s, e in records if e == enrolment.pk} == by_predicate
    for session in sessions:
        by_predicate = {e.pk for e in enrolments if session.is_expected_of(e)}
        assert set(Enrolment.objects.expected_at(session).values_list("pk", flat=True)) == by_predicate
    assert {s.pk for s in sessions if s.is_expected_of(teams.a)} == {teams.lecture.pk, teams.guidance_a.pk} | {
        sessions[3].pk,
        sessions[5].pk,
    }


@pytest.mark.parametrize("selector", ["shares", "open sessions", "cohort sessions"])
def test_selectors_take_the_same_queries_at_two_sizes(teams, clock, selector):
    world = teams.world
    counts = []
    for size in (2, 60):
        for _ in range(size):
            enrolment = EnrolmentFactory(cohort=world.cohort, community=world.community, team=teams.team_a)
            teams.mark(teams.lecture, enrolment)
            SessionFactory(lesson=world.basics_lessons[1], starts_at=SESSION_START, team=teams.team_a)
        enrolments = list(Enrolment.objects.all())
        calls = {
            "shares": lambda: selectors.attendance_shares(enrolments=enrolments),  # noqa: B023 - called at once
            "open sessions": lambda: selectors.open_sessions_for_trainee(user=teams.a.trainee),
            "cohort sessions": lambda: [s.share for s in selectors.cohort_sessions(cohort=world.cohort)],
        }
        call = calls[selector]
        with CaptureQueriesContext(connection) as queries:
            call()
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 2, counts


def test_session_tomorrow_is_announced_to_the_team_it_is_for_only(teams):
    from notifications import services as notification_services
    from notifications.models import Kind, Notification

    notification_services.remind_sessions_tomorrow(now=SESSION_START - timedelta(days=1))
    told = set(Notification.objects.filter(kind=Kind.SESSION_TOMORROW).values_list("recipient_id", "target_id"))
    assert (teams.a.trainee_id, teams.guidance_a.pk) in told
    assert (teams.b.trainee_id, teams.guidance_a.pk) not in told
