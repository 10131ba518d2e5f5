"""Moving a trainee between teams and communities of its cohort; re-enrolling a withdrawn trainee restores it."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from courses import services
from courses.models import Enrolment, EnrolmentChange, EnrolmentStatus, Team
from courses.services.moves import enrolment_move
from fieldwork import services as fieldwork_services
from fieldwork.selectors import gradebook
from lms.errors import Conflict, NotFound, ValidationFailed
from lms.models import AuditEntry
from lms.predicates import team_ids_of
from notifications.models import Kind, Notification
from tests.courses.factories import CohortFactory, TeamFactory
from tests.fieldwork.conftest import Field
from tests.lms.factories import CommunityFactory

pytestmark = pytest.mark.django_db


def db_state():
    return (
        sorted(Enrolment.objects.values_list("pk", "team_id", "community_id", "status")),
        EnrolmentChange.objects.count(),
        Notification.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.fixture
def teams(world):
    first = TeamFactory(cohort=world.cohort, name="河岗一组", community=world.community)
    second = TeamFactory(cohort=world.cohort, name="河岗二组", community=world.community)
    world.enrolment.team = first
    world.enrolment.save(update_fields=["team"])
    return first, second


def test_staff_move_a_trainee_with_date_and_reason_and_everyone_is_told(world, teams):
    first, second = teams
    teammate = Enrolment.objects.create(
        cohort=world.cohort, trainee=world.stranger, community=world.community, team=first
    )
    other_community = CommunityFactory(town=world.community.town, name="西岸社区")
    change = enrolment_move(
        enrolment=world.enrolment,
        team=second,
        community=other_community,
        effective_on=date(world.cohort.year, 6, 1),
        reason="搬家到西岸社区",
        actor=world.staff,
    )
    world.enrolment.refresh_from_db()
    assert (world.enrolment.team, world.enrolment.community) == (second, other_community)
    assert (change.from_team, change.to_team, change.from_team_name, change.reason) == (
        first,
        second,
        "河岗一组",
        "搬家到西岸社区",
    )
    assert change.effective_on == date(world.cohort.year, 6, 1) and change.changed_by == world.staff
    told = set(Notification.objects.filter(kind=Kind.MEMBER_MOVED).values_list("recipient_id", flat=True))
    assert told == {world.trainee.pk, teammate.trainee_id}
    entry = AuditEntry.objects.get(verb="enrolment.moved")
    assert entry.data["from"] == "河岗社区 · 河岗一组" and entry.data["to"] == "西岸社区 · 河岗二组"
    # Project membership follows the team.
    assert team_ids_of(world.trainee) == frozenset({second.pk})


@pytest.mark.parametrize("case", ["same_team", "other_cohort_team", "no_reason", "withdrawn", "other_district"])
def test_bad_moves_are_refused_and_change_nothing(world, teams, case, english):
    first, second = teams
    kwargs = {"enrolment": world.enrolment, "team": second, "community": world.community, "reason": "换组"}
    expected = {
        "same_team": (ValidationFailed, "no_change", "already in this team"),
        "other_cohort_team": (ValidationFailed, "team_outside_cohort", "another cohort"),
        "no_reason": (ValidationFailed, "reason_required", "reason"),
        "withdrawn": (Conflict, "not_active", "Only an active trainee"),
        "other_district": (NotFound, "not_found", "does not exist"),
    }[case]
    actor = world.staff
    if case == "same_team":
        kwargs["team"] = first
    elif case == "other_cohort_team":
        kwargs["team"] = TeamFactory(cohort=CohortFactory(district=world.district), name="另一期的组")
    elif case == "no_reason":
        kwargs["reason"] = "  "
    elif case == "withdrawn":
        services.enrolment_withdraw(enrolment=world.enrolment, reason="离职", actor=world.staff)
    else:
        actor = world.other_staff
    before = db_state()
    error, code, words = expected
    with pytest.raises(error) as caught:
        enrolment_move(actor=actor, **kwargs)
    assert caught.value.code == code and words in str(caught.value.message)
    assert db_state() == before


def test_team_work_handed_in_before_the_move_keeps_its_team_and_still_counts(world):
    field = Field(world)
    old_team = field.team
    submission = field.submitted(assignment=field.team_assignment)
    fieldwork_services.submission_grade(
        submission=submission, scores=field.scores(field.team_rubric), feedback="好", actor=world.instructor
    )
    new_team = TeamFactory(cohort=world.cohort, name="新组", community=world.community)
    enrolment_move(
        enrolment=world.enrolment,
        team=new_team,
        community=world.community,
        effective_on=timezone.localdate() + timedelta(days=1),
        reason="换组",
        actor=world.staff,
    )
    submission.refresh_from_db()
    assert submission.team == old_team  # the work stays the old team's
    row = next(r for r in gradebook(cohort=world.cohort).rows if r.enrolment.pk == world.enrolment.pk)
    cell = row.cells[[a.pk for a in gradebook(cohort=world.cohort).assignments].index(field.team_assignment.pk)]
    assert cell.submission_id == submission.pk  # the new team has nothing: the old team's earlier work counts
    # Once the new team hands in, its work counts.
    new_mate = Enrolment.objects.create(
        cohort=world.cohort, trainee=world.stranger, community=world.community, team=new_team
    )
    theirs = field.submitted(assignment=field.team_assignment, enrolment=new_mate)
    book = gradebook(cohort=world.cohort)
    row = next(r for r in book.rows if r.enrolment.pk == world.enrolment.pk)
    assert row.cells[[a.pk for a in book.assignments].index(field.team_assignment.pk)].submission_id == theirs.pk


def test_reenrolling_a_withdrawn_trainee_restores_the_enrolment_with_its_history(world, teams):
    _first, second = teams
    services.enrolment_withdraw(enrolment=world.enrolment, reason="暂时离开", actor=world.staff)
    again = services.enrolment_create(
        cohort=world.cohort, trainee=world.trainee, community=world.community, team=second, actor=world.staff
    )
    assert again.pk == world.enrolment.pk
    again.refresh_from_db()
    assert (again.status, again.team, again.withdrawn_reason) == (EnrolmentStatus.ACTIVE, second, "")
    kinds = list(again.changes.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["withdrawal", "restoration"]
    assert "暂时离开" in again.changes.get(kind="restoration").reason
    assert AuditEntry.objects.filter(verb="enrolment.restored").count() == 1
    with pytest.raises(Conflict) as caught:  # an active enrolment is still refused
        services.enrolment_create(
            cohort=world.cohort, trainee=world.trainee, community=world.community, actor=world.staff
        )
    assert caught.value.code == "already_enrolled"


def test_the_move_page_keeps_the_form_on_error_and_moves(client, world, teams):
    first, second = teams
    client.force_login(world.staff)
    url = f"/enrolments/{world.enrolment.pk}/move/"
    assert client.get(url).status_code == 200
    before = db_state()
    same = client.post(
        url, {"community": world.community.pk, "team": first.pk, "effective_on": "2022-06-01", "reason": "换"}
    )
    text = same.content.decode()
    assert same.status_code == 400 and 'id="team-error"' in text and 'value="换"' in text and "已经在" in text
    empty = client.post(
        url, {"community": world.community.pk, "team": second.pk, "effective_on": "2022-06-01", "reason": ""}
    )
    assert empty.status_code == 400 and 'id="reason-error"' in empty.content.decode()
    assert db_state() == before
    done = client.post(
        url, {"community": world.community.pk, "team": second.pk, "effective_on": "2022-06-01", "reason": "换组"}
    )
    assert done.status_code == 302
    world.enrolment.refresh_from_db()
    assert world.enrolment.team == second
    assert "换组" in client.get(url).content.decode()  # the history
    client.force_login(world.other_staff)
    assert client.get(url).status_code == 404


def test_the_api_moves_and_refuses_a_team_of_another_cohort(client, world, teams):
    first, second = teams
    client.force_login(world.staff)
    url = f"/api/v1/enrolments/{world.enrolment.pk}/move/"
    elsewhere = TeamFactory(cohort=CohortFactory(district=world.district), name="别期组")
    foreign = TeamFactory(cohort=world.other_cohort, name="顺德组")
    before = db_state()
    response = client.post(
        url, {"community": world.community.pk, "team": elsewhere.pk, "reason": "换"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "team_outside_cohort"
    response = client.post(
        url, {"community": world.community.pk, "team": foreign.pk, "reason": "换"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "unknown_id"
    assert db_state() == before
    response = client.post(
        url, {"community": world.community.pk, "team": second.pk, "reason": "换组"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["team"] == second.pk
    assert Team.objects.filter(pk=first.pk).exists()


def test_the_enrol_form_keeps_what_was_typed_with_the_message_beside_the_field(client, world, teams):
    _first, second = teams
    client.force_login(world.staff)
    before = db_state()
    typo = client.post(
        f"/cohorts/{world.cohort.pk}/enrol/",
        {"trainee": "1390000000x", "community": world.community.pk, "team": second.pk},
    )
    text = typo.content.decode()
    assert typo.status_code == 400
    assert 'id="trainee-error"' in text and 'value="1390000000x"' in text and 'data-testid="enrol-form"' in text
    assert f'<option value="{second.pk}" selected>' in text
    assert 'data-testid="progress-table"' in text  # the cohort page, not a bare error page
    assert db_state() == before
