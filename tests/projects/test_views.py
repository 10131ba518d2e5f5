import re
from datetime import date

import pytest

from fieldwork.projects.models import (
    CaseStatus,
    EngagementActivity,
    ModelCase,
    NextStep,
    ProjectPhoto,
    SupportVisit,
)
from lms.previews import previews_derive_pending
from tests.projects.factories import ActivityFactory, ModelCaseFactory, SupportVisitFactory, photo_upload

pytestmark = pytest.mark.django_db


def english(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def activity_post(projects, **overrides):
    data = {
        "kind": "deliberation",
        "title": "第一次议事会",
        "held_on": f"{projects.world.cohort.year}-04-10",
        "place": "河岗村委会",
        "account": "讨论农耕馆",
        "residents": "40",
        "parent_child_pairs": "5",
        "elders": "",
        "students": "0",
        "volunteers": "0",
        "party_members": "6",
        "party_branches": "3",
        "social_organisations": "0",
    }
    return {**data, **overrides}


def test_trainee_records_an_activity_and_totals_move(client, projects):
    english(client, projects.world.trainee)
    url = f"/projects/{projects.project.pk}/"
    response = client.post(f"{url}activities/new/", activity_post(projects, photos=[photo_upload()]), follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-group="residents"><td>Residents</td><td class="num">40</td>' in page
    assert "<svg" in page and "第一次议事会" in page
    assert EngagementActivity.objects.get().photos.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("residents", "-3", "A count cannot be negative."),
        ("elders", "many", "Enter a whole number."),
        ("held_on", "1999-01-01", "The date must fall within the cohort"),
        ("held_on", "not-a-date", "Enter a valid date."),
    ],
)
def test_bad_activity_input_is_refused_on_the_page(client, projects, field, value, message):
    english(client, projects.world.trainee)
    response = client.post(
        f"/projects/{projects.project.pk}/activities/new/", activity_post(projects, **{field: value})
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert f'data-testid="error-{field}"' in page and message in page
    assert not EngagementActivity.objects.exists()


def test_trainee_cannot_open_or_post_to_another_teams_project(client, projects):
    english(client, projects.world.trainee)
    other = projects.other_project.pk
    assert client.get(f"/projects/{other}/").status_code == 404
    response = client.post(f"/projects/{other}/activities/new/", activity_post(projects))
    assert response.status_code == 404
    response = client.post(f"/projects/teams/{projects.other_team.pk}/edit/", {"title": "x", "status": "planning"})
    assert response.status_code == 404
    response = client.post(f"/projects/{other}/case/", {"title": "x", "theme": "other"})
    assert response.status_code == 404
    assert not EngagementActivity.objects.exists() and not ModelCase.objects.exists()


def test_instructor_logs_a_visit_with_photo_and_steps(client, projects):
    english(client, projects.world.instructor)
    year = projects.world.cohort.year
    response = client.post(
        f"/projects/{projects.project.pk}/visits/new/",
        {
            "visited_on": f"{year}-05-01",
            "attendees": "何家明",
            "discussion": "布展",
            "photos": [photo_upload()],
            "step_0_description": "收集农具",
            "step_0_owner": "何家明",
            "step_0_due_on": f"{year}-05-20",
        },
        follow=True,
    )
    assert response.status_code == 200
    visit = SupportVisit.objects.get()
    assert visit.photos.count() == 1 and visit.next_steps.get().owner == "何家明"
    page = client.get(f"/projects/{projects.project.pk}/visits/new/").content.decode()
    assert "收集农具" in page


def test_instructor_of_another_cohort_cannot_log_a_visit(client, projects):
    english(client, projects.world.other_instructor)
    response = client.post(
        f"/projects/{projects.project.pk}/visits/new/",
        {"visited_on": f"{projects.world.cohort.year}-05-01", "discussion": "x"},
    )
    assert response.status_code == 404
    assert not SupportVisit.objects.exists()


def test_staff_can_view_but_not_log_a_visit(client, projects):
    english(client, projects.world.staff)
    assert client.get(f"/projects/{projects.project.pk}/").status_code == 200
    response = client.post(
        f"/projects/{projects.project.pk}/visits/new/",
        {"visited_on": f"{projects.world.cohort.year}-05-01", "discussion": "x"},
    )
    assert response.status_code == 403
    assert "Only instructors of this cohort can log support visits." in response.content.decode()
    assert not SupportVisit.objects.exists()


def test_photo_is_served_only_to_viewers_with_nosniff(client, projects):
    english(client, projects.world.trainee)
    client.post(f"/projects/{projects.project.pk}/activities/new/", activity_post(projects, photos=[photo_upload()]))
    photo = ProjectPhoto.objects.get()
    assert photo.preview_state == "pending"
    for variant in ("thumb", "display"):  # not made yet: the placeholder, never cached
        response = client.get(f"/projects/photos/{photo.pk}/{variant}/")
        assert response.status_code == 302 and response["Location"].endswith("/img/preview-pending.svg")
        assert response["Cache-Control"] == "no-store" and response["X-Content-Type-Options"] == "nosniff"
    previews_derive_pending()
    for variant in ("thumb", "display", "original"):
        response = client.get(f"/projects/photos/{photo.pk}/{variant}/")
        assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Type"] == "image/jpeg"
    assert "attachment" in response["Content-Disposition"]
    english(client, projects.other_member)
    assert client.get(f"/projects/photos/{photo.pk}/thumb/").status_code == 404
    client.logout()
    assert client.get(f"/projects/photos/{photo.pk}/thumb/").status_code == 302


def test_case_submitted_with_an_empty_section_is_refused_and_not_saved(client, projects):
    english(client, projects.world.trainee)
    data = {
        "title": "河岗农耕馆",
        "theme": "culture",
        "background": "背景",
        "problem": "问题",
        "participants": "",
        "process": "过程",
        "lessons": "经验",
        "submit": "1",
    }
    response = client.post(f"/projects/{projects.project.pk}/case/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Fill in every section before submitting." in page and 'data-testid="error-participants"' in page
    assert not ModelCase.objects.exists()


def test_case_review_by_non_instructor_is_refused(client, projects):
    case = ModelCaseFactory(project=projects.project, status=CaseStatus.SUBMITTED)
    for user, status in ((projects.world.staff, 403), (projects.world.other_instructor, 404)):
        english(client, user)
        response = client.post(f"/projects/cases/{case.pk}/review/", {"decision": "approve"})
        assert response.status_code == status
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.approved_at is None


def test_instructor_approves_and_case_appears_in_library(client, projects):
    ActivityFactory(project=projects.project, residents=87, parent_child_pairs=5, party_branches=3)
    case = ModelCaseFactory(project=projects.project, status=CaseStatus.SUBMITTED, title="农耕馆里的共同体")
    english(client, projects.world.instructor)
    response = client.post(f"/projects/cases/{case.pk}/review/", {"decision": "approve"}, follow=True)
    assert response.status_code == 200
    page = client.get("/projects/library/", {"q": "共同体"}).content.decode()
    assert "农耕馆里的共同体" in page
    detail = client.get(f"/projects/cases/{case.pk}/").content.decode()
    assert '<td class="num">87</td>' in detail


@pytest.mark.parametrize(
    "query",
    ["'; DROP TABLE projects_modelcase; --", "<script>alert(1)</script>", "%", "_", "\\"],
)
def test_library_search_with_sql_or_html_is_answered_safely(client, projects, query):
    ModelCaseFactory(project=projects.project, status=CaseStatus.APPROVED, title="农耕馆", approved_at=None)
    english(client, projects.world.staff)
    response = client.get("/projects/library/", {"q": query})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert 'data-testid="result-count">0 cases found' in page
    assert ModelCase.objects.count() == 1


def test_next_step_closed_by_team_member(client, projects):
    visit = SupportVisitFactory(project=projects.project, instructor=projects.world.instructor)
    step = NextStep.objects.create(visit=visit, description="收集农具", owner="何家明", due_on=date(2000, 1, 1))
    english(client, projects.world.trainee)
    assert client.post(f"/projects/next-steps/{step.pk}/close/").status_code == 302
    step.refresh_from_db()
    assert step.done


def test_cohort_totals_page_for_staff_not_for_trainee(client, projects):
    ActivityFactory(project=projects.project, residents=40)
    ActivityFactory(project=projects.other_project, residents=7)
    english(client, projects.world.staff)
    page = client.get(f"/projects/cohorts/{projects.world.cohort.pk}/totals/").content.decode()
    assert 'data-group="residents"><td>Residents</td><td class="num">47</td>' in page
    assert "<svg" in page and not re.search(r"<script(?![^>]*\bsrc=)", page)  # the chart needs no script
    english(client, projects.world.trainee)
    assert client.get(f"/projects/cohorts/{projects.world.cohort.pk}/totals/").status_code == 404
    english(client, projects.world.other_staff)
    assert client.get(f"/projects/cohorts/{projects.world.cohort.pk}/totals/").status_code == 404


PAGE_MATRIX = {
    # role: (project page, log-visit page, activity page, totals page, library)
    "trainee": (200, 403, 200, 404, 200),
    "other_trainee": (404, 404, 404, 404, 200),
    "instructor": (200, 200, 403, 200, 200),
    "other_instructor": (404, 404, 404, 404, 200),
    "staff": (200, 403, 403, 200, 200),
    "other_staff": (404, 404, 404, 404, 200),
    "stranger": (404, 404, 404, 404, 404),
}


@pytest.mark.parametrize("role", list(PAGE_MATRIX))
def test_page_permission_matrix(client, projects, role):
    client.force_login(projects.world.roles()[role])
    pk = projects.project.pk
    urls = (
        f"/projects/{pk}/",
        f"/projects/{pk}/visits/new/",
        f"/projects/{pk}/activities/new/",
        f"/projects/cohorts/{projects.world.cohort.pk}/totals/",
        "/projects/library/",
    )
    assert tuple(client.get(url).status_code for url in urls) == PAGE_MATRIX[role]


def test_user_text_is_escaped_on_the_project_page(client, projects):
    english(client, projects.world.trainee)
    response = client.post(
        f"/projects/{projects.project.pk}/activities/new/",
        activity_post(projects, title="<script>alert('x')</script>", account="<img src=x onerror=alert(1)>"),
        follow=True,
    )
    page = response.content.decode()
    assert "<script>alert(" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page


def test_api_before_after_multipart_upload(projects):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(projects.world.trainee)
    response = client.post(
        "/api/v1/projects/before-after/",
        {
            "project": projects.project.pk,
            "place": "农耕馆地面",
            "caption": "铺装",
            "before": photo_upload("b.jpg"),
            "after": photo_upload("a.png", fmt="PNG"),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    after = response.json()["after"]
    assert after["preview_state"] == "pending" and after["thumbnail_url"] is None and after["display_url"] is None
    previews_derive_pending()
    listed = client.get("/api/v1/projects/before-after/").json()
    assert listed["results"][0]["after"]["preview_state"] == "ready"
    assert listed["results"][0]["after"]["thumbnail_url"].endswith("/thumb/")
    assert listed["count"] == 1
    other = APIClient()
    other.force_authenticate(projects.other_member)
    assert other.get("/api/v1/projects/before-after/").json()["count"] == 0


def test_submitted_case_editor_redirects_and_post_is_refused(client, projects):
    case = ModelCaseFactory(project=projects.project, status=CaseStatus.SUBMITTED, title="原标题")
    english(client, projects.world.trainee)
    response = client.get(f"/projects/{projects.project.pk}/case/")
    assert response.status_code == 302 and response["Location"] == f"/projects/cases/{case.pk}/"
    response = client.post(f"/projects/{projects.project.pk}/case/", {"title": "改", "theme": "other"})
    assert response.status_code == 409
    assert "A submitted or approved case cannot be edited." in response.content.decode()
    case.refresh_from_db()
    assert case.title == "原标题"


def test_instructor_home_lists_cases_awaiting_review(client, projects):
    ModelCaseFactory(project=projects.project, status=CaseStatus.SUBMITTED, title="待审案例")
    ModelCaseFactory(project=projects.foreign_project, status=CaseStatus.SUBMITTED, title="别区案例")
    client.force_login(projects.world.instructor)
    page = client.get("/projects/").content.decode()
    assert 'data-testid="cases-to-review"' in page and "待审案例" in page and "别区案例" not in page
    client.force_login(projects.world.trainee)
    assert 'data-testid="cases-to-review"' not in client.get("/projects/").content.decode()
