"""A second editor: a save over a newer version is refused (409) with what changed; audit rows keep values
before and after and the object's name at the time."""

from decimal import Decimal

import pytest

from certificates import services as certificate_services
from certificates.models import CompletionRule
from courses.services import setup as course_setup
from fieldwork.models import Assignment
from fieldwork.services import setup as fieldwork_setup
from lms.audit_trail import audit_lines
from lms.models import AuditEntry
from lms.versions import StaleVersion, version_of
from tests.fieldwork.test_setup import _values

pytestmark = pytest.mark.django_db


def rule_state(cohort):
    rule = CompletionRule.objects.filter(cohort=cohort).first()
    return (rule.min_lesson_percent, rule.min_attendance_percent, rule.updated_at), AuditEntry.objects.count()


def test_a_completion_rule_saved_over_a_newer_version_is_refused_with_what_changed(world, english):
    rule = certificate_services.completion_rule_save(cohort=world.cohort, actor=world.staff, min_lesson_percent=80)
    loaded = version_of(rule)
    certificate_services.completion_rule_save(
        cohort=world.cohort, actor=world.staff, version=loaded, min_lesson_percent=90, min_attendance_percent=75
    )
    before = rule_state(world.cohort)
    with pytest.raises(StaleVersion) as caught:
        certificate_services.completion_rule_save(
            cohort=world.cohort, actor=world.staff, version=loaded, min_lesson_percent=70
        )
    assert caught.value.code == "stale_version" and caught.value.status_code == 409
    assert any("80 → 90" in line for line in caught.value.changes)
    assert rule_state(world.cohort) == before
    entry = AuditEntry.objects.filter(verb="completion_rule.saved").order_by("pk").last()
    assert entry.data["changes"]["min_lesson_percent"] == ["80", "90"]
    assert entry.data["target_name"] == world.cohort.name


def test_assignment_settings_carry_their_version_and_the_audit_keeps_the_old_title(world, english):
    assignment = fieldwork_setup.assignment_save(**_values(world))
    loaded = version_of(assignment)
    fieldwork_setup.assignment_save(
        **_values(world, assignment=assignment, version=loaded, title="社区资产地图（修订）")
    )
    count = AuditEntry.objects.count()
    with pytest.raises(StaleVersion) as caught:
        fieldwork_setup.assignment_save(
            **_values(world, assignment=assignment, version=loaded, pass_mark=Decimal("70"))
        )
    assert caught.value.code == "stale_version"
    assert Assignment.objects.get(pk=assignment.pk).pass_mark == Decimal("60")
    assert AuditEntry.objects.count() == count
    created, updated = AuditEntry.objects.filter(target_id=str(assignment.pk)).order_by("pk")
    assert updated.data["changes"]["title"] == ["社区资产地图", "社区资产地图（修订）"]
    lines = audit_lines([created, updated])
    assert "社区资产地图" in lines[0].phrase and "（修订）" not in lines[0].phrase  # the name at the time


def test_cohort_and_module_forms_carry_their_version(world):
    loaded = version_of(world.cohort)
    course_setup.cohort_update(
        cohort=world.cohort,
        name="南海区2022年培育班（春）",
        starts_on=world.cohort.starts_on,
        ends_on=world.cohort.ends_on,
        actor=world.staff,
        version=loaded,
    )
    with pytest.raises(StaleVersion) as caught:
        course_setup.cohort_update(
            cohort=world.cohort,
            name="别的名字",
            starts_on=world.cohort.starts_on,
            ends_on=world.cohort.ends_on,
            actor=world.staff,
            version=loaded,
        )
    assert caught.value.code == "stale_version"
    module_version = version_of(world.basics)
    course_setup.module_save(
        cohort=world.cohort,
        module=world.basics,
        phase=world.basics.phase,
        position=world.basics.position,
        title="社区规划基础（新）",
        actor=world.staff,
        version=module_version,
    )
    with pytest.raises(StaleVersion) as caught:
        course_setup.module_save(
            cohort=world.cohort,
            module=world.basics,
            phase=world.basics.phase,
            position=world.basics.position,
            title="又一个名字",
            actor=world.staff,
            version=module_version,
        )
    assert caught.value.code == "stale_version"


def test_the_rule_page_answers_409_with_the_form_kept(client, world):
    certificate_services.completion_rule_save(cohort=world.cohort, actor=world.staff, min_lesson_percent=80)
    client.force_login(world.staff)
    url = f"/cohorts/{world.cohort.pk}/certificates/rule/"
    page = client.get(url).content.decode()
    loaded = page.split('name="version" value="')[1].split('"')[0]
    form = {"min_lesson_percent": "85", "min_attendance_percent": "60", "version": loaded}
    assert client.post(url, form).status_code == 302
    stale = client.post(url, {**form, "min_lesson_percent": "95"})
    text = stale.content.decode()
    assert stale.status_code == 409 and 'data-testid="stale-version"' in text
    assert 'value="95"' in text and "80 → 85" in text  # the form kept, what changed named
    assert CompletionRule.objects.get(cohort=world.cohort).min_lesson_percent == 85
    current = text.split('name="version" value="')[1].split('"')[0]
    assert current != loaded
    assert client.post(url, {**form, "min_lesson_percent": "95", "version": current}).status_code == 302


def test_a_lesson_form_carries_its_version(world):
    lesson = world.skills_lesson
    loaded = version_of(lesson)
    values = {"position": lesson.position, "kind": lesson.kind, "duration_minutes": 90, "actor": world.staff}
    course_setup.lesson_save(module=world.skills, lesson=lesson, title="议事会（新）", version=loaded, **values)
    count = AuditEntry.objects.count()
    with pytest.raises(StaleVersion) as caught:
        course_setup.lesson_save(module=world.skills, lesson=lesson, title="别的", version=loaded, **values)
    assert caught.value.code == "stale_version"
    lesson.refresh_from_db()
    assert lesson.title == "议事会（新）" and AuditEntry.objects.count() == count
    entry = AuditEntry.objects.filter(verb="lesson.updated").order_by("pk").last()
    assert entry.data["changes"]["title"] == ["议事会的组织与主持", "议事会（新）"]


def test_a_session_form_carries_its_version(world):
    import datetime as dt

    from tests.courses.factories import SessionFactory

    session = SessionFactory(lesson=world.skills_lesson)
    loaded = version_of(session)
    fields = {
        "lesson": world.skills_lesson,
        "date": dt.date(world.cohort.year, 5, 6),
        "start_time": dt.time(9),
        "end_time": dt.time(11),
        "address": "",
        "instructors": [],
        "team": None,
        "community": None,
    }
    course_setup.session_save(
        cohort=world.cohort, session=session, actor=world.staff, version=loaded, place="西樵镇文化站", **fields
    )
    with pytest.raises(StaleVersion) as caught:
        course_setup.session_save(
            cohort=world.cohort, session=session, actor=world.staff, version=loaded, place="河岗社区", **fields
        )
    assert caught.value.code == "stale_version"
    session.refresh_from_db()
    assert session.place == "西樵镇文化站"
    entry = AuditEntry.objects.filter(verb="session.updated").order_by("pk").last()
    assert entry.data["changes"]["place"][1] == "西樵镇文化站"
