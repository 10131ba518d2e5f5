"""The audit page: scoped rows, Chinese phrases for every verb, filters, exports, fixed queries."""

import io
import re
from datetime import datetime
from pathlib import Path
from unittest import mock

import pytest
from django.utils import translation

from courses.services import enrolment_withdraw
from courses.services import setup as setup_services
from lms import audit_trail
from lms.audit import audit_record
from lms.models import AuditEntry, User
from lms.predicates import audit_visible_q, can_view_audit_entry
from tests.courses.conftest import Clock
from tests.courses.factories import SHANGHAI, EnrolmentFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def written_verbs() -> set[str]:
    """Every verb a service passes to audit_record, read from the source: the dotted names on lines about `verb`."""
    verbs = set()
    for path in ROOT.glob("*/**/*.py"):
        if {".venv", "tests", "migrations"} & set(path.parts):
            continue
        text = path.read_text(encoding="utf-8")
        if not any(call in text for call in ("audit_record(", "audit_personal_data_read(", "audit_second_factor(")):
            continue
        for line in text.splitlines():
            if "verb" in line:
                verbs |= set(re.findall(r'"([a-z_]+\.[a-z_]+)"', line))
    return verbs


def test_every_audited_verb_has_a_phrase_and_an_action_label():
    verbs = written_verbs()
    assert {"certificate.revoked", "cohort.copied", "project.updated", "activity.corrected"} <= verbs
    assert verbs - set(audit_trail.PHRASES) == set()
    assert verbs - set(audit_trail.ACTION_LABELS) == set()


def test_revocation_reads_as_a_chinese_sentence():
    entry = AuditEntry(
        verb="certificate.revoked", actor=User(pk=1, full_name="梁慧敏"), data={"reason": "data_correction"}
    )
    entry.actor_id = 1
    with translation.override("zh-hans"):
        assert (
            audit_trail.phrase_for(entry, "NH-2022-0003") == "梁慧敏 撤销了 NH-2022-0003 的证书：信息有误（已重新颁发）"
        )
    with translation.override("en"):
        assert audit_trail.phrase_for(entry, "NH-2022-0003") == (
            "梁慧敏 revoked the certificate NH-2022-0003: Wrong details (reissued)"
        ).replace(": ", "：")


def test_audit_rows_carry_the_district_and_cohort_of_their_target(world):
    lesson_entry = audit_record(actor=world.staff, verb="lesson.updated", target=world.skills_lesson)
    district_entry = audit_record(actor=world.staff, verb="x.y", target=world.district)
    user_entry = audit_record(actor=world.staff, verb="x.y", target=world.trainee)
    assert (lesson_entry.district_id, lesson_entry.cohort_id) == (world.district.pk, world.cohort.pk)
    assert (district_entry.district_id, district_entry.cohort_id) == (world.district.pk, None)
    # An account belongs to the district where it holds a role, so that district's staff see it.
    assert (user_entry.district_id, user_entry.cohort_id) == (world.district.pk, None)
    stranger_entry = audit_record(actor=world.staff, verb="x.y", target=world.stranger)
    assert (stranger_entry.district_id, stranger_entry.cohort_id) == (None, None)


def _entries(world):
    """One row in each cohort, one about a district only, one about a person."""
    return [
        audit_record(actor=world.staff, verb="lesson.updated", target=world.skills_lesson),
        audit_record(actor=world.other_staff, verb="lesson.updated", target=world.other_lesson),
        audit_record(actor=world.staff, verb="cohort.updated", target=world.cohort),
        audit_record(actor=world.staff, verb="x.y", target=world.trainee),
    ]


@pytest.mark.parametrize("role", ["staff", "other_staff", "instructor", "other_instructor", "trainee", "stranger"])
def test_predicate_and_queryset_twin_agree(world, role):
    entries = _entries(world)
    user = world.roles()[role]
    visible = set(AuditEntry.objects.filter(audit_visible_q(user)).values_list("pk", flat=True))
    assert visible == {e.pk for e in entries if can_view_audit_entry(user, e)}
    expected = {
        "staff": {entries[0].pk, entries[2].pk, entries[3].pk},
        "other_staff": {entries[1].pk},
        "instructor": {entries[0].pk, entries[2].pk},
        "other_instructor": {entries[1].pk},
        "trainee": set(),
        "stranger": set(),
    }[role]
    assert visible == expected


def test_superuser_sees_every_row(world):
    entries = _entries(world)
    admin = User.objects.create_superuser(username="root", password="x", full_name="运维")
    assert set(AuditEntry.objects.filter(audit_visible_q(admin)).values_list("pk", flat=True)) == {
        e.pk for e in entries
    }


@pytest.mark.parametrize("role,status", [("staff", 200), ("instructor", 200), ("trainee", 403), ("stranger", 403)])
def test_audit_page_answers_staff_and_instructors_only(client, world, role, status):
    client.force_login(world.roles()[role])
    assert client.get("/audit/").status_code == status
    assert client.get("/audit/export.csv").status_code == status


