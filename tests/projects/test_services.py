from datetime import date

import pytest

from fieldwork.projects import services
from fieldwork.projects.models import (
    ActivityKind,
    BeforeAfterPair,
    CaseStatus,
    EngagementActivity,
    FieldProject,
    ModelCase,
    NextStep,
    PartnerKind,
    ProjectPhoto,
    SupportVisit,
)
from fieldwork.projects.selectors import last_visit_open_steps, project_totals
from lms.errors import Conflict, NotAllowed, ValidationFailed
from lms.models import AuditEntry
from tests.projects.factories import ActivityFactory, ModelCaseFactory, SupportVisitFactory, photo_upload

pytestmark = pytest.mark.django_db


def record(projects, actor=None, **overrides):
    values = {
        "project": projects.project,
        "actor": actor or projects.world.trainee,
        "kind": ActivityKind.DELIBERATION,
        "title": "第一次议事会",
        "held_on": date(projects.world.cohort.year, 4, 10),
        "place": "河岗村委会",
        "counts": {"residents": 40, "party_branches": 3},
    }
    return services.activity_record(**{**values, **overrides})


def test_team_member_updates_project_with_partners(projects):
    project = services.project_update(
        team=projects.team,
        actor=projects.world.trainee,
        title="特色农耕馆",
        goals="活化闲置空间",
        status="under_way",
        partners=[(PartnerKind.PARTY_BRANCH, "西坊党支部"), (PartnerKind.PARTY_BRANCH, "西坊党支部")],
    )
    assert project.pk == projects.project.pk and project.status == "under_way"
    assert list(project.partners.values_list("name", flat=True)) == ["西坊党支部"]
    assert AuditEntry.objects.filter(verb="project.updated").exists()


@pytest.mark.parametrize("who", ["other_member", "instructor", "staff", "stranger"])
def test_only_team_members_edit_the_project(projects, who):
    actor = projects.other_member if who == "other_member" else getattr(projects.world, who)
    with pytest.raises(NotAllowed) as caught:
        services.project_update(team=projects.team, actor=actor, title="改名")
    assert caught.value.code == "not_allowed"
    assert FieldProject.objects.get(pk=projects.project.pk).title == "特色农耕馆"


def test_withdrawn_member_can_no_longer_edit(projects):
    projects.world.enrolment.status = "withdrawn"
    projects.world.enrolment.save()
    with pytest.raises(NotAllowed) as caught:
        record(projects)
    assert caught.value.code == "not_allowed"


def test_activity_recorded_and_totals_are_sums(projects):
    record(projects)
    record(projects, counts={"residents": "47", "parent_child_pairs": 5})
    totals = project_totals(project=projects.project)
    assert totals["residents"] == 87 and totals["parent_child_pairs"] == 5 and totals["party_branches"] == 3
    assert totals["activities"] == 2


@pytest.mark.parametrize(
    ("counts", "field", "message"),
    [
        ({"residents": -1}, "residents", "A count cannot be negative."),
        ({"elders": "abc"}, "elders", "Enter a whole number."),
        ({"students": "3.5"}, "students", "Enter a whole number."),
        ({"volunteers": 2.5}, "volunteers", "Enter a whole number."),
        ({"volunteers": 10**9}, "volunteers", "This count is too large."),
    ],
)
def test_bad_participant_counts_are_refused(projects, counts, field, message):
    with pytest.raises(ValidationFailed) as error:
        record(projects, counts=counts)
    assert error.value.code == "invalid"
    assert error.value.fields[field] == [message]
    assert not EngagementActivity.objects.exists()


@pytest.mark.parametrize("day", [date(1999, 1, 1), "2022-05-01", None])
def test_activity_outside_the_cohort_run_is_refused(projects, day):
    cohort = projects.world.cohort
    held_on = {None: date(cohort.year + 1, 1, 1)}.get(day, day)
    with pytest.raises(ValidationFailed) as error:
        record(projects, held_on=held_on)
    assert error.value.code == "invalid"
    assert "held_on" in error.value.fields
    assert not EngagementActivity.objects.exists()


def test_trainee_cannot_record_an_activity_for_another_team(projects):
    with pytest.raises(NotAllowed) as caught:
        record(projects, project=projects.other_project)
    assert caught.value.code == "not_allowed"
    assert not EngagementActivity.objects.exists()


def test_trainee_cannot_correct_another_teams_activity_through_its_own_project(projects):
    theirs = ActivityFactory(project=projects.other_project, residents=3)
    with pytest.raises(NotAllowed) as caught:
        record(projects, activity=theirs, counts={"residents": 99})
    assert caught.value.code == "not_allowed"
    theirs.refresh_from_db()
    assert theirs.residents == 3


