import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from courses.models import Attendance, AttendanceSource, AttendanceStatus
from tests.courses.factories import EnrolmentFactory, SessionFactory

pytestmark = pytest.mark.django_db


def _record(session, enrolment, status, by):
    Attendance.objects.create(
        session=session, enrolment=enrolment, status=status, source=AttendanceSource.INSTRUCTOR, recorded_by=by
    )


@pytest.fixture
def attended(world):
    first = SessionFactory(lesson=world.basics_lessons[0])
    second = SessionFactory(lesson=world.basics_lessons[1], starts_at=first.starts_at.replace(day=16))
    teammate = EnrolmentFactory(cohort=world.cohort, community=world.community)
    _record(first, world.enrolment, AttendanceStatus.PRESENT, world.instructor)
    _record(second, world.enrolment, AttendanceStatus.LATE, world.instructor)
    _record(first, teammate, AttendanceStatus.EXCUSED, world.instructor)
    return first, second, teammate


def test_attendance_export_is_sessions_by_trainees_with_counts(client, world, attended):
    client.force_login(world.staff)
    response = client.get(reverse("attendance-export", args=[world.cohort.pk, "xlsx"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:4] == ["学员", "用户名", "团队", "社区"]
    assert rows[0][4].startswith("2022-04-09 09:00") and rows[0][5].startswith("2022-04-16")
    assert rows[0][6] == "出勤" and rows[0][8:] == ["请假", "缺勤", "出勤率（%）"]
    mine = next(r for r in rows if r[1] == world.trainee.username)
    assert mine[6:] == [1, 1, 0, 0, 100]  # numbers, not text; the share as courses.selectors defines it
    theirs = next(r for r in rows if r[1] == attended[2].trainee.username)
    assert theirs[5] is None and theirs[6:] == [0, 0, 1, 0, 0]  # excused left out: 0 of 1


def test_attendance_export_csv_for_the_instructor(client, world, attended):
    client.force_login(world.instructor)
    response = client.get(reverse("attendance-export", args=[world.cohort.pk, "csv"]))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 3


@pytest.mark.parametrize("role", ["trainee", "other_trainee", "other_instructor", "other_staff", "stranger"])
def test_attendance_export_of_a_cohort_not_taught_is_not_found(client, world, role):
    client.force_login(world.roles()[role])
    assert client.get(reverse("attendance-export", args=[world.cohort.pk, "xlsx"])).status_code == 404


def test_attendance_export_in_an_unknown_format_is_not_found(client, world):
    client.force_login(world.staff)
    assert client.get(reverse("attendance-export", args=[world.cohort.pk, "pdf"])).status_code == 404


@pytest.mark.parametrize("extra", [1, 12])
def test_attendance_matrix_takes_five_queries_at_any_size(world, attended, extra, django_assert_num_queries):
    from courses.selectors import cohort_attendance_matrix

    for _ in range(extra):
        _record(attended[0], EnrolmentFactory(cohort=world.cohort, community=world.community), "present", world.staff)
    with django_assert_num_queries(5):  # sessions, roster, records, shares (2)
        matrix = cohort_attendance_matrix(cohort=world.cohort)
    assert len(matrix.rows) == 2 + extra
