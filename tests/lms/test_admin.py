"""The admin belongs to operators, and no admin form carries a row into another cohort or district."""

import re

import pytest
from django.contrib import admin
from django.utils import translation

from courses.models import Cohort, Enrolment, Lesson, LessonCompletion, Module, Team
from courses.services.attendance import attendance_record
from fieldwork.models import Assignment, RubricCriterion
from fieldwork.projects.models import FieldProject
from lms.models import Community, Town
from tests.courses.factories import CourseFactory, SessionFactory, TeamFactory
from tests.fieldwork.conftest import Field
from tests.fieldwork.factories import AssignmentFactory, add_rubric
from tests.lms.factories import CommunityFactory, UserFactory
from tests.projects.factories import ActivityFactory, FieldProjectFactory, ModelCaseFactory, SupportVisitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    user = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(user)
    return user


@pytest.mark.parametrize("role", ["staff", "instructor", "trainee", "stranger"])
@pytest.mark.parametrize("path", ["/admin/", "/admin/courses/cohort/", "/admin/lms/user/"])
def test_admin_answers_superusers_only(client, world, role, path):
    user = world.roles()[role]
    user.is_staff = True  # even the Django staff flag opens nothing: the admin is for operators
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_cannot_reset_a_password_in_the_admin(client, world):
    client.force_login(world.staff)
    response = client.post(
        f"/admin/lms/user/{world.trainee.pk}/password/", {"password1": "new-pass-123!", "password2": "new-pass-123!"}
    )
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    world.trainee.refresh_from_db()
    assert not world.trainee.check_password("new-pass-123!")


def test_superuser_opens_the_admin(client, world, operator):
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/courses/cohort/").status_code == 200


def _form_data(response) -> dict:
    """What the browser would post back from an admin change page, inline formsets included."""
    data = {}

    def add(form):
        for name in form.fields:
            value = form[name].value()
            if value is None:
                continue
            widget = form.fields[name].widget
            if hasattr(widget, "decompress"):  # date and time in two inputs
                parts = widget.decompress(value) if not isinstance(value, list) else value
                for i, part in enumerate(parts):
                    data[f"{form.add_prefix(name)}_{i}"] = "" if part is None else str(part)
                continue
            if isinstance(value, list | tuple):
                data[form.add_prefix(name)] = [str(getattr(v, "pk", v)) for v in value]
            elif isinstance(value, bool):
                if value:
                    data[form.add_prefix(name)] = "on"
            else:
                data[form.add_prefix(name)] = str(getattr(value, "pk", value))

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        count = len(formset.initial_forms)
        counts = {"TOTAL_FORMS": count, "INITIAL_FORMS": count, "MIN_NUM_FORMS": 0, "MAX_NUM_FORMS": 1000}
        for name, value in counts.items():
            data[f"{formset.prefix}-{name}"] = str(value)
        for form in formset.initial_forms:
            add(form)
    return data


def _objects(world):
    """Each admin form that names a row's cohort or district, the row, the field and a foreign value."""
    other_module = world.other_lesson.module
    other_assignment = AssignmentFactory(module=other_module, title="顺德作业")
    assignment = AssignmentFactory(module=world.skills, title="社区资产地图")
    criterion = add_rubric(assignment)[0][0]
    team = TeamFactory(cohort=world.cohort, name="河岗团队", community=world.community)
    other_team = TeamFactory(cohort=world.other_cohort, name="顺德团队")
    project = FieldProjectFactory(team=team, community=world.community, title="特色农耕馆")
    other_community = CommunityFactory(town__district=world.other_cohort.district, name="顺德社区")
    return {
        "cohort-district": (world.cohort, "district", world.other_cohort.district),
        "cohort-course": (world.cohort, "course", CourseFactory()),
        "module-cohort": (world.basics, "cohort", world.other_cohort),
        "lesson-module": (world.basics_lessons[0], "module", other_module),
        "team-cohort": (team, "cohort", world.other_cohort),
        "assignment-module": (assignment, "module", other_module),
        "rubriccriterion-assignment": (criterion, "assignment", other_assignment),
        "fieldproject-team": (project, "team", other_team),
        "fieldproject-community": (project, "community", other_community),
        "town-district": (world.community.town, "district", world.other_cohort.district),
        "community-town": (world.community, "town", other_community.town),
    }


CASES = [
    "cohort-district",
    "cohort-course",
    "module-cohort",
    "lesson-module",
    "team-cohort",
    "assignment-module",
    "rubriccriterion-assignment",
    "fieldproject-team",
    "fieldproject-community",
    "town-district",
    "community-town",
]


@pytest.mark.parametrize("case", CASES)
def test_admin_change_form_cannot_move_a_row_across_cohorts(client, world, operator, case):
    obj, field, foreign = _objects(world)[case]
    opts = obj._meta
    url = f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert field not in page.context["adminform"].form.fields  # shown, not editable
    before = getattr(obj, f"{field}_id")
    data = _form_data(page)
    data[field] = str(foreign.pk)
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    obj.refresh_from_db()
    assert getattr(obj, f"{field}_id") == before


def test_module_requirements_of_a_read_only_cohort_still_checked(client, world, operator):
    url = f"/admin/courses/module/{world.skills.pk}/change/"
    data = _form_data(client.get(url))
    data["requires"] = [str(world.other_lesson.module.pk)]
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Required modules must belong to the same cohort." in response.content.decode() or response.context[
        "adminform"
    ].form.errors
    assert list(world.skills.requires.all()) == [world.basics]


