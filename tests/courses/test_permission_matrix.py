"""Every page and API endpoint of course delivery, asked by every role: one table of expected answers.

Roles: anonymous, trainee of the cohort, trainee of another cohort, instructor of the cohort, instructor of
another cohort, staff of the district, staff of another district. A refused write changes nothing.
"""

from datetime import date

import pytest

from courses import checkin_codes, services
from courses.models import (
    Attendance,
    AttendanceCorrection,
    Cohort,
    Enrolment,
    EnrolmentStatus,
    Lesson,
    LessonAttachment,
    Module,
    Phase,
    Session,
    Teaching,
)
from courses.services import setup as setup_services
from fieldwork.models import Assignment, RubricLevel
from lms.models import AuditEntry, User
from tests.courses.factories import ModuleFactory, SessionFactory
from tests.fieldwork.factories import PDF_BYTES, AssignmentFactory, upload
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
PAGE_STAFF_ANY = by_role(LOGIN, 404, 404, 404, 404, 200, 200)
PAGE_STAFF = by_role(LOGIN, 404, 404, 404, 404, 200, 404)
PAGE_STAFF_POST = by_role(LOGIN, 404, 404, 404, 404, 302, 404)
API_VIEW = by_role(API_ANON, 200, 404, 200, 404, 200, 404)
API_LIST = by_role(API_ANON, 200, 200, 200, 200, 200, 200)