def test_audit_page_shows_who_when_and_what_of_the_own_district_only(client, world):
    world.staff.full_name = "梁慧敏"
    world.staff.save()
    withdrawn = EnrolmentFactory(cohort=world.cohort, community=world.community)
    enrolment_withdraw(enrolment=withdrawn, reason="工作调动", actor=world.staff)
    audit_record(actor=world.other_staff, verb="lesson.updated", target=world.other_lesson)
    client.force_login(world.staff)
    page = client.get("/audit/").content.decode()
    assert f"梁慧敏 让 {withdrawn.trainee.full_name} 退出了培训：工作调动" in page
    assert world.other_lesson.title not in page


@pytest.fixture
def moment():
    clock = Clock(datetime(2022, 3, 1, 10, tzinfo=SHANGHAI))
    with mock.patch("django.utils.timezone.now", side_effect=lambda: clock.now):
        yield clock


def test_filters_by_person_action_and_date(client, world, moment):
    clock = moment
    clock.set(datetime(2022, 3, 1, 10, tzinfo=SHANGHAI))
    audit_record(actor=world.staff, verb="lesson.updated", target=world.skills_lesson)
    clock.set(datetime(2022, 3, 5, 10, tzinfo=SHANGHAI))
    audit_record(actor=world.instructor, verb="session.created", target=world.cohort)
    audit_record(actor=world.staff, verb="cohort.updated", target=world.cohort)
    client.force_login(world.staff)

    def rows(**query):
        response = client.get("/audit/", query)
        assert response.status_code == 200
        return response.content.decode().count('class="audit-row"')

    assert rows() == 3
    assert rows(person=world.instructor.pk) == 1
    assert rows(action="cohort.updated") == 1
    assert rows(since="2022-03-02") == 2
    assert rows(until="2022-03-01") == 1
    assert rows(person=world.staff.pk, since="2022-03-05", until="2022-03-05") == 1


@pytest.mark.parametrize(
    "query",
    [
        {"person": "abc"},
        {"person": "999999"},
        {"action": "drop.table"},
        {"since": "2022-13-01"},
        {"since": "2022-03-05", "until": "2022-03-01"},
        {"page": "0"},
        {"page": "x"},
        {"page": "999"},
    ],
)
def test_bad_filter_values_answer_400_with_a_message(client, world, query):
    audit_record(actor=world.staff, verb="cohort.updated", target=world.cohort)
    client.force_login(world.staff)
    for url in ("/audit/", "/audit/export.csv", "/audit/export.xlsx"):
        response = client.get(url, query)
        if url != "/audit/" and "page" in query and query["page"] == "999":
            continue  # the export ignores nothing but has no pages: 999 is still a valid number
        assert response.status_code == 400, (url, query)
        assert 'class="error-message"' in response.content.decode()


def test_person_of_another_district_is_not_a_filter_choice(client, world):
    audit_record(actor=world.other_staff, verb="lesson.updated", target=world.other_lesson)
    client.force_login(world.staff)
    assert client.get("/audit/", {"person": world.other_staff.pk}).status_code == 400


def test_csv_export_is_utf8_with_bom_and_neutralises_formulas(client, world):
    world.staff.full_name = "=cmd|' /C calc'!A0"
    world.staff.save()
    setup_services.lesson_save(module=world.skills, position=9, kind="lecture", title="议事规则", actor=world.staff)
    client.force_login(world.staff)
    response = client.get("/audit/export.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    assert ",'=cmd|" in text and ",=cmd" not in text
    assert "添加了课时 议事规则" in text
    assert "attachment;" in response["Content-Disposition"]


def test_xlsx_export_opens_with_the_same_rows(client, world):
    from openpyxl import load_workbook

    audit_record(actor=world.staff, verb="cohort.updated", target=world.cohort)
    client.force_login(world.staff)
    response = client.get("/audit/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 2 and world.cohort.name in values[1][3]


def test_audit_page_is_read_only(client, world):
    client.force_login(world.staff)
    assert client.post("/audit/").status_code == 405
    assert client.post("/audit/export.csv").status_code == 405


def _fill(world, n):
    for _ in range(n):
        EnrolmentFactory(cohort=world.cohort, community=world.community)
    for enrolment in world.cohort.enrolments.all()[:n]:
        audit_record(actor=world.staff, verb="enrolment.created", target=enrolment)
        audit_record(actor=world.instructor, verb="lesson.completed", target=world.skills_lesson)
        audit_record(actor=world.staff, verb="cohort.updated", target=world.cohort)


@pytest.mark.parametrize("url", ["/audit/", "/audit/export.csv"])
def test_query_count_does_not_grow_with_the_rows(client, world, url, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.staff)
    _fill(world, 3)
    client.get(url)  # an export writes its own entry (a target of one more kind): counted in both runs
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _fill(world, 30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_staff_see_what_was_done_to_the_people_of_their_district(client, world):
    from lms.models import AuditEntry
    from lms.services import people

    people.person_update(
        person=world.trainee, actor=world.staff, full_name="何家明", mobile="13800138000", email="", community=None
    )
    entry = AuditEntry.objects.filter(verb="user.updated").latest("pk")
    assert entry.district_id == world.cohort.district_id
    client.force_login(world.staff)
    assert "何家明" in client.get("/audit/").content.decode()
    client.force_login(world.other_staff)
    assert "何家明" not in client.get("/audit/").content.decode()
