"""Removing and reordering set-up rows: delete only what nothing depends on, say what holds the rest, keep
positions 1..n, audit every change, and leave the database and storage untouched when refusing."""

import threading
from datetime import datetime

import pytest
from django.db import connection

from certificates.models import CompletionRule
from courses.models import Lesson, LessonAttachment, LessonCompletion, Module, Phase, Session
from courses.services import setup as services
from fieldwork.models import Assignment, Extension, RubricCriterion, RubricLevel
from fieldwork.services import setup as assignment_services
from lms.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from lms.models import AuditEntry
from tests.courses.factories import SHANGHAI, LessonFactory, ModuleFactory, SessionFactory
from tests.fieldwork.factories import PDF_BYTES, AssignmentFactory, add_rubric, upload

pytestmark = pytest.mark.django_db


def state():
    """Everything a removal or a move could touch."""
    return (
        sorted(Module.objects.values_list("pk", "phase", "position", "title")),
        sorted(Module.requires.through.objects.values_list("from_module_id", "to_module_id")),
        sorted(Lesson.objects.values_list("pk", "module_id", "position")),
        sorted(LessonAttachment.objects.values_list("pk", flat=True)),
        sorted(Session.objects.values_list("pk", flat=True)),
        sorted(Assignment.objects.values_list("pk", flat=True)),
        RubricCriterion.objects.count(),
        RubricLevel.objects.count(),
        AuditEntry.objects.changes().count(),
    )


def stored(root) -> list:
    return sorted(p.name for p in root.rglob("*") if p.is_file())


def positions(**filters) -> list[tuple[str, int]]:
    return list(Module.objects.filter(**filters).order_by("position").values_list("title", "position"))


def lesson_positions(module) -> list[tuple[str, int]]:
    return list(module.lessons.order_by("position").values_list("title", "position"))


def _session(world, lesson=None):
    return SessionFactory(lesson=lesson or world.basics_lessons[0], starts_at=datetime(2022, 4, 9, 9, tzinfo=SHANGHAI))


# --- modules


def test_empty_module_is_deleted_and_the_phase_closes_up(world, english):
    empty = ModuleFactory(cohort=world.cohort, phase=Phase.CENTRALIZED, position=3, title="空模块")
    third = ModuleFactory(cohort=world.cohort, phase=Phase.CENTRALIZED, position=7, title="参访学习")
    empty.requires.add(world.basics)  # its own prerequisites go with it
    services.module_delete(module=empty, actor=world.staff)
    assert not Module.objects.filter(pk=empty.pk).exists()
    assert positions(cohort=world.cohort, phase=Phase.CENTRALIZED) == [
        ("社区规划基础", 1),
        ("专业技能授课", 2),
        (third.title, 3),
    ]
    entry = AuditEntry.objects.get(verb="module.deleted")
    assert (entry.actor, entry.target_id, entry.data["title"]) == (world.staff, str(world.cohort.pk), "空模块")
    assert (entry.district_id, entry.cohort_id) == (world.district.pk, world.cohort.pk)


def test_module_with_lessons_is_refused_saying_so(world, english):
    before = state()
    with pytest.raises(Conflict) as refused:
        services.module_delete(module=world.basics, actor=world.staff)
    assert refused.value.code == "module_in_use"
    assert "“社区规划基础” cannot be deleted. It has 2 lessons: delete them first." in refused.value.message
    assert "专业技能授课" in refused.value.message  # it requires the module too
    assert state() == before


def test_module_that_another_requires_is_refused_naming_it(world, english):
    required = ModuleFactory(cohort=world.cohort, phase=Phase.FIELD, position=1, title="实地准备")
    world.skills.requires.add(required)
    before = state()
    with pytest.raises(Conflict) as refused:
        services.module_delete(module=required, actor=world.staff)
    assert refused.value.code == "module_in_use"
    assert refused.value.message == (
        "“实地准备” cannot be deleted. “专业技能授课” require it: remove it from their prerequisites first."
    )
    assert state() == before