SETUP_LIST = by_role(LOGIN, 403, 403, 403, 403, 200, 200)
SETUP_GET = by_role(LOGIN, 404, 404, 404, 404, 200, 404)
SETUP_POST = by_role(LOGIN, 404, 404, 404, 404, 302, 404)
AUDIT = by_role(LOGIN, 403, 403, 200, 200, 200, 200)

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
    # --- people, sheets and instructors (district staff only; everyone else is answered "not found")
    "page people": ("get", lambda o: "/people/", None, PAGE_STAFF_ANY),
    "page person new": ("get", lambda o: "/people/new/", None, PAGE_STAFF_ANY),
    "page person create": (
        "post",
        lambda o: "/people/new/",
        lambda o: {
            "full_name": "李丽",
            "mobile": "13800012345",
            "community": o.world.community.pk,
            "cohort": o.world.cohort.pk,
            "role": "trainee",
        },
        PAGE_STAFF,
    ),
    "page person": ("get", lambda o: f"/people/{o.second.trainee_id}/", None, PAGE_STAFF),
    "page person edit": (
        "post",
        lambda o: f"/people/{o.second.trainee_id}/edit/",
        lambda o: {"full_name": "梁慧敏", "mobile": "13700000000", "email": "", "community": ""},
        PAGE_STAFF_POST,
    ),
    "page person deactivate": (
        "post",
        lambda o: f"/people/{o.second.trainee_id}/deactivate/",
        lambda o: {},
        PAGE_STAFF_POST,
    ),
    "page person password reset": (
        "post",
        lambda o: f"/people/{o.second.trainee_id}/password-reset/",
        lambda o: {},
        PAGE_STAFF,
    ),
    "page enrol sheet": ("get", lambda o: f"/cohorts/{o.world.cohort.pk}/enrol-sheet/", None, PAGE_STAFF),
    "page enrol sheet template": (
        "get",
        lambda o: f"/cohorts/{o.world.cohort.pk}/enrol-sheet/template.xlsx",
        None,
        PAGE_STAFF,
    ),
    "page enrol sheet preview": (
        "post",
        lambda o: f"/cohorts/{o.world.cohort.pk}/enrol-sheet/",
        lambda o: {"sheet": o.sheet()},
        PAGE_STAFF,
    ),
    "page enrol sheet commit": (
        "post",
        lambda o: f"/cohorts/{o.world.cohort.pk}/enrol-sheet/commit/",
        lambda o: {"staged": "0" * 32 + ".json"},
        by_role(LOGIN, 404, 404, 404, 404, 400, 404),
    ),
    "page first-password links": (
        "post",
        lambda o: f"/cohorts/{o.world.cohort.pk}/enrol-sheet/links.xlsx",
        lambda o: {},
        PAGE_STAFF,
    ),
    "page instructor add": (
        "post",
        lambda o: f"/cohorts/{o.world.cohort.pk}/instructors/",
        lambda o: {"handle": o.newcomer.username},
        PAGE_STAFF_POST,
    ),
    "page instructor remove": (
        "post",
        lambda o: f"/cohorts/{o.world.cohort.pk}/instructors/{o.teaching.pk}/remove/",
        lambda o: {},
        PAGE_STAFF_POST,
    ),
    "page password change": ("get", lambda o: "/accounts/password/change/", None, by_role(LOGIN, *[200] * 6)),
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
    # --- cohort set-up (staff of the district only; foreign ids are not found)
    "setup cohort list": ("get", lambda o: "/setup/cohorts/", None, SETUP_LIST),
    "setup cohort create form": ("get", lambda o: "/setup/cohorts/new/", None, SETUP_LIST),
    "setup cohort create": (
        "post",
        lambda o: "/setup/cohorts/new/",
        lambda o: {
            "course": o.world.cohort.course_id,
            "district": o.world.district.pk,
            "name": "新班级",
            "year": 2090,
            "starts_on": "2090-03-01",
            "ends_on": "2090-12-01",
        },
        by_role(LOGIN, 403, 403, 403, 403, 302, 400),
    ),
    "setup cohort": ("get", lambda o: f"/setup/cohorts/{o.world.cohort.pk}/", None, SETUP_GET),
    "setup cohort edit": (
        "post",
        lambda o: f"/setup/cohorts/{o.world.cohort.pk}/edit/",
        lambda o: {"name": "改名", "starts_on": "2022-01-01", "ends_on": "2022-12-31"},
        SETUP_POST,
    ),
    "setup module create": (
        "post",
        lambda o: f"/setup/cohorts/{o.world.cohort.pk}/modules/new/",
        lambda o: {"phase": "field", "position": 7, "title": "实地支持"},
        SETUP_POST,
    ),
    "setup module": (
        "get",
        lambda o: f"/setup/cohorts/{o.world.cohort.pk}/modules/{o.world.skills.pk}/",
        None,
        SETUP_GET,
    ),
    "setup lesson create": (
        "post",
        lambda o: f"/setup/cohorts/{o.world.cohort.pk}/modules/{o.world.skills.pk}/lessons/new/",
        lambda o: {"position": 7, "kind": "lecture", "title": "新课时", "duration_minutes": 60},
        SETUP_POST,
    ),
    "setup lesson": ("get", lambda o: f"/setup/lessons/{o.world.skills_lesson.pk}/", None, SETUP_GET),
    "setup attachment remove": (
        "post",
        lambda o: f"/setup/attachments/{o.attachment.pk}/remove/",
        lambda o: {},
        SETUP_POST,
    ),
    "lesson file": (
        "get",
        lambda o: f"/lesson-files/{o.attachment.pk}/",
        None,
        by_role(LOGIN, 200, 404, 200, 404, 200, 404),
    ),
    "setup session create": (
        "post",
        lambda o: f"/setup/cohorts/{o.world.cohort.pk}/sessions/new/",
        lambda o: {
            "lesson": o.world.skills_lesson.pk,
            "date": f"{o.world.cohort.year}-04-16",
            "start_time": "09:00",
            "end_time": "11:00",
            "place": "河岗社区",
        },
        SETUP_POST,
    ),
    "setup session": ("get", lambda o: f"/setup/sessions/{o.session.pk}/", None, SETUP_GET),
    "setup assignment create": (
        "post",
        lambda o: f"/setup/cohorts/{o.world.cohort.pk}/modules/{o.world.skills.pk}/assignments/new/",
        lambda o: {
            "title": "社区资产地图",
            "mode": "individual",
            "opens_at": f"{o.world.cohort.year}-04-01T09:00",
            "due_at": f"{o.world.cohort.year}-04-30T18:00",
            "allowed_extensions": ["pdf"],
            "max_file_mb": 10,
            "max_total_mb": 20,
            "max_files": 3,
            "pass_mark": 0,
            "objection_window_days": 7,
        },
        SETUP_POST,
    ),
    "setup assignment": ("get", lambda o: f"/setup/assignments/{o.assignment.pk}/", None, SETUP_GET),
    "setup rubric": (
        "post",
        lambda o: f"/setup/assignments/{o.assignment.pk}/rubric/",
        lambda o: {"c0-title": "居民参与", "c0-l0-title": "充分", "c0-l0-min": "0", "c0-l0-max": "10"},
        SETUP_POST,
    ),
    "setup module move": (
        "post",
        lambda o: f"/setup/modules/{o.world.skills.pk}/move/",
        lambda o: {"direction": "up"},
        SETUP_POST,
    ),
    "setup module delete page": ("get", lambda o: f"/setup/modules/{o.empty_module.pk}/delete/", None, SETUP_GET),
    "setup module delete": ("post", lambda o: f"/setup/modules/{o.empty_module.pk}/delete/", lambda o: {}, SETUP_POST),
    "setup lesson move": (
        "post",
        lambda o: f"/setup/lessons/{o.world.basics_lessons[1].pk}/move/",
        lambda o: {"direction": "up"},
        SETUP_POST,
    ),
    "setup lesson delete page": (
        "get",
        lambda o: f"/setup/lessons/{o.world.skills_lesson.pk}/delete/",
        None,
        SETUP_GET,
    ),
    "setup lesson delete": (
        "post",
        lambda o: f"/setup/lessons/{o.world.skills_lesson.pk}/delete/",
        lambda o: {},
        SETUP_POST,
    ),
    "setup session delete page": ("get", lambda o: f"/setup/sessions/{o.free_session.pk}/delete/", None, SETUP_GET),
    "setup session delete": (
        "post",
        lambda o: f"/setup/sessions/{o.free_session.pk}/delete/",
        lambda o: {},
        SETUP_POST,
    ),
    "setup assignment delete page": (
        "get",
        lambda o: f"/setup/assignments/{o.assignment.pk}/delete/",
        None,
        SETUP_GET,
    ),
    "setup assignment delete": (
        "post",
        lambda o: f"/setup/assignments/{o.assignment.pk}/delete/",
        lambda o: {},
        SETUP_POST,
    ),
    "setup copy preview": ("get", lambda o: f"/setup/cohorts/{o.world.cohort.pk}/copy/", None, SETUP_GET),
    "setup copy": (
        "post",
        lambda o: f"/setup/cohorts/{o.world.cohort.pk}/copy/",
        lambda o: {"district": o.world.district.pk, "year": o.world.cohort.year + 1, "name": "下一年"},
        SETUP_POST,
    ),
    "audit": ("get", lambda o: "/audit/", None, AUDIT),
    "audit csv": ("get", lambda o: "/audit/export.csv", None, AUDIT),
    "audit xlsx": ("get", lambda o: "/audit/export.xlsx", None, AUDIT),
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
        # the year of the session below (factory years grow past the forms' 2100 in a long run)
        Cohort.objects.filter(pk=world.cohort.pk).update(
            year=2022, starts_on=date(2022, 1, 1), ends_on=date(2022, 12, 31)
        )
        world.cohort.refresh_from_db()
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
        self.attachment = setup_services.lesson_attachment_add(
            lesson=world.basics_lessons[0], upload=upload("议事规则.pdf", PDF_BYTES), actor=world.staff
        )
        self.assignment = AssignmentFactory(module=world.skills, pass_mark=0)
        self.teaching = Teaching.objects.get(cohort=world.cohort, instructor=world.instructor)
        # rows nothing holds, for the delete pages
        self.empty_module = ModuleFactory(cohort=world.cohort, phase=Phase.MODEL, position=1, title="模式探索")
        self.free_session = SessionFactory(lesson=world.basics_lessons[1], starts_at=session.starts_at)

    @staticmethod
    def sheet():
        from django.core.files.uploadedfile import SimpleUploadedFile

        from tests.courses.sheets import sheet_rows, xlsx_bytes

        return SimpleUploadedFile("名单.xlsx", xlsx_bytes(sheet_rows(2, community="河岗社区")))


def state():
    return (
        Attendance.objects.count(),
        sorted(Attendance.objects.values_list("status", flat=True)),
        AttendanceCorrection.objects.count(),
        Session.objects.count(),
        sorted(Enrolment.objects.values_list("pk", "status")),
        AuditEntry.objects.changes().count(),
        sorted(Cohort.objects.values_list("pk", "name", "starts_on")),
        sorted(Module.objects.values_list("pk", "title", "position")),
        sorted(Lesson.objects.values_list("pk", "position")),
        LessonAttachment.objects.count(),
        sorted(Assignment.objects.values_list("pk", "title")),
        RubricLevel.objects.count(),
        sorted(User.objects.values_list("pk", "full_name", "mobile", "is_active", "password")),
        sorted(Teaching.objects.values_list("pk", flat=True)),
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
