from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from fieldwork import services
from fieldwork.models import GradeChange, Objection, ObjectionOutcome, SubmissionFile, SubmissionState
from lms.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from lms.previews import previews_derive_pending
from lms.uploads import FileRefused, FileTooLarge
from tests.fieldwork.conftest import future, past
from tests.fieldwork.factories import PDF_BYTES, photo, report, upload
from tests.fieldwork.snapshots import snapshot

pytestmark = pytest.mark.usefixtures("english")


def start(field, enrolment=None, assignment=None):
    enrolment = enrolment or field.world.enrolment
    return services.submission_start(
        assignment=assignment or field.assignment, enrolment=enrolment, actor=enrolment.trainee
    )


def test_submit_freezes_versions_and_keeps_earlier_ones(field, private_storage):
    world = field.world
    submission = field.submitted()
    assert submission.state == SubmissionState.SUBMITTED and not submission.is_late
    first = submission.versions.get()
    assert sorted(f.name for f in first.files.all()) == ["资产地图报告.pdf", "资产照片.jpg"]
    photo_file = submission.files.get(kind="image")
    # Only the original is stored in the request; its size is read from the header.
    assert photo_file.preview_state == "pending" and not photo_file.thumbnail_name and photo_file.width == 40
    assert previews_derive_pending() == 1
    photo_file.refresh_from_db()
    assert photo_file.preview_state == "ready" and photo_file.thumbnail_name and photo_file.display_name
    assert len(photo_file.sha256) == 64

    services.submission_return(submission=submission, feedback="请补充居民访谈照片。", actor=world.instructor)
    submission.refresh_from_db()
    assert submission.state == SubmissionState.RETURNED
    services.submission_file_remove(file=photo_file, actor=world.trainee)
    services.submission_file_add(submission=submission, uploads_=[photo("访谈.jpg")], actor=world.trainee)
    services.submission_submit(submission=submission, actor=world.trainee)
    second = submission.versions.get(number=2)
    assert sorted(f.name for f in second.files.all()) == ["访谈.jpg", "资产地图报告.pdf"]
    # The first version still holds the removed photo, still stored.
    assert sorted(f.name for f in first.files.all()) == ["资产地图报告.pdf", "资产照片.jpg"]
    assert (private_storage / photo_file.storage_name).exists()


def test_removing_a_never_submitted_file_deletes_it_from_storage(
    field, private_storage, django_capture_on_commit_callbacks
):
    submission = start(field)
    (added,) = services.submission_file_add(submission=submission, uploads_=[report()], actor=field.world.trainee)
    path = private_storage / added.storage_name
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.submission_file_remove(file=added, actor=field.world.trainee)
    assert not path.exists() and not SubmissionFile.objects.exists()


def test_team_submission_is_shared_by_members(field):
    world = field.world
    submission = start(field, assignment=field.team_assignment)
    same = start(field, enrolment=field.teammate_enrolment, assignment=field.team_assignment)
    assert submission.pk == same.pk and submission.team_id == field.team.pk
    services.submission_file_add(submission=submission, uploads_=[report()], actor=field.teammate)
    services.submission_submit(submission=submission, actor=world.trainee)
    with pytest.raises(NotFound) as caught:
        services.submission_save_draft(submission=submission, note="x", actor=field.classmate)
    assert caught.value.code == "not_found"


def test_late_work_is_accepted_and_marked(field):
    field.assignment.due_at = past(1)
    field.assignment.opens_at = past(10)
    field.assignment.save()
    submission = field.submitted()
    assert submission.is_late and submission.versions.get().is_late


def test_closed_assignment_refuses_without_extension_and_accepts_with_one(field, private_storage):
    world = field.world
    field.assignment.opens_at, field.assignment.due_at, field.assignment.closes_at = past(10), past(3), past(1)
    field.assignment.save()
    submission = start(field)
    services.submission_file_add(submission=submission, uploads_=[report()], actor=world.trainee)
    before = snapshot(private_storage)
    with pytest.raises(Conflict) as caught:
        services.submission_submit(submission=submission, actor=world.trainee)
    assert caught.value.code == "assignment_closed" and "extension" in str(caught.value.message)
    assert snapshot(private_storage) == before

    services.extension_grant(
        assignment=field.assignment, enrolment=world.enrolment, due_at=future(2), reason="病假", actor=world.instructor
    )
    version = services.submission_submit(submission=submission, actor=world.trainee)
    assert not version.is_late


def test_extension_for_a_team_and_outside_the_cohort(field):
    world = field.world
    services.extension_grant(
        assignment=field.team_assignment, team=field.team, due_at=future(3), reason="", actor=world.instructor
    )
    with pytest.raises(NotAllowed) as caught:
        services.extension_grant(
            assignment=field.assignment, enrolment=world.enrolment, due_at=future(3), reason="", actor=world.trainee
        )
    assert caught.value.code == "not_allowed"
    with pytest.raises(ValidationFailed) as caught:
        services.extension_grant(
            assignment=field.assignment,
            enrolment=world.other_enrolment,
            due_at=future(3),
            reason="",
            actor=world.instructor,
        )
    assert caught.value.code == "invalid"


