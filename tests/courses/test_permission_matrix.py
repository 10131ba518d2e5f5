"""Every page and API endpoint of course delivery, asked by every role: one table of expected answers.

Roles: anonymous, trainee of the cohort, trainee of another cohort, instructor of the cohort, instructor of
another cohort, staff of the district, staff of another district. A refused write changes nothing.
"""

import pytest

from courses import checkin_codes, services
from courses.models import Attendance, AttendanceCorrection, Enrolment, EnrolmentStatus, Session
from lms.models import AuditEntry
from tests.lms.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "trainee", "other_trainee", "instructor", "other_instructor", "staff", "other_staff"]


def by_role(anonymous, trainee, other_trainee, instructor, other_instructor, staff, other_staff):
    return dict(
        zip(ROLES, (anonymous, trainee, other_trainee, instructor, other_instructor, staff, other_staff), strict=True)
    )


LOGIN = 302
API_ANON = 403
# Pages of the cohort's members (content) and of those who teach it (sheets, tables).
PAGE_TEACH = by_role(LOGIN, 404, 404, 200, 404, 200, 404)
PAGE_TEACH_POST = by_role(LOGIN, 404, 404, 302, 404, 302, 404)
PAGE_MANAGE_POST = by_role(LOGIN, 404, 404, 403, 404, 302, 404)
API_VIEW = by_role(API_ANON, 200, 404, 200, 404, 200, 404)
API_LIST = by_role(API_ANON, 200, 200, 200, 200, 200, 200)

# name: (method, url(o), data(o), expected)
ENDPOINTS = {
    # --- pages
    "page check-in list": ("get", lambda o: "/check-in/", None, by_role(LOGIN, 200, 200, 200, 200, 200, 200)),
    "page check-in form": (
        "get",
        lambda o: f"/check-in/{o.session.pk}/?t={checkin_codes.token_for(o.session.pk)}",
        None,
        by_role(LOGIN, 200, 200, 200, 200, 200, 200),
    ),
    "page check-in post": (
        "post",
        lambda o: f"/check-in/{o.session.pk}/",
        lambda o: {"code": checkin_codes.code_for(o.session.pk)},
        by_role(LOGIN, 200, 404, 403, 404, 403, 404),  # who may not see the session: as if missing
    ),
    "page attendance sheet": ("get", lambda o: f"/sessions/{o.session.pk}/", None, PAGE_TEACH),
    "page record attendance": (
        "post",
        lambda o: f"/sessions/{o.session.pk}/attendance/",
        lambda o: {"enrolment": o.second.pk, "status": "absent"},
        PAGE_TEACH_POST,
    ),
    "page check-in screen": ("get", lambda o: f"/sessions/{o.session.pk}/screen/", None, PAGE_TEACH),
    "page check-in screen state": ("get", lambda o: f"/sessions/{o.session.pk}/screen.json", None, PAGE_TEACH),
    "page correct attendance": (
        "post",
        lambda o: f"/attendance/{o.attendance.pk}/correct/",
        lambda o: {"status": "excused", "reason": "病假"},
        PAGE_TEACH_POST,
    ),
    "page district overview": (
        "get",
        lambda o: "/district/cohorts/",
        None,
        by_role(LOGIN, 403, 403, 403, 403, 200, 200),
    ),
    "page cohort detail": ("get", lambda o: f"/cohorts/{o.world.cohort.pk}/", None, PAGE_TEACH),
    "page enrol": (
        "post",
        lambda o: f"/cohorts/{o.world.cohort.pk}/enrol/",
        lambda o: {"trainee": o.newcomer.username, "community": o.world.community.pk},
        PAGE_MANAGE_POST,
    ),
    "page schedule session": (
        "post",
        lambda o: f"/cohorts/{o.world.cohort.pk}/sessions/",
        lambda o: {
            "lesson": o.world.skills_lesson.pk,
            "date": f"{o.world.cohort.year}-04-16",
            "start_time": "09:00",
            "end_time": "11:00",
            "place": "西樵镇河岗社区",
        },
        PAGE_TEACH_POST,
    ),
    "page withdraw": (
        "post",
        lambda o: f"/enrolments/{o.second.pk}/withdraw/",
        lambda o: {"reason": "工作调动"},
        PAGE_MANAGE_POST,
    ),
    # --- API
    "api courses": ("get", lambda o: "/api/v1/courses/", None, API_LIST),
    "api course": ("get", lambda o: f"/api/v1/courses/{o.world.cohort.course_id}/", None, API_VIEW),
    "api cohorts": ("get", lambda o: "/api/v1/cohorts/", None, API_LIST),
    "api cohort": ("get", lambda o: f"/api/v1/cohorts/{o.world.cohort.pk}/", None, API_VIEW),
    "api modules": ("get", lambda o: "/api/v1/modules/", None, API_LIST),
    "api module": ("get", lambda o: f"/api/v1/modules/{o.world.basics.pk}/", None, API_VIEW),
    "api lessons": ("get", lambda o: "/api/v1/lessons/", None, API_LIST),
    "api lesson": ("get", lambda o: f"/api/v1/lessons/{o.world.basics_lessons[0].pk}/", None, API_VIEW),
    "api sessions": ("get", lambda o: "/api/v1/sessions/", None, API_LIST),
    "api session": ("get", lambda o: f"/api/v1/sessions/{o.session.pk}/", None, API_VIEW),
    "api session create": (
        "post",
        lambda o: "/api/v1/sessions/",
        lambda o: {
            "lesson": o.world.skills_lesson.pk,
            "date": f"{o.world.cohort.year}-04-16",
            "start_time": "09:00",
            "end_time": "11:00",
            "place": "西樵镇河岗社区",
        },
        by_role(API_ANON, 403, 400, 201, 400, 201, 400),
    ),
    "api session attendance sheet": (
        "get",
        lambda o: f"/api/v1/sessions/{o.session.pk}/attendance/",
        None,
        by_role(API_ANON, 403, 404, 200, 404, 200, 404),
    ),
    "api enrolments": ("get", lambda o: "/api/v1/enrolments/", None, API_LIST),
    "api enrolment": ("get", lambda o: f"/api/v1/enrolments/{o.world.enrolment.pk}/", None, API_VIEW),
    "api enrolment create": (
        "post",
        lambda o: "/api/v1/enrolments/",
        lambda o: {"cohort": o.world.cohort.pk, "trainee": o.newcomer.pk, "community": o.world.community.pk},
        by_role(API_ANON, 403, 404, 403, 404, 201, 404),
    ),
    "api enrolment withdraw": (
        "post",
        lambda o: f"/api/v1/enrolments/{o.second.pk}/withdraw/",
        lambda o: {"reason": "工作调动"},
        by_role(API_ANON, 404, 404, 403, 404, 200, 404),
    ),
    "api progress": ("get", lambda o: f"/api/v1/progress/?cohort={o.world.cohort.pk}", None, API_LIST),
    "api attendance list": ("get", lambda o: "/api/v1/attendance/", None, API_LIST),
    "api attendance": ("get", lambda o: f"/api/v1/attendance/{o.attendance.pk}/", None, API_VIEW),
    "api attendance record": (
        "post",
        lambda o: "/api/v1/attendance/",
        lambda o: {"session": o.session.pk, "enrolment": o.second.pk, "status": "present"},
        by_role(API_ANON, 403, 404, 201, 404, 201, 404),
    ),
    "api attendance correct": (
        "post",
        lambda o: f"/api/v1/attendance/{o.attendance.pk}/correct/",
        lambda o: {"status": "excused", "reason": "病假"},
        by_role(API_ANON, 404, 404, 200, 404, 200, 404),
    ),
    "api check-in": (
        "post",
        lambda o: "/api/v1/check-in/",
        lambda o: {"session": o.session.pk, "code": checkin_codes.code_for(o.session.pk)},
        by_role(API_ANON, 201, 404, 403, 404, 403, 404),
    ),
}


