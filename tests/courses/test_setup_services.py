"""Services of cohort set-up: cohorts, modules and prerequisites, lessons and reading material, sessions."""

from datetime import date, time

import pytest

from courses.models import Cohort, Lesson, LessonAttachment, LessonKind, Module, Phase, Session
from courses.prerequisites import find_cycle
from courses.services import setup as services
from lms.errors import Conflict, NotAllowed, ValidationFailed
from lms.models import AuditEntry
from lms.previews import previews_derive_pending
from lms.uploads import FileTooLarge
from tests.courses.factories import LessonFactory, TeamFactory
from tests.fieldwork.factories import PDF_BYTES, jpeg_bytes, upload
from tests.lms.factories import CommunityFactory

pytestmark = pytest.mark.django_db


def _state():
    return (
        Cohort.objects.count(),
        Module.objects.count(),
        Module.requires.through.objects.count(),
        Lesson.objects.count(),
        LessonAttachment.objects.count(),
        Session.objects.count(),
        AuditEntry.objects.changes().count(),
    )


# --- cohorts


def test_staff_create_a_cohort_of_their_district_and_it_is_audited_with_its_scope(world, english):
    cohort = services.cohort_create(
        course=world.cohort.course,
        district=world.district,
        name="南海区2030年培育班",
        year=2030,
        starts_on=date(2030, 3, 1),
        ends_on=date(2030, 12, 20),
        actor=world.staff,
    )
    entry = AuditEntry.objects.get(verb="cohort.created")
    assert (entry.district_id, entry.cohort_id, entry.actor) == (world.district.pk, cohort.pk, world.staff)


def test_cohort_ending_before_it_starts_is_refused(world, english):
    before = _state()
    with pytest.raises(ValidationFailed) as raised:
        services.cohort_create(
            course=world.cohort.course,
            district=world.district,
            name="倒置",
            year=2031,
            starts_on=date(2031, 5, 1),
            ends_on=date(2031, 4, 30),
            actor=world.staff,
        )
    assert raised.value.code == "ends_before_start"
    assert "cannot end (2031-04-30) before it starts (2031-05-01)" in str(raised.value.message)
    assert _state() == before


@pytest.mark.parametrize("role", ["other_staff", "instructor", "trainee"])
def test_only_staff_of_the_district_create_cohorts_there(world, english, role):
    before = _state()
    with pytest.raises(NotAllowed) as raised:
        services.cohort_create(
            course=world.cohort.course,
            district=world.district,
            name="越权",
            year=2032,
            starts_on=date(2032, 3, 1),
            ends_on=date(2032, 4, 1),
            actor=getattr(world, role),
        )
    assert raised.value.code == "not_allowed"
    assert _state() == before


def test_second_cohort_of_a_course_in_the_same_year_is_refused(world, english):
    with pytest.raises(Conflict) as raised:
        services.cohort_create(
            course=world.cohort.course,
            district=world.district,
            name="重复",
            year=world.cohort.year,
            starts_on=world.cohort.starts_on,
            ends_on=world.cohort.ends_on,
            actor=world.staff,
        )
    assert raised.value.code == "cohort_exists"


def test_cohort_run_cannot_leave_a_session_outside(world, english, session):
    cohort = world.cohort
    cohort.starts_on, cohort.ends_on = date(2022, 1, 1), date(2022, 12, 31)
    cohort.save()
    with pytest.raises(ValidationFailed) as raised:
        services.cohort_update(
            cohort=cohort, name=cohort.name, starts_on=date(2022, 5, 1), ends_on=date(2022, 12, 31), actor=world.staff
        )
    assert raised.value.code == "session_outside_run"
    cohort.refresh_from_db()
    assert cohort.starts_on == date(2022, 1, 1)


# --- modules and prerequisites


def test_find_cycle_names_the_loop():
    assert find_cycle({1: {2}, 2: {3}, 3: set()}) is None
    assert find_cycle({1: {2}, 2: {3}, 3: {1}}) in ([1, 2, 3, 1], [2, 3, 1, 2], [3, 1, 2, 3])
    assert find_cycle({5: {5}}) == [5, 5]