def test_module_with_an_assignment_only_is_refused(world, english):
    module = ModuleFactory(cohort=world.cohort, phase=Phase.FIELD, position=1, title="实地支持")
    AssignmentFactory(module=module, title="资产地图")
    before = state()
    with pytest.raises(Conflict) as refused:
        services.module_delete(module=module, actor=world.staff)
    assert refused.value.code == "module_in_use" and "It has 1 assignment" in refused.value.message
    assert state() == before


@pytest.mark.parametrize("role", ["other_staff", "instructor", "trainee"])
def test_only_staff_of_the_district_delete_or_move_modules(world, english, role):
    empty = ModuleFactory(cohort=world.cohort, phase=Phase.FIELD, position=1, title="空模块")
    actor = world.roles()[role]
    before = state()
    for call in (
        lambda: services.module_delete(module=empty, actor=actor),
        lambda: services.module_move(module=world.skills, direction="up", actor=actor),
    ):
        with pytest.raises(NotAllowed) as refused:
            call()
        assert refused.value.code == "not_allowed"
    assert state() == before


def test_module_moves_within_its_phase_and_positions_stay_dense(world, english):
    # Positions typed by hand may have gaps; a move leaves the phase at 1..n.
    third = ModuleFactory(cohort=world.cohort, phase=Phase.CENTRALIZED, position=9, title="参访学习")
    field = ModuleFactory(cohort=world.cohort, phase=Phase.FIELD, position=1, title="实地支持")
    services.module_move(module=third, direction="up", actor=world.staff)
    assert positions(cohort=world.cohort, phase=Phase.CENTRALIZED) == [
        ("社区规划基础", 1),
        ("参访学习", 2),
        ("专业技能授课", 3),
    ]
    services.module_move(module=world.basics, direction="down", actor=world.staff)
    assert positions(cohort=world.cohort, phase=Phase.CENTRALIZED) == [
        ("参访学习", 1),
        ("社区规划基础", 2),
        ("专业技能授课", 3),
    ]
    assert positions(phase=Phase.FIELD, cohort=world.cohort) == [(field.title, 1)]  # other phases untouched
    moves = AuditEntry.objects.filter(verb="module.moved").order_by("pk")
    assert [(e.target_id, e.data) for e in moves] == [
        (str(third.pk), {"direction": "up", "position": 2}),
        (str(world.basics.pk), {"direction": "down", "position": 2}),
    ]


@pytest.mark.parametrize(
    "who,direction,code,message",
    [
        ("basics", "up", "already_first", "“社区规划基础” is already the first module of its phase."),
        ("skills", "down", "already_last", "“专业技能授课” is already the last module of its phase."),
    ],
)
def test_module_cannot_move_past_the_ends_of_its_phase(world, english, who, direction, code, message):
    before = state()
    with pytest.raises(Conflict) as refused:
        services.module_move(module=getattr(world, who), direction=direction, actor=world.staff)
    assert (refused.value.code, refused.value.message) == (code, message)
    assert state() == before


def test_a_move_in_no_direction_is_refused(world, english):
    before = state()
    with pytest.raises(ValidationFailed) as refused:
        services.module_move(module=world.skills, direction="sideways", actor=world.staff)
    assert refused.value.code == "bad_direction"
    assert state() == before


# --- lessons


def test_lesson_is_deleted_with_its_reading_material_files_after_commit(
    world, english, private_storage, django_capture_on_commit_callbacks
):
    lesson = world.basics_lessons[0]
    attachment = services.lesson_attachment_add(
        lesson=lesson, upload=upload("阅读材料.pdf", PDF_BYTES), actor=world.staff
    )
    assert stored(private_storage)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.lesson_delete(lesson=lesson, actor=world.staff)
    assert stored(private_storage), "files stay until the deletion is committed"
    for callback in callbacks:
        callback()
    assert stored(private_storage) == []
    assert not LessonAttachment.objects.filter(pk=attachment.pk).exists()
    assert lesson_positions(world.basics) == [("基础课2", 1)]
    entry = AuditEntry.objects.get(verb="lesson.deleted")
    assert (entry.target_id, entry.data) == (str(world.basics.pk), {"title": "基础课1", "attachments": 1})


