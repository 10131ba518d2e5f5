"""Bad input to field work answers a 4xx with a message, never a 500, and changes nothing."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from fieldwork import services
from fieldwork.models import SubmissionState
from lms.access import parse_id as id_or_none
from lms.errors import ValidationFailed
from tests.fieldwork.snapshots import snapshot
from tests.fieldwork.test_views import english

pytestmark = pytest.mark.django_db

ROUTES = [
    ("get", "/api/v1/assignments/{id}/"),
    ("post", "/api/v1/assignments/{id}/submission/"),
    ("post", "/api/v1/assignments/{id}/release/"),
    ("post", "/api/v1/assignments/{id}/extensions/"),
    ("get", "/api/v1/submissions/{id}/"),
    ("post", "/api/v1/submissions/{id}/files/"),
    ("post", "/api/v1/submissions/{id}/submit/"),
    ("post", "/api/v1/submissions/{id}/return/"),
    ("post", "/api/v1/submissions/{id}/grade/"),
    ("get", "/api/v1/submissions/{id}/assessments/"),
    ("post", "/api/v1/submissions/{id}/release/"),
    ("post", "/api/v1/submissions/{id}/objection/"),
    ("post", "/api/v1/objections/{id}/resolve/"),
    ("delete", "/api/v1/submission-files/{id}/"),
    ("get", "/api/v1/submission-files/{id}/download/"),
    ("get", "/api/v1/gradebooks/{id}/"),
]


@pytest.mark.parametrize(("method", "route"), ROUTES)
@pytest.mark.parametrize("bad_id", ["abc", "²", "1e3", "99999999999999999999999"])
def test_malformed_ids_answer_not_found(field, method, route, bad_id):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(field.world.instructor)
    response = getattr(client, method)(route.format(id=bad_id), {}, format="json")
    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(("value", "expected"), [("12", 12), (12, 12), ("²", None), ("-1", None), (True, None)])
def test_ids_are_ascii_digits_only(value, expected):
    assert id_or_none(value) == expected


@pytest.mark.parametrize("points", ["NaN", "Infinity", "-inf", "1e999"])
def test_points_that_are_not_finite_numbers_are_refused_on_the_page(client, field, points):
    submission = field.submitted()
    english(client, field.world.instructor)
    criteria = list(submission.assignment.criteria.all())
    data = {"action": "grade", "feedback": "好"}
    for (criterion, low, _high), _c in zip(field.rubric, criteria, strict=True):
        data[f"level_{criterion.pk}"] = str(low.pk)
        data[f"points_{criterion.pk}"] = points
    before = snapshot()
    response = client.post(reverse("fieldwork:submission-grade", args=[submission.pk]), data)
    assert response.status_code == 400
    assert "allows 0.0 to 5.0 points" in response.content.decode() or "must be a number" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("total", [Decimal("NaN"), Decimal("Infinity"), Decimal("-1"), Decimal("9999")])
def test_member_adjustment_must_be_a_finite_score_in_range(field, total, english):
    submission = field.submitted(assignment=field.team_assignment)
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        services.submission_grade(
            submission=submission,
            scores=field.scores(field.team_rubric),
            feedback="好",
            adjustments=[services.AdjustmentInput(field.teammate_enrolment.pk, total, "缺席")],
            actor=field.world.instructor,
        )
    assert caught.value.code == "score_out_of_range"
    assert snapshot() == before


def test_adjustment_nan_on_the_page_answers_400(client, field):
    submission = field.submitted(assignment=field.team_assignment)
    english(client, field.world.instructor)
    data = {"action": "grade", "feedback": "好"}
    for criterion, _low, high in field.team_rubric:
        data[f"level_{criterion.pk}"] = str(high.pk)
        data[f"points_{criterion.pk}"] = "8"
    data[f"adjust_total_{field.teammate_enrolment.pk}"] = "NaN"
    data[f"adjust_reason_{field.teammate_enrolment.pk}"] = "缺席"
    before = snapshot()
    response = client.post(reverse("fieldwork:submission-grade", args=[submission.pk]), data)
    assert response.status_code == 400
    assert "An adjusted score must lie within the rubric" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("action", ["uphold", "regrade"])
def test_answering_an_objection_that_was_never_raised_answers_409(client, field, action):
    submission = field.released()
    english(client, field.world.instructor)
    before = snapshot()
    response = client.post(
        reverse("fieldwork:submission-grade", args=[submission.pk]), {"action": action, "response": "维持"}
    )
    assert response.status_code == 409
    assert "This work has no objection to answer." in response.content.decode()
    assert snapshot() == before
    submission.refresh_from_db()
    assert submission.state == SubmissionState.RELEASED


def test_a_withdrawn_trainee_cannot_hand_in_individual_work(field, english):
    from courses import services as course_services
    from lms.errors import NotAllowed
    from tests.fieldwork.factories import photo

    submission = services.submission_start(
        assignment=field.assignment, enrolment=field.world.enrolment, actor=field.world.trainee
    )
    course_services.enrolment_withdraw(enrolment=field.world.enrolment, reason="工作调动", actor=field.world.staff)
    before = snapshot()
    with pytest.raises(NotAllowed) as raised:
        services.submission_file_add(submission=submission, uploads_=[photo()], actor=field.world.trainee)
    assert raised.value.code == "not_allowed"
    with pytest.raises(NotAllowed) as raised:
        services.submission_submit(submission=submission, actor=field.world.trainee)
    assert raised.value.code == "not_allowed"
    assert snapshot() == before


@pytest.mark.parametrize("kind", ["team_on_individual", "trainee_on_team"])
def test_extensions_match_the_assignment_mode(field, english, kind):
    from datetime import timedelta

    from django.utils import timezone

    from fieldwork.models import Extension

    owner = (
        {"assignment": field.assignment, "team": field.team}
        if kind == "team_on_individual"
        else {"assignment": field.team_assignment, "enrolment": field.world.enrolment}
    )
    with pytest.raises(ValidationFailed) as caught:
        services.extension_grant(
            due_at=timezone.now() + timedelta(days=3), reason="生病", actor=field.world.instructor, **owner
        )
    assert caught.value.code == "extension_mode_mismatch"
    assert not Extension.objects.exists()


def test_a_member_sees_only_its_own_adjustment_on_pages_and_api(client, field):
    from tests.fieldwork.test_views import english as page_english

    submission = field.submitted(assignment=field.team_assignment)
    services.submission_grade(
        submission=submission,
        scores=field.scores(field.team_rubric),
        feedback="好",
        adjustments=[
            services.AdjustmentInput(field.teammate_enrolment.pk, Decimal(10), "缺席两次议事会"),
            services.AdjustmentInput(field.world.enrolment.pk, Decimal(12), "主持议事会加分"),
        ],
        actor=field.world.instructor,
    )
    services.grade_release(submission=submission, actor=field.world.instructor)
    page_english(client, field.world.trainee)
    page = client.get(reverse("fieldwork:assignment-detail", args=[field.team_assignment.pk])).content.decode()
    assert "主持议事会加分" in page and "缺席两次议事会" not in page
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(field.world.trainee)
    body = api.get(f"/api/v1/submissions/{submission.pk}/assessments/").json()
    adjustments = [a for assessment in body for a in assessment["adjustments"]]
    assert adjustments == [{"enrolment": field.world.enrolment.pk, "total": "12.0", "reason": "主持议事会加分"}]
    api.force_authenticate(field.world.instructor)
    body = api.get(f"/api/v1/submissions/{submission.pk}/assessments/").json()
    assert len([a for assessment in body for a in assessment["adjustments"]]) == 2