def test_too_many_files_is_refused_and_nothing_stored(field, private_storage):
    submission = start(field)
    before = snapshot(private_storage)
    with pytest.raises(ValidationFailed) as caught:
        services.submission_file_add(
            submission=submission, uploads_=[photo(f"{i}.jpg") for i in range(4)], actor=field.world.trainee
        )
    assert caught.value.code == "too_many_files" and "At most 3" in str(caught.value.message)
    assert snapshot(private_storage) == before


def test_total_over_the_limit_is_refused(field, private_storage):
    field.assignment.max_total_size = field.assignment.max_file_size = 100
    field.assignment.save()
    submission = start(field)
    before = snapshot(private_storage)
    with pytest.raises(FileTooLarge) as caught:
        services.submission_file_add(
            submission=submission,
            uploads_=[upload("a.pdf", PDF_BYTES + b"0" * 40), upload("b.pdf", PDF_BYTES + b"0" * 40)],
            actor=field.world.trainee,
        )
    assert caught.value.code == "total_too_large" and caught.value.status_code == 413
    assert snapshot(private_storage) == before


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("报告.pdf", b"MZ\x90\x00rest", "file_type_mismatch"),
        ("照片.jpg", b"<svg><script>alert(1)</script></svg>", "file_type_mismatch"),
        ("page.html", b"<html></html>", "file_type_not_allowed"),
        ("..\\..\\evil.pdf", PDF_BYTES, "bad_file_name"),
        ("bell\x07.pdf", PDF_BYTES, "bad_file_name"),
        ("empty.pdf", b"", "file_empty"),
    ],
)
def test_a_bad_file_in_a_batch_stores_nothing(field, private_storage, name, content, code):
    submission = start(field)
    before = snapshot(private_storage)
    with pytest.raises(FileRefused) as caught:
        services.submission_file_add(
            submission=submission, uploads_=[photo(), upload(name, content)], actor=field.world.trainee
        )
    assert caught.value.code == code
    assert snapshot(private_storage) == before


def test_submitted_work_cannot_be_changed(field):
    submission = field.submitted()
    with pytest.raises(Conflict) as caught:
        services.submission_file_add(submission=submission, uploads_=[report()], actor=field.world.trainee)
    assert caught.value.code == "not_editable"


def test_grade_is_validated_against_rubric_ranges(field, private_storage):
    world = field.world
    submission = field.submitted()
    (c1, low1, high1), (c2, low2, high2) = field.rubric
    before = snapshot(private_storage)
    bad_inputs = [
        (
            [services.ScoreInput(c1.pk, high1.pk, Decimal("11")), services.ScoreInput(c2.pk, high2.pk, 7)],
            "score_out_of_range",
        ),
        (
            [services.ScoreInput(c1.pk, low1.pk, Decimal("6")), services.ScoreInput(c2.pk, high2.pk, 7)],
            "score_out_of_range",
        ),
        (
            [services.ScoreInput(c1.pk, high2.pk, Decimal("7")), services.ScoreInput(c2.pk, high2.pk, 7)],
            "score_out_of_range",
        ),
        (
            [services.ScoreInput(c1.pk, high1.pk, Decimal("-1")), services.ScoreInput(c2.pk, high2.pk, 7)],
            "score_out_of_range",
        ),
        ([services.ScoreInput(c1.pk, high1.pk, Decimal("7"))], "rubric_incomplete"),
    ]
    for scores, code in bad_inputs:
        with pytest.raises(ValidationFailed) as caught:
            services.submission_grade(submission=submission, scores=scores, feedback="", actor=world.instructor)
        assert caught.value.code == code
    assert snapshot(private_storage) == before

    assessment = services.submission_grade(
        submission=submission,
        scores=[services.ScoreInput(c1.pk, high1.pk, Decimal("7.5")), services.ScoreInput(c2.pk, low2.pk, 4)],
        feedback="很好",
        actor=world.instructor,
    )
    assert assessment.total == Decimal("11.5")
    submission.refresh_from_db()
    assert (submission.state, submission.score) == (SubmissionState.GRADED, Decimal("11.5"))


def test_instructor_outside_the_cohort_cannot_grade(field, private_storage):
    world = field.world
    submission = field.submitted()
    before = snapshot(private_storage)
    for actor in (world.other_instructor, world.other_staff, field.classmate):
        with pytest.raises(NotFound) as caught:
            services.submission_grade(submission=submission, scores=field.scores(), feedback="", actor=actor)
        assert caught.value.code == "not_found"
    for actor in (world.staff, world.trainee):  # they may see the work, but grading is the instructors'
        with pytest.raises(NotAllowed) as caught:
            services.submission_grade(submission=submission, scores=field.scores(), feedback="", actor=actor)
        assert caught.value.code == "not_allowed"
    assert snapshot(private_storage) == before