def test_module_with_prerequisites_is_saved_and_audited(world, english):
    module = services.module_save(
        cohort=world.cohort,
        phase=Phase.FIELD,
        position=1,
        title="社区资产调查",
        requires=[world.basics, world.skills],
        actor=world.staff,
    )
    assert set(module.requires.all()) == {world.basics, world.skills}
    assert AuditEntry.objects.filter(verb="module.created", target_id=str(module.pk)).exists()


def test_prerequisite_cycle_is_refused_naming_the_modules(world, english):
    # skills requires basics already; basics requiring skills would lock both for everyone
    before = _state()
    with pytest.raises(ValidationFailed) as raised:
        services.module_save(
            cohort=world.cohort,
            module=world.basics,
            phase=world.basics.phase,
            position=world.basics.position,
            title=world.basics.title,
            requires=[world.skills],
            actor=world.staff,
        )
    assert raised.value.code == "prerequisite_cycle"
    message = str(raised.value.message)
    assert "“社区规划基础”" in message and "“专业技能授课”" in message
    assert _state() == before
    assert list(world.basics.requires.all()) == []


def test_longer_prerequisite_cycle_is_refused(world, english):
    third = services.module_save(
        cohort=world.cohort, phase=Phase.FIELD, position=1, title="实地支持", requires=[world.skills], actor=world.staff
    )
    with pytest.raises(ValidationFailed) as raised:
        services.module_save(
            cohort=world.cohort,
            module=world.basics,
            phase=world.basics.phase,
            position=world.basics.position,
            title=world.basics.title,
            requires=[third],
            actor=world.staff,
        )
    assert raised.value.code == "prerequisite_cycle"
    assert all(f"“{t}”" in str(raised.value.message) for t in ("社区规划基础", "专业技能授课", "实地支持"))


def test_module_cannot_require_itself_or_another_cohorts_module(world, english):
    with pytest.raises(ValidationFailed) as raised:
        services.module_save(
            cohort=world.cohort,
            module=world.skills,
            phase=world.skills.phase,
            position=world.skills.position,
            title=world.skills.title,
            requires=[world.skills],
            actor=world.staff,
        )
    assert raised.value.code == "prerequisite_cycle"
    with pytest.raises(ValidationFailed) as raised:
        services.module_save(
            cohort=world.cohort,
            phase=Phase.FIELD,
            position=3,
            title="外区",
            requires=[world.other_lesson.module],
            actor=world.staff,
        )
    assert raised.value.code == "invalid"


def test_module_position_must_be_free(world, english):
    with pytest.raises(ValidationFailed) as raised:
        services.module_save(
            cohort=world.cohort, phase=Phase.CENTRALIZED, position=1, title="重复位置", actor=world.staff
        )
    assert raised.value.code == "position_taken"


# --- lessons and reading material


def test_lesson_is_saved_with_its_kind_and_content(world, english):
    lesson = services.lesson_save(
        module=world.skills,
        position=2,
        kind=LessonKind.WORKSHOP,
        title="参与式工作坊",
        body="## 流程",
        duration_minutes=120,
        actor=world.staff,
    )
    assert (lesson.kind, lesson.duration_minutes) == (LessonKind.WORKSHOP, 120)
    with pytest.raises(ValidationFailed) as raised:
        services.lesson_save(module=world.skills, position=3, kind="party", title="x", actor=world.staff)
    assert raised.value.code == "invalid"


def test_reading_material_is_stored_privately_and_removed_after_commit(
    world, english, private_storage, django_capture_on_commit_callbacks
):
    lesson = world.skills_lesson
    attachment = services.lesson_attachment_add(
        lesson=lesson, upload=upload("议事规则.pdf", PDF_BYTES, "application/pdf"), actor=world.staff
    )
    assert attachment.kind == "pdf" and (private_storage / attachment.storage_name).exists()
    photo = services.lesson_attachment_add(lesson=lesson, upload=upload("现场.jpg", jpeg_bytes()), actor=world.staff)
    assert photo.preview_state == "pending" and not photo.thumbnail_name
    assert previews_derive_pending() == 1
    photo.refresh_from_db()
    assert photo.preview_state == "ready" and (private_storage / photo.thumbnail_name).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.lesson_attachment_remove(attachment=attachment, actor=world.staff)
    assert not (private_storage / attachment.storage_name).exists()
    assert AuditEntry.objects.filter(verb="lesson_attachment.removed").count() == 1