@pytest.mark.parametrize(
    "hold,message",
    [
        ("completion", "1 trainee has finished it."),
        ("session", "1 session is scheduled for it: delete it first."),
        ("rule", "The completion rules require it: take it out of the rules first."),
    ],
)
def test_lesson_that_something_holds_is_refused_and_keeps_its_files(
    world, english, private_storage, django_capture_on_commit_callbacks, hold, message
):
    lesson = world.basics_lessons[0]
    services.lesson_attachment_add(lesson=lesson, upload=upload("阅读材料.pdf", PDF_BYTES), actor=world.staff)
    if hold == "completion":
        LessonCompletion.objects.create(enrolment=world.enrolment, lesson=lesson)
    elif hold == "session":
        _session(world, lesson)
    else:
        CompletionRule.objects.create(cohort=world.cohort, min_lesson_percent=80).required_lessons.add(lesson)
    before, files = state(), stored(private_storage)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict) as refused:
        services.lesson_delete(lesson=lesson, actor=world.staff)
    assert refused.value.code == "lesson_in_use"
    assert refused.value.message == f"“基础课1” cannot be deleted. {message}"
    assert state() == before and stored(private_storage) == files


def test_lessons_move_within_their_module(world, english):
    third = LessonFactory(module=world.basics, position=5, title="基础课3")
    services.lesson_move(lesson=third, direction="up", actor=world.staff)
    assert lesson_positions(world.basics) == [("基础课1", 1), ("基础课3", 2), ("基础课2", 3)]
    services.lesson_move(lesson=world.basics_lessons[0], direction="down", actor=world.staff)
    assert lesson_positions(world.basics) == [("基础课3", 1), ("基础课1", 2), ("基础课2", 3)]
    assert lesson_positions(world.skills) == [("议事会的组织与主持", 1)]
    assert AuditEntry.objects.filter(verb="lesson.moved").count() == 2
    before = state()
    with pytest.raises(Conflict) as refused:
        services.lesson_move(lesson=world.basics_lessons[1], direction="down", actor=world.staff)
    assert (refused.value.code, refused.value.message) == (
        "already_last",
        "“基础课2” is already the last lesson of its module.",
    )
    assert state() == before


@pytest.mark.parametrize("role", ["other_staff", "instructor"])
def test_only_staff_of_the_district_delete_or_move_lessons(world, english, role):
    actor = world.roles()[role]
    before = state()
    for call in (
        lambda: services.lesson_delete(lesson=world.skills_lesson, actor=actor),
        lambda: services.lesson_move(lesson=world.basics_lessons[1], direction="up", actor=actor),
    ):
        with pytest.raises(NotAllowed) as refused:
            call()
        assert refused.value.code == "not_allowed"
    assert state() == before


def test_a_lesson_deleted_meanwhile_is_not_found(world, english):
    lesson = world.skills_lesson
    services.lesson_delete(lesson=lesson, actor=world.staff)
    with pytest.raises(NotFound) as missing:
        services.lesson_move(lesson=lesson, direction="up", actor=world.staff)
    assert missing.value.code == "not_found"


# --- sessions


def test_session_without_attendance_is_deleted_and_audited(world, english):
    session = _session(world)
    services.session_delete(session=session, actor=world.staff)
    assert not Session.objects.filter(pk=session.pk).exists()
    entry = AuditEntry.objects.get(verb="session.deleted")
    assert entry.target_id == str(world.basics_lessons[0].pk) and entry.data["starts_at"].startswith("2022-04-09")