def test_activity_with_photo_stores_private_file_with_hash(projects, private_storage):
    activity = record(projects, photo_files=[photo_upload("../../etc/<b>x</b>.jpg")])
    photo = activity.photos.get()
    assert photo.content_type == "image/jpeg" and len(photo.sha256) == 64 and photo.size > 0
    assert "/" not in photo.original_name and "<" not in photo.original_name
    assert (private_storage / photo.path).exists() and (private_storage / photo.thumbnail_path).exists()
    assert (private_storage / photo.display_path).exists()


def test_activity_with_a_fake_photo_stores_nothing(projects, private_storage):
    fake = photo_upload("x.jpg", content=b"<svg onload=alert(1)></svg>")
    with pytest.raises(ValidationFailed) as error:
        record(projects, photo_files=[fake])
    assert error.value.code == "bad_photo"
    assert not EngagementActivity.objects.exists() and not ProjectPhoto.objects.exists()
    assert not any(private_storage.rglob("*.*"))


def test_instructor_logs_a_visit_and_the_next_one_shows_open_steps(projects):
    world = projects.world
    first = services.visit_log(
        project=projects.project,
        actor=world.instructor,
        visited_on=date(world.cohort.year, 5, 1),
        discussion="讨论农耕馆布展",
        attendees="何家明、何秀英",
        next_steps=[
            {"description": "收集农具", "owner": "何家明", "due_on": date(world.cohort.year, 5, 20)},
            {"description": "联系高校志愿者", "owner": "何秀英"},
            {"description": "", "owner": ""},
        ],
        photo_files=[photo_upload()],
    )
    assert first.next_steps.count() == 2 and first.photos.count() == 1
    services.next_step_close(step=first.next_steps.get(description="收集农具"), actor=world.trainee)
    assert [s.description for s in last_visit_open_steps(project=projects.project)] == ["联系高校志愿者"]


@pytest.mark.parametrize("who", ["other_instructor", "staff", "trainee"])
def test_only_instructors_of_the_cohort_log_visits(projects, who):
    with pytest.raises(NotAllowed) as error:
        services.visit_log(
            project=projects.project,
            actor=getattr(projects.world, who),
            visited_on=date(projects.world.cohort.year, 5, 1),
            discussion="x",
        )
    assert error.value.code == "not_allowed"
    assert not SupportVisit.objects.exists()


def test_visit_with_half_a_next_step_is_refused(projects):
    with pytest.raises(ValidationFailed) as error:
        services.visit_log(
            project=projects.project,
            actor=projects.world.instructor,
            visited_on=date(projects.world.cohort.year, 5, 1),
            discussion="x",
            next_steps=[{"description": "收集农具", "owner": ""}],
        )
    assert error.value.code == "invalid"
    assert "next_steps" in error.value.fields
    assert not SupportVisit.objects.exists() and not NextStep.objects.exists()


def test_other_team_cannot_close_next_steps(projects):
    visit = SupportVisitFactory(project=projects.project, instructor=projects.world.instructor)
    step = NextStep.objects.create(visit=visit, description="x", owner="y")
    with pytest.raises(NotAllowed) as caught:
        services.next_step_close(step=step, actor=projects.other_member)
    assert caught.value.code == "not_allowed"
    step.refresh_from_db()
    assert not step.done


def test_before_after_pair(projects):
    pair = services.before_after_add(
        project=projects.project,
        actor=projects.world.trainee,
        place="农耕馆地面",
        caption="社区两委铺装了地面",
        before_file=photo_upload("before.png", fmt="PNG"),
        after_file=photo_upload("after.jpg"),
    )
    assert pair.before.content_type == "image/png" and pair.after.content_type == "image/jpeg"


def test_before_after_by_another_team_is_refused(projects):
    with pytest.raises(NotAllowed) as caught:
        services.before_after_add(
            project=projects.project,
            actor=projects.other_member,
            place="x",
            before_file=photo_upload(),
            after_file=photo_upload(),
        )
    assert caught.value.code == "not_allowed"
    assert not BeforeAfterPair.objects.exists() and not ProjectPhoto.objects.exists()


def write_case(projects, **sections):
    values = dict(background="背景", problem="问题", participants="党员、居民", process="两次议事会", lessons="经验")
    return services.case_save(
        project=projects.project,
        actor=projects.world.trainee,
        title="河岗农耕馆",
        theme="culture",
        **{**values, **sections},
    )


def test_case_submit_freezes_results_from_records(projects):
    ActivityFactory(project=projects.project, residents=87, parent_child_pairs=5, party_branches=3)
    case = services.case_submit(case=write_case(projects), actor=projects.world.trainee)
    assert case.status == CaseStatus.SUBMITTED
    assert case.results["residents"] == 87 and case.results["party_branches"] == 3