def test_enrolment_is_read_only_in_the_admin(client, world, operator):
    other_team = TeamFactory(cohort=world.other_cohort, name="顺德团队")
    url = f"/admin/courses/enrolment/{world.enrolment.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"team": other_team.pk, "community": world.other_enrolment.community_id})
    assert response.status_code == 403
    world.enrolment.refresh_from_db()
    assert world.enrolment.team_id is None and world.enrolment.community == world.community


def test_admin_enrolment_add_refuses_another_cohorts_team(client, world, operator):
    other_team = TeamFactory(cohort=world.other_cohort, name="顺德团队")
    trainee = UserFactory()
    response = client.post(
        "/admin/courses/enrolment/add/",
        {"cohort": world.cohort.pk, "trainee": trainee.pk, "community": world.community.pk, "team": other_team.pk},
    )
    assert response.status_code == 302  # back to the form with the service's message
    assert not Enrolment.objects.filter(trainee=trainee).exists()


def test_admin_team_add_refuses_a_community_of_another_district(client, world, operator):
    other_community = CommunityFactory(town__district=world.other_cohort.district)
    response = client.post(
        "/admin/courses/team/add/", {"cohort": world.cohort.pk, "name": "新团队", "community": other_community.pk}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["community"]
    assert not Team.objects.filter(name="新团队").exists()


def test_admin_project_add_refuses_a_community_of_another_district(client, world, operator):
    team = TeamFactory(cohort=world.cohort, name="河岗团队", community=world.community)
    other_community = CommunityFactory(town__district=world.other_cohort.district)
    response = client.post(
        "/admin/projects/fieldproject/add/",
        {
            "team": team.pk,
            "community": other_community.pk,
            "title": "跨区项目",
            "goals": "",
            "status": "planning",
            "partners-TOTAL_FORMS": "0",
            "partners-INITIAL_FORMS": "0",
            "partners-MIN_NUM_FORMS": "0",
            "partners-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["community"]
    assert not FieldProject.objects.filter(title="跨区项目").exists()


def test_completions_are_not_added_in_the_admin(client, world, operator):
    response = client.post(
        "/admin/courses/lessoncompletion/add/", {"enrolment": world.enrolment.pk, "lesson": world.other_lesson.pk}
    )
    assert response.status_code == 403
    assert not LessonCompletion.objects.exists()


@pytest.mark.parametrize("model", ["engagementactivity", "supportvisit", "modelcase"])
def test_project_records_are_read_only_in_the_admin(client, world, operator, model):
    team = TeamFactory(cohort=world.cohort, name="河岗团队", community=world.community)
    other_team = TeamFactory(cohort=world.other_cohort, name="顺德团队", community=world.other_enrolment.community)
    other_project = FieldProjectFactory(team=other_team, community=other_team.community)
    project = FieldProjectFactory(team=team, community=world.community)
    factory = {
        "engagementactivity": ActivityFactory,
        "supportvisit": SupportVisitFactory,
        "modelcase": ModelCaseFactory,
    }
    row = factory[model](project=project)
    url = f"/admin/projects/{model}/{row.pk}/change/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"project": other_project.pk}).status_code == 403
    assert client.get(f"/admin/projects/{model}/add/").status_code == 403
    row.refresh_from_db()
    assert row.project_id == project.pk


LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def _visible_labels(html: str) -> list[str]:
    """Column headers and form labels, tags stripped."""
    chunks = re.findall(r"<th[^>]*scope=\"col\"[^>]*>(.*?)</th>", html, re.S)
    chunks += re.findall(r"<label[^>]*>(.*?)</label>", html, re.S)
    chunks += re.findall(r"<div class=\"flex-container\">\s*<label>(.*?)</label>", html, re.S)
    text = [re.sub(r"<[^>]+>", " ", chunk) for chunk in chunks]
    return [" ".join(t.split()) for t in text if t.strip()]


def _admin_urls(world) -> list[str]:
    _objects(world)
    session = SessionFactory(lesson=world.basics_lessons[0])
    attendance_record(session=session, enrolment=world.enrolment, status="present", actor=world.instructor)
    Field(world).released()
    urls = []
    for model, _model_admin in admin.site._registry.items():
        opts = model._meta
        base = f"/admin/{opts.app_label}/{opts.model_name}/"
        urls.append(base)
        row = model._default_manager.first()
        if row is not None:
            urls.append(f"{base}{row.pk}/change/")
    return urls


def test_a_chinese_operator_sees_no_english_labels(client, world, operator, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    english = {}
    with translation.override("zh-hans"):
        for url in _admin_urls(world):
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
            assert response.status_code == 200, url
            found = [label for label in _visible_labels(response.content.decode()) if LATIN_WORD.search(label)]
            if found:
                english[url] = sorted(set(found))
    assert not english, "\n".join(f"{url}: {labels}" for url, labels in english.items())


def test_models_seen_by_the_admin_are_the_expected_ones():
    registered = {model for model in admin.site._registry}
    assert {Cohort, Module, Lesson, Team, Enrolment, Assignment, RubricCriterion, FieldProject, Town, Community} <= (
        registered
    )