def test_every_grade_change_is_recorded(field):
    world = field.world
    submission = field.graded()
    services.submission_grade(
        submission=submission,
        scores=field.scores(points=(9, 9)),
        feedback="",
        reason="复核后调整",
        actor=world.instructor,
    )
    services.grade_release(submission=submission, actor=world.instructor)
    services.objection_raise(submission=submission, reason="访谈记录已补充。", actor=world.trainee)
    objection = Objection.objects.get()
    services.objection_resolve(
        objection=objection,
        outcome=ObjectionOutcome.REGRADED,
        response="同意上调。",
        scores=field.scores(points=(10, 9)),
        actor=world.instructor,
    )
    changes = list(GradeChange.objects.filter(submission=submission).values_list("old_score", "new_score", "new_state"))
    assert changes == [
        (None, Decimal("15"), "graded"),
        (Decimal("15"), Decimal("18"), "graded"),
        (Decimal("18"), Decimal("18"), "released"),
        (Decimal("18"), Decimal("18"), "objected"),
        (Decimal("18"), Decimal("19"), "final"),
    ]
    assert GradeChange.objects.filter(submission=submission, changed_by=world.instructor).count() == 4


def test_team_member_adjustment_needs_a_reason_and_a_member(field):
    world = field.world
    submission = field.submitted(assignment=field.team_assignment)
    with pytest.raises(ValidationFailed) as caught:
        services.submission_grade(
            submission=submission,
            scores=field.scores(field.team_rubric),
            feedback="",
            actor=world.instructor,
            adjustments=[services.AdjustmentInput(field.teammate_enrolment.pk, Decimal(10), " ")],
        )
    assert caught.value.code == "invalid"
    with pytest.raises(ValidationFailed) as caught:
        services.submission_grade(
            submission=submission,
            scores=field.scores(field.team_rubric),
            feedback="",
            actor=world.instructor,
            adjustments=[services.AdjustmentInput(field.classmate_enrolment.pk, Decimal(10), "未参与")],
        )
    assert caught.value.code == "invalid"
    assessment = services.submission_grade(
        submission=submission,
        scores=field.scores(field.team_rubric),
        feedback="",
        actor=world.instructor,
        adjustments=[services.AdjustmentInput(field.teammate_enrolment.pk, Decimal(10), "缺席两次议事会")],
    )
    assert assessment.adjustments.get().total == Decimal(10)


def test_release_all_releases_only_graded(field):
    world = field.world
    graded = field.graded()
    waiting = field.submitted(enrolment=field.classmate_enrolment)
    assert services.assignment_release_grades(assignment=field.assignment, actor=world.instructor) == 1
    graded.refresh_from_db(), waiting.refresh_from_db()
    assert graded.state == SubmissionState.RELEASED and graded.released_at
    assert waiting.state == SubmissionState.SUBMITTED
    with pytest.raises(NotAllowed) as caught:
        services.assignment_release_grades(assignment=field.assignment, actor=world.trainee)
    assert caught.value.code == "not_allowed"


def test_objection_before_release_after_window_and_twice_are_refused(field, private_storage):
    world = field.world
    graded = field.graded()
    with pytest.raises(NotFound) as caught:
        services.objection_raise(submission=graded, reason="?", actor=world.trainee)
    assert caught.value.code == "not_found"
    services.grade_release(submission=graded, actor=world.instructor)
    later = timezone.now() + timedelta(days=8)
    before = snapshot(private_storage)
    with mock.patch("django.utils.timezone.now", return_value=later), pytest.raises(Conflict) as caught:
        services.objection_raise(submission=graded, reason="分数偏低", actor=world.trainee)
    assert caught.value.code == "objection_window_closed"
    assert snapshot(private_storage) == before

    services.objection_raise(submission=graded, reason="分数偏低", actor=world.trainee)
    before = snapshot(private_storage)
    with pytest.raises(Conflict) as caught:
        services.objection_raise(submission=graded, reason="再次申诉", actor=world.trainee)
    assert caught.value.code == "objection_exists"
    assert snapshot(private_storage) == before


def test_objection_upheld_makes_the_grade_final(field):
    world = field.world
    submission = field.released()
    objection = services.objection_raise(submission=submission, reason="分数偏低", actor=world.trainee)
    services.objection_resolve(
        objection=objection, outcome=ObjectionOutcome.UPHELD, response="维持原评分。", actor=world.instructor
    )
    submission.refresh_from_db()
    assert submission.state == SubmissionState.FINAL and submission.score == Decimal(15)
    with pytest.raises(Conflict) as caught:
        services.objection_resolve(objection=objection, outcome="upheld", response="again", actor=world.instructor)
    assert caught.value.code == "objection_resolved"


def test_transition_table_refuses_grading_a_draft(field):
    submission = start(field)
    with pytest.raises(Conflict) as caught:
        services.submission_grade(
            submission=submission, scores=field.scores(), feedback="", actor=field.world.instructor
        )
    assert caught.value.code == "invalid_transition"