def test_case_with_an_empty_section_cannot_be_submitted(projects):
    case = write_case(projects, lessons="   ")
    with pytest.raises(ValidationFailed) as error:
        services.case_submit(case=case, actor=projects.world.trainee)
    assert error.value.code == "empty_section" and list(error.value.fields) == ["lessons"]
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT and case.submitted_at is None


def test_another_team_cannot_edit_or_submit_the_case(projects):
    case = write_case(projects)
    with pytest.raises(NotAllowed) as caught:
        services.case_save(project=projects.project, actor=projects.other_member, title="抢来的")
    assert caught.value.code == "not_allowed"
    with pytest.raises(NotAllowed) as caught:
        services.case_submit(case=case, actor=projects.other_member)
    assert caught.value.code == "not_allowed"
    case.refresh_from_db()
    assert case.title == "河岗农耕馆" and case.status == CaseStatus.DRAFT


def test_submitted_case_is_locked_for_editing(projects):
    services.case_submit(case=write_case(projects), actor=projects.world.trainee)
    with pytest.raises(Conflict) as caught:
        write_case(projects, background="改写")
    assert caught.value.code == "case_locked"


def test_return_then_resubmit_then_approve(projects):
    world = projects.world
    case = services.case_submit(case=write_case(projects), actor=world.trainee)
    with pytest.raises(ValidationFailed) as caught:
        services.case_return(case=case, actor=world.instructor, comments=" ")
    assert caught.value.code == "comments_required"
    case = services.case_return(case=case, actor=world.instructor, comments="请补充数据")
    assert case.status == CaseStatus.RETURNED
    case = write_case(projects, process="补充后的过程")
    case = services.case_submit(case=case, actor=world.trainee)
    case = services.case_approve(case=case, actor=world.instructor)
    assert case.status == CaseStatus.APPROVED and case.approved_by == world.instructor
    with pytest.raises(Conflict) as caught:
        services.case_approve(case=case, actor=world.instructor)
    assert caught.value.code == "case_not_submitted"


@pytest.mark.parametrize("who", ["other_instructor", "staff", "trainee", "stranger"])
def test_only_an_instructor_of_the_cohort_approves(projects, who):
    case = ModelCaseFactory(project=projects.project, status=CaseStatus.SUBMITTED)
    with pytest.raises(NotAllowed) as caught:
        services.case_approve(case=case, actor=getattr(projects.world, who))
    assert caught.value.code == "not_allowed"
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.approved_by is None
    assert not ModelCase.objects.filter(status=CaseStatus.APPROVED).exists()


def test_a_bad_second_photo_leaves_no_rows_and_no_files(projects, private_storage):
    broken_png = b"\x89PNG\r\n\x1a\n" + b"not really an image"
    with pytest.raises(ValidationFailed) as error:
        record(projects, photo_files=[photo_upload("good.jpg"), photo_upload("bad.png", content=broken_png)])
    assert error.value.code == "bad_photo" and "photos" in error.value.fields
    assert not EngagementActivity.objects.exists() and not ProjectPhoto.objects.exists()
    assert not [p for p in private_storage.rglob("*") if p.is_file()]


def test_bad_after_photo_removes_the_stored_before_photo(projects, private_storage):
    with pytest.raises(ValidationFailed) as error:
        services.before_after_add(
            project=projects.project,
            actor=projects.world.trainee,
            place="地面",
            before_file=photo_upload(),
            after_file=photo_upload("x.gif", content=b"GIF89a...."),
        )
    assert error.value.code == "bad_photo"
    assert list(error.value.fields) == ["after"]
    assert not BeforeAfterPair.objects.exists() and not ProjectPhoto.objects.exists()
    assert not [p for p in private_storage.rglob("*") if p.is_file()]


def test_too_many_photos_are_refused(projects):
    with pytest.raises(ValidationFailed) as error:
        record(projects, photo_files=[photo_upload() for _ in range(services.MAX_PHOTOS + 1)])
    assert error.value.code == "too_many_photos"
    assert not EngagementActivity.objects.exists()


def test_before_after_change_date_outside_the_run_is_refused(projects):
    with pytest.raises(ValidationFailed) as error:
        services.before_after_add(
            project=projects.project,
            actor=projects.world.trainee,
            place="地面",
            changed_on=date(1999, 1, 1),
            before_file=photo_upload(),
            after_file=photo_upload(),
        )
    assert error.value.code == "invalid"
    assert list(error.value.fields) == ["changed_on"]
    assert not BeforeAfterPair.objects.exists() and not ProjectPhoto.objects.exists()
