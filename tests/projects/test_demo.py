import pytest
from django.core.management import call_command

from fieldwork.projects import selectors
from fieldwork.projects.models import (
    BeforeAfterPair,
    CaseStatus,
    EngagementActivity,
    FieldProject,
    ModelCase,
    NextStep,
    ProjectPhoto,
    SupportVisit,
)

pytestmark = pytest.mark.django_db

MODELS = (FieldProject, EngagementActivity, SupportVisit, NextStep, BeforeAfterPair, ProjectPhoto, ModelCase)


def test_demo_tells_the_hegang_story_and_running_twice_changes_nothing(private_media):
    call_command("seed_demo")
    counts = [m.objects.count() for m in MODELS]
    call_command("seed_demo")
    assert [m.objects.count() for m in MODELS] == counts

    project = FieldProject.objects.get(team__name="河岗社区规划师团队")
    totals = selectors.project_totals(project=project)
    assert (totals["residents"], totals["parent_child_pairs"], totals["party_branches"]) == (87, 5, 3)
    assert project.activities.filter(kind="deliberation").count() == 2
    assert {p.name for p in project.partners.filter(kind="party_branch")} == {"西坊党支部", "竹塘党支部", "竹园党支部"}
    assert project.before_after_pairs.count() == 3 and project.visits.count() == 3
    assert set(project.visits.values_list("instructor__username", flat=True)) == {"mentor.chen", "mentor.li"}
    assert [s.description for s in selectors.last_visit_open_steps(project=project)] == [
        "培训长者讲解员",
        "着手撰写治理模式案例",
    ]
    case = project.model_case
    assert case.status == CaseStatus.APPROVED and case.results["residents"] == 87
    found = selectors.library_search(filters=selectors.clean_library_filters(query="农耕馆"))
    assert [c.pk for c in found.cases] == [case.pk]
    assert FieldProject.objects.exclude(pk=project.pk).filter(status__in=["planning", "under_way"]).count() >= 3
    for photo in ProjectPhoto.objects.all():
        assert (private_media / photo.thumbnail_path).exists()