def test_session_with_attendance_is_refused(world, english):
    from courses.models import Attendance, AttendanceStatus

    session = _session(world)
    Attendance.objects.create(
        session=session, enrolment=world.enrolment, status=AttendanceStatus.PRESENT, recorded_by=world.instructor
    )
    before = state()
    with pytest.raises(Conflict) as refused:
        services.session_delete(session=session, actor=world.staff)
    assert refused.value.code == "session_in_use"
    assert (
        refused.value.message
        == "“基础课1 2022-04-09 09:00” cannot be deleted. Attendance of 1 trainee is recorded for it."
    )
    assert state() == before


@pytest.mark.parametrize("role", ["other_staff", "instructor"])
def test_only_staff_of_the_district_delete_sessions(world, english, role):
    session = _session(world)
    before = state()
    with pytest.raises(NotAllowed) as refused:
        services.session_delete(session=session, actor=world.roles()[role])
    assert refused.value.code == "not_allowed"
    assert state() == before


# --- assignments


def test_assignment_nobody_started_is_deleted_with_its_rubric(world, english):
    assignment = AssignmentFactory(module=world.skills, title="社区资产地图")
    add_rubric(assignment)
    assignment_services.assignment_delete(assignment=assignment, actor=world.staff)
    assert not Assignment.objects.filter(pk=assignment.pk).exists()
    assert RubricCriterion.objects.count() == 0 and RubricLevel.objects.count() == 0
    entry = AuditEntry.objects.get(verb="assignment.deleted")
    assert (entry.target_id, entry.data) == (str(world.skills.pk), {"title": "社区资产地图"})


@pytest.mark.parametrize(
    "hold,message",
    [
        ("draft", "1 trainee or team has started work on it (drafts included)."),
        ("extension", "1 extension has been granted for it."),
    ],
)
def test_assignment_with_work_or_an_extension_is_refused(world, english, hold, message):
    from django.utils import timezone

    from fieldwork import services as fieldwork

    assignment = AssignmentFactory(module=world.skills, title="社区资产地图")
    add_rubric(assignment)
    if hold == "draft":
        fieldwork.submission_start(assignment=assignment, enrolment=world.enrolment, actor=world.trainee)
    else:
        Extension.objects.create(
            assignment=assignment, enrolment=world.enrolment, due_at=timezone.now(), granted_by=world.instructor
        )
    before = state()
    with pytest.raises(Conflict) as refused:
        assignment_services.assignment_delete(assignment=assignment, actor=world.staff)
    assert refused.value.code == "assignment_in_use"
    assert refused.value.message == f"“社区资产地图” cannot be deleted. {message}"
    assert state() == before


@pytest.mark.parametrize("role", ["other_staff", "instructor"])
def test_only_staff_of_the_district_delete_assignments(world, english, role):
    assignment = AssignmentFactory(module=world.skills, title="社区资产地图")
    before = state()
    with pytest.raises(NotAllowed) as refused:
        assignment_services.assignment_delete(assignment=assignment, actor=world.roles()[role])
    assert refused.value.code == "not_allowed"
    assert state() == before


# --- concurrency: real PostgreSQL, real threads


@pytest.mark.django_db(transaction=True)
def test_simultaneous_moves_each_apply_to_the_order_the_last_one_left(world):
    """Four clicks at once on "up" for the last of five modules: each move waits for the one before and starts
    from the order it left, so the module ends first (without the lock, moves read the same old order and the
    module ends one or two places up); positions stay 1..5."""
    extra = [
        ModuleFactory(cohort=world.cohort, phase=Phase.CENTRALIZED, position=p, title=f"模块{p}") for p in (3, 4, 5)
    ]
    last = extra[-1]
    barrier = threading.Barrier(4)
    errors = []

    def move():
        try:
            barrier.wait()
            services.module_move(module=last, direction="up", actor=world.staff)
        except Exception as error:  # reported below
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=move) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert positions(cohort=world.cohort, phase=Phase.CENTRALIZED) == [
        ("模块5", 1),
        ("社区规划基础", 2),
        ("专业技能授课", 3),
        ("模块3", 4),
        ("模块4", 5),
    ]
    assert AuditEntry.objects.filter(verb="module.moved").count() == 4