@pytest.mark.parametrize(
    "name,content,code",
    [
        ("讲义.pdf", b"<html><script>alert(1)</script></html>", "file_type_mismatch"),
        ("讲义.docx", b"PK\x03\x04", "file_type_not_allowed"),
        ("伪装.pdf", jpeg_bytes(), "file_type_mismatch"),
        ("空.pdf", b"", "file_empty"),
    ],
)
def test_reading_material_is_checked_by_content(world, english, private_storage, name, content, code):
    before = _state()
    with pytest.raises(ValidationFailed) as raised:
        services.lesson_attachment_add(lesson=world.skills_lesson, upload=upload(name, content), actor=world.staff)
    assert raised.value.code == code
    assert _state() == before
    assert not any(p.is_file() for p in private_storage.rglob("*"))


def test_reading_material_over_the_size_limit_is_refused(world, english, monkeypatch):
    monkeypatch.setattr(services, "ATTACHMENT_MAX_SIZE", 100)
    with pytest.raises(FileTooLarge) as raised:
        services.lesson_attachment_add(
            lesson=world.skills_lesson, upload=upload("大.pdf", PDF_BYTES + b"x" * 200), actor=world.staff
        )
    assert raised.value.code == "file_too_large"
    assert raised.value.status_code == 413
    assert not LessonAttachment.objects.exists()


# --- sessions


def _session(world, **overrides):
    cohort = world.cohort
    values = {
        "cohort": cohort,
        "lesson": world.skills_lesson,
        "date": date(cohort.year, 4, 16),
        "start_time": time(9),
        "end_time": time(11),
        "place": "西樵镇河岗社区",
        "instructors": [world.instructor],
        "actor": world.staff,
    }
    values.update(overrides)
    return services.session_save(**values)


def test_session_is_scheduled_with_place_time_and_instructors(world, english):
    session = _session(world)
    assert list(session.instructors.all()) == [world.instructor]
    assert session.check_in_opens_at < session.starts_at < session.check_in_closes_at


def test_session_outside_the_cohort_run_is_refused(world, english):
    before = _state()
    with pytest.raises(ValidationFailed) as raised:
        _session(world, date=date(world.cohort.year + 1, 1, 5))
    assert raised.value.code == "outside_cohort_run"
    assert _state() == before


def test_session_must_end_after_it_starts_and_have_the_cohorts_instructors(world, english):
    with pytest.raises(ValidationFailed) as raised:
        _session(world, start_time=time(11), end_time=time(9))
    assert raised.value.code == "end_before_start"
    with pytest.raises(ValidationFailed) as raised:
        _session(world, instructors=[world.other_instructor])
    assert raised.value.code == "not_cohort_instructor"


def test_field_guidance_names_the_team_or_community_served(world, english):
    guidance = LessonFactory(module=world.skills, position=5, kind=LessonKind.FIELD_GUIDANCE, title="实地指导")
    with pytest.raises(ValidationFailed) as raised:
        _session(world, lesson=guidance)
    assert raised.value.code == "invalid"
    team = TeamFactory(cohort=world.cohort)
    session = _session(world, lesson=guidance, team=team, community=world.community)
    assert (session.team, session.community) == (team, world.community)
    with pytest.raises(ValidationFailed) as raised:
        _session(world, lesson=guidance, team=TeamFactory(cohort=world.other_cohort))
    assert raised.value.code == "invalid"
    with pytest.raises(ValidationFailed) as raised:
        _session(world, lesson=guidance, community=CommunityFactory(town__district=world.other_cohort.district))
    assert raised.value.code == "invalid"
    with pytest.raises(ValidationFailed) as raised:
        _session(world, team=team)  # a lecture serves no team
    assert raised.value.code == "invalid"


def test_session_of_another_cohort_cannot_be_set_up_through_this_one(world, english):
    with pytest.raises(NotAllowed) as raised:
        _session(world, lesson=world.other_lesson)
    assert raised.value.code == "not_allowed"
    with pytest.raises(NotAllowed) as raised:
        _session(world, actor=world.other_staff)
    assert raised.value.code == "not_allowed"
