"""Setting up assignments and rubrics: services and pages."""

from datetime import datetime
from decimal import Decimal

import pytest

from fieldwork.models import MB, Assignment, RubricCriterion, RubricLevel
from fieldwork.services import setup as services
from lms.errors import Conflict, NotAllowed, ValidationFailed
from lms.models import AuditEntry
from tests.courses.factories import SHANGHAI
from tests.fieldwork.factories import AssignmentFactory, add_rubric

pytestmark = pytest.mark.django_db


def _state():
    return (
        sorted(Assignment.objects.values_list("pk", "title", "pass_mark", "allowed_extensions", "max_file_size")),
        sorted(RubricCriterion.objects.values_list("pk", "title")),
        sorted(RubricLevel.objects.values_list("pk", "title", "description", "min_points", "max_points")),
        AuditEntry.objects.changes().count(),
    )


def _values(world, **overrides):
    year = world.cohort.year
    values = {
        "module": world.skills,
        "title": "社区资产地图",
        "instructions": "拍摄社区资产",
        "mode": "individual",
        "opens_at": datetime(year, 4, 1, 9, tzinfo=SHANGHAI),
        "due_at": datetime(year, 4, 30, 18, tzinfo=SHANGHAI),
        "closes_at": None,
        "allowed_extensions": ["jpg", "pdf"],
        "max_file_mb": 10,
        "max_total_mb": 50,
        "max_files": 5,
        "pass_mark": Decimal("60"),
        "actor": world.staff,
    }
    values.update(overrides)
    return values


def _rubric(points=(("资产识别", 0, 50), ("居民参与", 0, 50))):
    return [
        services.CriterionInput(
            title=title,
            description="",
            levels=[
                services.LevelInput("待改进", "资料不全", Decimal(low), Decimal(high) / 2),
                services.LevelInput("良好", "覆盖全部资产", Decimal(high) / 2, Decimal(high)),
            ],
        )
        for title, low, high in points
    ]


def test_assignment_is_saved_with_sizes_in_mb_and_file_types_from_the_list(world, english):
    assignment = services.assignment_save(**_values(world))
    assert assignment.max_file_size == 10 * MB and assignment.max_total_size == 50 * MB
    assert assignment.allowed_extensions == ["jpg", "pdf"]
    assert AuditEntry.objects.get(verb="assignment.created").cohort_id == world.cohort.pk


@pytest.mark.parametrize(
    "overrides,field,code",
    [
        ({"allowed_extensions": ["exe"]}, "allowed_extensions", "invalid"),
        ({"allowed_extensions": []}, "allowed_extensions", "invalid"),
        ({"max_file_mb": 0}, "max_file_mb", "invalid"),
        ({"max_file_mb": 20, "max_total_mb": 10}, "max_total_mb", "invalid"),
        ({"max_files": 0}, "max_files", "invalid"),
        ({"pass_mark": Decimal("-5")}, "pass_mark", "pass_mark_out_of_range"),
        ({"pass_mark": Decimal("9999")}, "pass_mark", "invalid"),
        ({"pass_mark": Decimal("NaN")}, "pass_mark", "pass_mark_out_of_range"),
        ({"title": "  "}, "title", "invalid"),
        ({"due_at": datetime(2000, 1, 1, tzinfo=SHANGHAI)}, "due_at", "due_before_open"),
    ],
)
def test_bad_assignment_terms_are_refused(world, english, overrides, field, code):
    before = _state()
    with pytest.raises(ValidationFailed) as raised:
        services.assignment_save(**_values(world, **overrides))
    assert raised.value.code == code
    assert field in raised.value.fields
    assert _state() == before


def test_pass_mark_must_lie_within_the_rubrics_points(world, english):
    assignment = services.assignment_save(**_values(world, pass_mark=Decimal("12")))
    add_rubric(assignment)  # two criteria of at most 10 points: 20
    before = _state()
    with pytest.raises(ValidationFailed) as raised:
        services.assignment_save(**_values(world, assignment=assignment, pass_mark=Decimal("21")))
    assert raised.value.code == "pass_mark_out_of_range"
    assert "between 0 and the rubric's 20" in str(raised.value.message)
    assert _state() == before
    services.assignment_save(**_values(world, assignment=assignment, pass_mark=Decimal("20")))


def test_rubric_is_replaced_with_levels_point_ranges_and_descriptors(world, english):
    assignment = services.assignment_save(**_values(world))
    services.rubric_save(assignment=assignment, criteria=_rubric(), actor=world.staff)
    levels = list(
        RubricLevel.objects.filter(criterion__assignment=assignment).order_by("criterion__position", "position")
    )
    assert [(lv.title, lv.description, lv.min_points, lv.max_points) for lv in levels[:2]] == [
        ("待改进", "资料不全", Decimal(0), Decimal(25)),
        ("良好", "覆盖全部资产", Decimal(25), Decimal(50)),
    ]
    assert services.rubric_max_points(assignment) == Decimal(100)
    assert AuditEntry.objects.filter(verb="rubric.saved").count() == 1


def test_rubric_below_the_pass_mark_is_refused(world, english):
    assignment = services.assignment_save(**_values(world, pass_mark=Decimal("60")))
    before = _state()
    with pytest.raises(ValidationFailed) as raised:
        services.rubric_save(assignment=assignment, criteria=_rubric((("资产识别", 0, 50),)), actor=world.staff)
    assert raised.value.code == "pass_mark_out_of_range"
    assert _state() == before


