import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fieldwork.projects import selectors
from fieldwork.projects.models import FieldProject
from lms.predicates import can_view_field_project, field_project_visible_q
from tests.projects.factories import build_scale

pytestmark = pytest.mark.django_db

SIZES = [(5, 2, 3), (100, 5, 20)]  # (teams, members per team, activities per team): 500 trainees at the large size


@pytest.mark.parametrize(("teams", "members", "activities"), SIZES)
def test_cohort_totals_are_three_aggregate_queries_at_any_size(world, teams, members, activities):
    expected = build_scale(world, teams=teams, members=members, activities=activities)
    with CaptureQueriesContext(connection) as queries:
        data = selectors.cohort_totals(cohort=world.cohort)
    assert len(queries) == 3
    assert all("SUM(" in q["sql"].upper() for q in queries.captured_queries)
    assert data.totals["residents"] == expected["residents"]
    assert data.totals["activities"] == expected["activities"]
    assert len(data.per_project) == teams and len(data.per_community) == expected["communities"]
    assert sum(row["residents"] for row in data.per_community) == expected["residents"]


@pytest.mark.parametrize(("teams", "members", "activities"), SIZES)
def test_totals_page_answers_in_fixed_queries(client, world, django_assert_max_num_queries, teams, members, activities):
    build_scale(world, teams=teams, members=members, activities=activities)
    client.force_login(world.staff)
    with django_assert_max_num_queries(12):
        response = client.get(f"/projects/cohorts/{world.cohort.pk}/totals/")
    assert response.status_code == 200


@pytest.mark.parametrize(("teams", "members", "activities"), SIZES)
def test_library_search_answers_in_fixed_queries(
    client, world, django_assert_max_num_queries, teams, members, activities
):
    build_scale(world, teams=teams, members=members, activities=activities)
    filters = selectors.clean_library_filters(query="农耕", year=str(world.cohort.year))
    with CaptureQueriesContext(connection) as queries:
        page = selectors.library_search(filters=filters)
    assert len(queries) == 4
    assert page.count == teams and len(page.cases) == min(teams, selectors.LIBRARY_PAGE_SIZE)
    client.force_login(world.trainee)
    with django_assert_max_num_queries(12):
        response = client.get("/projects/library/", {"q": "治理模式", "theme": "culture"})
    assert response.status_code == 200


def test_project_log_page_answers_in_fixed_queries(client, world, django_assert_max_num_queries):
    build_scale(world, teams=2, members=2, activities=30)
    project = FieldProject.objects.order_by("pk").first()
    client.force_login(world.instructor)
    with django_assert_max_num_queries(20):
        response = client.get(f"/projects/{project.pk}/")
    assert response.status_code == 200


def test_filters_by_town_theme_and_year(world, projects):
    from tests.projects.factories import ModelCaseFactory

    ModelCaseFactory(project=projects.project, status="approved", theme="culture", title="农耕馆")
    ModelCaseFactory(project=projects.other_project, status="approved", theme="space", title="口袋公园")
    ModelCaseFactory(project=projects.foreign_project, status="submitted", theme="space", title="未审核")

    def titles(**kwargs):
        return sorted(
            c.title for c in selectors.library_search(filters=selectors.clean_library_filters(**kwargs)).cases
        )

    assert titles() == ["农耕馆", "口袋公园"]
    assert titles(theme="space") == ["口袋公园"]
    assert titles(town=str(world.community.town_id)) == ["农耕馆", "口袋公园"]
    assert titles(town="999999") == []
    assert titles(year=str(world.cohort.year)) == ["农耕馆", "口袋公园"]
    assert titles(year="1900") == []
    assert titles(query="公园") == ["口袋公园"]
    assert titles(query="河岗") == ["农耕馆"]  # community name


def test_visible_q_agrees_with_the_predicate(world, projects):
    everyone = list(FieldProject.objects.all())
    for user in world.roles().values():
        listed = set(
            FieldProject.objects.filter(field_project_visible_q(user, FieldProject)).values_list("pk", flat=True)
        )
        allowed = {p.pk for p in everyone if can_view_field_project(user, p)}
        assert listed == allowed
    assert {projects.project.pk} == set(
        FieldProject.objects.filter(field_project_visible_q(world.trainee, FieldProject)).values_list("pk", flat=True)
    )
