"""District staff and instructors open their tables on a phone: every page fits the screen (wide tables
scroll inside their box) and passes the axe and CSP audit of tests/e2e/conftest.py."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from courses.models import LessonKind
from fieldwork.models import Submission, SubmissionState
from tests.courses.factories import EnrolmentFactory, LessonFactory, SessionFactory, TeamFactory
from tests.e2e.conftest import log_in
from tests.fieldwork.factories import AssignmentFactory
from tests.lms.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def busy_cohort(world):
    team = TeamFactory(cohort=world.cohort, community=world.community, name="河岗社区规划师团队（农耕文化馆微改造）")
    enrolments = [world.enrolment] + [
        EnrolmentFactory(cohort=world.cohort, community=world.community, team=team) for _ in range(6)
    ]
    lecture = LessonFactory(module=world.basics, position=5, kind=LessonKind.LECTURE, title="参与式规划方法概论")
    session = SessionFactory(cohort=world.cohort, lesson=lecture, starts_at=timezone.now() - timedelta(hours=1))
    assignment = AssignmentFactory(module=world.basics, title="社区资产地图（含实地走访照片与居民访谈记录）")
    now = timezone.now()
    for n, enrolment in enumerate(enrolments):
        Submission.objects.create(
            assignment=assignment,
            enrolment=enrolment,
            state=SubmissionState.RELEASED,
            score=Decimal(12 + n),
            submitted_at=now,
            released_at=now,
        )
    return session


def test_staff_tables_fit_a_phone(phone, world, busy_cohort):
    log_in(phone, world.staff.username, PASSWORD)
    c = world.cohort.pk
    for url, heading in (
        (f"/cohorts/{c}/", world.cohort.name),
        (f"/cohorts/{c}/gradebook/", "成绩册"),
        (f"/cohorts/{c}/certificates/", "证书"),
        (f"/cohorts/{c}/dashboard/", "数据看板"),
        (f"/projects/cohorts/{c}/totals/", ""),
        ("/district/cohorts/", "全区"),
        ("/todo/staff/", ""),
    ):
        phone.goto(url)
        expect(phone.locator("h1")).to_contain_text(heading)


def test_the_attendance_sheet_fits_a_phone(phone, world, busy_cohort):
    log_in(phone, world.instructor.username, PASSWORD)
    phone.goto(f"/sessions/{busy_cohort.pk}/")
    expect(phone.get_by_text(world.trainee.full_name).first).to_be_visible()
    phone.goto(f"/cohorts/{world.cohort.pk}/")
    expect(phone.locator("h1")).to_contain_text(world.cohort.name)