@pytest.mark.parametrize(
    ("criteria", "code"),
    [
        ([], "invalid"),
        ([services.CriterionInput(title="无等级", levels=[])], "invalid"),
        (
            [services.CriterionInput(title="倒置", levels=[services.LevelInput("x", "", Decimal(9), Decimal(3))])],
            "bad_point_range",
        ),
        (
            [services.CriterionInput(title="负分", levels=[services.LevelInput("x", "", Decimal(-1), Decimal(3))])],
            "bad_point_range",
        ),
        ([services.CriterionInput(title="", levels=[services.LevelInput("x", "", Decimal(0), Decimal(3))])], "invalid"),
    ],
)
def test_bad_rubrics_are_refused(world, english, criteria, code):
    assignment = services.assignment_save(**_values(world, pass_mark=Decimal(0)))
    before = _state()
    with pytest.raises(ValidationFailed) as raised:
        services.rubric_save(assignment=assignment, criteria=criteria, actor=world.staff)
    assert raised.value.code == code
    assert _state() == before


def test_rubric_of_assessed_work_cannot_change(field, english):
    world = field.world
    field.graded()
    with pytest.raises(Conflict) as raised:
        services.rubric_save(assignment=field.assignment, criteria=_rubric(), actor=world.staff)
    assert raised.value.code == "assessed"


@pytest.mark.parametrize("role", ["other_staff", "trainee", "other_instructor"])
def test_only_those_who_manage_the_cohort_set_assignments(world, english, role):
    with pytest.raises(NotAllowed) as raised:
        services.assignment_save(**_values(world, actor=getattr(world, role)))
    assert raised.value.code == "not_allowed"


# --- pages


def _post_data(world, **overrides):
    year = world.cohort.year
    data = {
        "title": "社区资产地图",
        "instructions": "",
        "mode": "individual",
        "opens_at": f"{year}-04-01T09:00",
        "due_at": f"{year}-04-30T18:00",
        "closes_at": "",
        "allowed_extensions": ["jpg", "pdf"],
        "max_file_mb": "10",
        "max_total_mb": "50",
        "max_files": "5",
        "pass_mark": "60",
        "counts_toward_completion": "on",
        "objection_window_days": "7",
    }
    data.update(overrides)
    return data


def test_assignment_page_offers_file_types_as_checkboxes_and_saves(client, world):
    client.force_login(world.staff)
    url = f"/setup/cohorts/{world.cohort.pk}/modules/{world.skills.pk}/assignments/new/"
    page = client.get(url).content.decode()
    assert 'type="checkbox" name="allowed_extensions" value="pdf"' in page
    assert "JSON" not in page
    response = client.post(url, _post_data(world))
    assignment = Assignment.objects.get(title="社区资产地图")
    assert response.status_code == 302 and response.url == f"/setup/assignments/{assignment.pk}/rubric/"
    assert assignment.max_file_size == 10 * MB


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"pass_mark": "-5"}, "0"),
        ({"pass_mark": "9999"}, "1000"),
        ({"pass_mark": "NaN"}, ""),
        ({"allowed_extensions": ["exe"]}, "exe"),
        ({"max_file_mb": "0"}, ""),
        ({"opens_at": "2000-01-01T09:00"}, "2000-01-01"),
    ],
)
def test_bad_assignment_input_on_the_page_is_refused_with_a_message(client, world, overrides, message):
    client.force_login(world.staff)
    before = _state()
    response = client.post(
        f"/setup/cohorts/{world.cohort.pk}/modules/{world.skills.pk}/assignments/new/", _post_data(world, **overrides)
    )
    assert response.status_code == 400
    assert 'data-testid="form-error"' in response.content.decode()
    assert message in response.content.decode()
    assert _state() == before


def test_pass_mark_above_the_rubric_on_the_page_names_the_maximum(client, world):
    assignment = AssignmentFactory(module=world.skills, pass_mark=Decimal("12"))
    add_rubric(assignment)
    client.force_login(world.staff)
    before = _state()
    response = client.post(f"/setup/assignments/{assignment.pk}/", _post_data(world, pass_mark="25"))
    assert response.status_code == 400
    assert "20" in response.content.decode()
    assert _state() == before


def test_rubric_editor_saves_criteria_and_levels(client, world):
    assignment = AssignmentFactory(module=world.skills, pass_mark=Decimal("6"))
    client.force_login(world.staff)
    url = f"/setup/assignments/{assignment.pk}/rubric/"
    assert 'name="c0-l3-description"' in client.get(url).content.decode()
    data = {
        "c0-title": "居民参与",
        "c0-description": "动员的广度",
        "c0-l0-title": "起步",
        "c0-l0-description": "少于10名居民",
        "c0-l0-min": "0",
        "c0-l0-max": "4",
        "c0-l1-title": "充分",
        "c0-l1-description": "超过50名居民参与",
        "c0-l1-min": "5",
        "c0-l1-max": "10",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    assert list(RubricLevel.objects.filter(criterion__assignment=assignment).values_list("description", flat=True)) == [
        "少于10名居民",
        "超过50名居民参与",
    ]


@pytest.mark.parametrize(
    "level,status",
    [
        ({"c0-l0-min": "abc", "c0-l0-max": "4"}, 400),
        ({"c0-l0-min": "NaN", "c0-l0-max": "4"}, 400),
        ({"c0-l0-min": "8", "c0-l0-max": "4"}, 400),
        ({"c0-l0-min": "0", "c0-l0-max": "2"}, 400),  # below the pass mark of 6
    ],
)
def test_bad_rubric_input_on_the_page_is_refused(client, world, level, status):
    assignment = AssignmentFactory(module=world.skills, pass_mark=Decimal("6"))
    client.force_login(world.staff)
    before = _state()
    response = client.post(
        f"/setup/assignments/{assignment.pk}/rubric/", {"c0-title": "居民参与", "c0-l0-title": "起步", **level}
    )
    assert response.status_code == status
    assert 'data-testid="form-error"' in response.content.decode()
    assert _state() == before