class Objects:
    def __init__(self, world, session):
        self.world = world
        self.session = session
        # a second trainee of the cohort, the one written about, so the world's trainee keeps its own rows
        self.second = Enrolment.objects.create(
            cohort=world.cohort, trainee=UserFactory(), community=world.community, status=EnrolmentStatus.ACTIVE
        )
        self.attendance = services.attendance_record(
            session=session, enrolment=self.second, status="absent", actor=world.instructor
        )
        self.attendance.refresh_from_db()
        # the world's trainee reads its own record through the API
        self.own = Attendance.objects.create(
            session=session, enrolment=world.enrolment, status="absent", source="instructor", recorded_by=world.staff
        )
        self.newcomer = UserFactory()


def state():
    return (
        Attendance.objects.count(),
        sorted(Attendance.objects.values_list("status", flat=True)),
        AttendanceCorrection.objects.count(),
        Session.objects.count(),
        sorted(Enrolment.objects.values_list("pk", "status")),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_permission_matrix(client, world, session, clock, endpoint, role):
    method, url, data, expected = ENDPOINTS[endpoint]
    o = Objects(world, session)
    if endpoint == "api attendance":
        expected = {**expected, "trainee": 404}  # a trainee sees only its own record ...
        if role == "trainee":
            url = lambda o: f"/api/v1/attendance/{o.own.pk}/"  # noqa: E731
            expected = {**expected, "trainee": 200}  # ... which it does see
    if endpoint == "api check-in" or endpoint == "page check-in post":
        Attendance.objects.filter(pk=o.own.pk).delete()
    if role != "anonymous":
        client.force_login(getattr(world, role))
    before = state()
    if method == "get":
        response = client.get(url(o))
    elif endpoint.startswith("api"):
        response = client.post(url(o), data(o), content_type="application/json")
    else:
        response = client.post(url(o), data(o))
    assert response.status_code == expected[role], (endpoint, role, response.content[:300])
    if response.status_code >= 300 and method == "post" and not (role != "anonymous" and response.status_code == 302):
        assert state() == before
    if endpoint.startswith("api") and response.status_code >= 400:
        assert set(response.json()["error"]) >= {"code", "message"}
