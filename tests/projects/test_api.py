import pytest
from rest_framework.test import APIClient

from fieldwork.projects.models import CaseStatus, EngagementActivity, ModelCase, SupportVisit
from tests.projects.factories import ActivityFactory, ModelCaseFactory

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def activity_body(projects, project=None, **overrides):
    body = {
        "project": (project or projects.project).pk,
        "kind": "deliberation",
        "title": "议事会",
        "held_on": f"{projects.world.cohort.year}-04-10",
        "place": "村委会",
        "counts": {"residents": 40, "parent_child_pairs": 5},
    }
    return {**body, **overrides}


def test_trainee_records_an_activity_and_the_project_totals_move(projects):
    client = api(projects.world.trainee)
    response = client.post("/api/v1/projects/activities/", activity_body(projects), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["counts"]["residents"] == 40
    totals = client.get(f"/api/v1/projects/{projects.project.pk}/totals/").json()
    assert totals["residents"] == 40 and totals["activities"] == 1


@pytest.mark.parametrize(
    ("counts", "field", "message"),
    [
        ({"residents": -5}, "residents", "A count cannot be negative."),
        ({"elders": "十"}, "elders", "Enter a whole number."),
        ({"students": None, "volunteers": [1]}, "volunteers", "Enter a whole number."),
    ],
)
def test_bad_counts_answer_400_with_field_and_store_nothing(projects, counts, field, message):
    response = api(projects.world.trainee).post(
        "/api/v1/projects/activities/", activity_body(projects, counts=counts), format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["fields"][field] == [message]
    assert not EngagementActivity.objects.exists()


def test_activity_outside_cohort_run_answers_400(projects):
    response = api(projects.world.trainee).post(
        "/api/v1/projects/activities/", activity_body(projects, held_on="1990-01-01"), format="json"
    )
    assert response.status_code == 400
    assert "within the cohort's run" in response.json()["error"]["fields"]["held_on"][0]
    assert not EngagementActivity.objects.exists()


def test_trainee_cannot_touch_another_teams_project_activities_or_case(projects):
    client = api(projects.world.trainee)
    response = client.post(
        "/api/v1/projects/activities/", activity_body(projects, project=projects.other_project), format="json"
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    response = client.patch(f"/api/v1/projects/{projects.other_project.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 404
    response = client.post(
        "/api/v1/projects/cases/", {"project": projects.other_project.pk, "title": "x"}, format="json"
    )
    assert response.status_code == 404
    theirs = ModelCaseFactory(project=projects.other_project)
    assert client.post(f"/api/v1/projects/cases/{theirs.pk}/submit/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == CaseStatus.DRAFT
    assert not EngagementActivity.objects.exists() and ModelCase.objects.count() == 1


def test_instructor_of_another_cohort_cannot_log_a_visit(projects):
    body = {"project": projects.project.pk, "visited_on": f"{projects.world.cohort.year}-05-01", "discussion": "x"}
    response = api(projects.world.other_instructor).post("/api/v1/projects/visits/", body, format="json")
    assert response.status_code == 404
    response = api(projects.world.staff).post("/api/v1/projects/visits/", body, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "not_allowed"
    assert not SupportVisit.objects.exists()
    response = api(projects.world.instructor).post(
        "/api/v1/projects/visits/",
        {**body, "next_steps": [{"description": "收集农具", "owner": "何家明", "due_on": None}]},
        format="json",
    )
    assert response.status_code == 201 and response.json()["next_steps"][0]["owner"] == "何家明"


def test_case_flow_and_approval_rules(projects):
    ActivityFactory(project=projects.project, residents=87, parent_child_pairs=5, party_branches=3)
    trainee = api(projects.world.trainee)
    body = {"project": projects.project.pk, "title": "农耕馆", "theme": "culture", "background": "背景"}
    case = trainee.post("/api/v1/projects/cases/", body, format="json").json()
    response = trainee.post(f"/api/v1/projects/cases/{case['id']}/submit/")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "empty_section" and set(error["fields"]) == {
        "problem",
        "participants",
        "process",
        "lessons",
    }
    sections = {"problem": "问题", "participants": "党员", "process": "议事会", "lessons": "经验", "title": "农耕馆"}
    assert trainee.patch(f"/api/v1/projects/cases/{case['id']}/", sections, format="json").status_code == 200
    submitted = trainee.post(f"/api/v1/projects/cases/{case['id']}/submit/").json()
    assert submitted["status"] == "submitted" and submitted["results"]["residents"] == 87
    for user, status in (
        (projects.world.staff, 403),
        (projects.world.trainee, 403),
        (projects.world.other_instructor, 404),
    ):
        response = api(user).post(f"/api/v1/projects/cases/{case['id']}/approve/", {}, format="json")
        assert response.status_code == status
    assert ModelCase.objects.get().status == CaseStatus.SUBMITTED
    approved = api(projects.world.instructor).post(f"/api/v1/projects/cases/{case['id']}/approve/", {}, format="json")
    assert approved.json()["status"] == "approved"
    found = api(projects.world.other_trainee).get("/api/v1/projects/library/", {"q": "农耕"}).json()
    assert [c["id"] for c in found["results"]] == [case["id"]]


def test_library_query_with_sql_and_html_is_data(projects):
    ModelCaseFactory(project=projects.project, status=CaseStatus.APPROVED, title="农耕馆")
    client = api(projects.world.staff)
    for query in ("' OR 1=1 --", "<img src=x onerror=alert(1)>", "%"):
        response = client.get("/api/v1/projects/library/", {"q": query})
        assert response.status_code == 200 and response.json()["count"] == 0
    assert response.json()["query"] == "%"
    assert ModelCase.objects.count() == 1
    assert api(None).get("/api/v1/projects/library/").status_code in (401, 403)


@pytest.mark.parametrize(
    ("role", "project_list", "totals_status"),
    [
        ("trainee", 1, 404),
        ("other_trainee", 1, 404),
        ("instructor", 2, 200),
        ("other_instructor", 1, 404),
        ("staff", 2, 200),
        ("other_staff", 1, 404),
        ("stranger", 0, 404),
    ],
)
def test_permission_matrix(projects, role, project_list, totals_status):
    client = api(projects.world.roles()[role])
    assert client.get("/api/v1/projects/").json()["count"] == project_list
    assert client.get(f"/api/v1/projects/cohort-totals/{projects.world.cohort.pk}/").status_code == totals_status


def test_patch_changes_only_the_given_fields_and_refuses_a_bad_status(projects):
    client = api(projects.world.trainee)
    url = f"/api/v1/projects/{projects.project.pk}/"
    response = client.patch(url, {"status": "under_way"}, format="json")
    assert response.status_code == 200 and response.json()["title"] == "特色农耕馆"
    assert response.json()["goals"] == "让居民参与社区空间改造"
    response = client.patch(url, {"status": "finished-ish"}, format="json")
    assert response.status_code == 400 and "status" in response.json()["error"]["fields"]
    assert client.get(url).json()["status"] == "under_way"


@pytest.mark.parametrize("offset", [-1, 1])
def test_a_support_visit_outside_the_cohort_run_is_refused(projects, offset):
    from datetime import timedelta

    cohort = projects.world.cohort
    day = cohort.starts_on - timedelta(days=1) if offset < 0 else cohort.ends_on + timedelta(days=1)
    body = {"project": projects.project.pk, "visited_on": day.isoformat(), "discussion": "讨论农耕馆布展"}
    response = api(projects.world.instructor).post("/api/v1/projects/visits/", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "visited_on" in error["fields"]
    assert cohort.starts_on.isoformat() in error["fields"]["visited_on"][0]
    assert not SupportVisit.objects.exists()
    ok = api(projects.world.instructor).post(
        "/api/v1/projects/visits/", {**body, "visited_on": cohort.ends_on.isoformat()}, format="json"
    )
    assert ok.status_code == 201


def test_patching_partners_replaces_the_list_and_audits_what_changed(projects):
    from fieldwork.projects.models import Partner
    from lms.models import AuditEntry

    Partner.objects.create(project=projects.project, kind="party_branch", name="西坊党支部")
    Partner.objects.create(project=projects.project, kind="volunteer_group", name="竹塘志愿队")
    client = api(projects.world.trainee)
    url = f"/api/v1/projects/{projects.project.pk}/"
    response = client.patch(url, {"title": "特色农耕馆（二期）"}, format="json")
    assert response.status_code == 200, response.json()
    assert Partner.objects.filter(project=projects.project).count() == 2
    entry = AuditEntry.objects.filter(verb="project.updated").latest("pk")
    assert entry.data == {"title": ["特色农耕馆", "特色农耕馆（二期）"]}

    response = client.patch(url, {"partners": [{"kind": "volunteer_group", "name": "竹塘志愿队"}]}, format="json")
    assert response.status_code == 200
    entry = AuditEntry.objects.filter(verb="project.updated").latest("pk")
    assert entry.data == {"partners_removed": ["party_branch: 西坊党支部"]}

    response = client.patch(url, {"partners": []}, format="json")
    assert response.status_code == 200
    assert not Partner.objects.filter(project=projects.project).exists()
    entry = AuditEntry.objects.filter(verb="project.updated").latest("pk")
    assert entry.data == {"partners_removed": ["volunteer_group: 竹塘志愿队"]}
