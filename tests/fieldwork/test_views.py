import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from fieldwork import services
from fieldwork.models import SubmissionFile, SubmissionState
from lms.previews import previews_derive_pending
from tests.fieldwork.factories import PDF_BYTES, jpeg_bytes, photo, report, upload
from tests.fieldwork.snapshots import snapshot
from tests.lms.factories import PASSWORD


def english(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en"})
    return client


def upload_url(assignment):
    return reverse("fieldwork:assignment-upload", args=[assignment.pk])


def test_trainee_uploads_and_hands_in_through_the_page(client, field, private_storage):
    world = field.world
    english(client, world.trainee)
    page = client.get(reverse("fieldwork:assignment-detail", args=[field.assignment.pk]))
    assert page.status_code == 200 and b'data-testid="upload-form"' in page.content
    response = client.post(upload_url(field.assignment), {"files": [photo(), report()]})
    assert response.status_code == 302
    submission = world.enrolment.submissions.get()
    assert submission.files.count() == 2
    response = client.post(reverse("fieldwork:submission-submit", args=[submission.pk]), {"note": "请查收"})
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.state == SubmissionState.SUBMITTED and submission.versions.get().note == "请查收"


@pytest.mark.parametrize(
    ("files", "status", "code"),
    [
        ([upload("报告.pdf", b"MZ\x90\x00" * 10)], 400, "file_type_mismatch"),
        ([upload("照片.jpg", b"<html><script>alert(1)</script>")], 400, "file_type_mismatch"),
        (
            [upload("照片.jpg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')],
            400,
            "file_type_mismatch",
        ),
        ([upload("page.html", b"<p>hi</p>")], 400, "file_type_not_allowed"),
        ([upload("empty.pdf", b"")], 400, "file_empty"),
        ([photo(f"{i}.jpg") for i in range(4)], 400, "too_many_files"),
        ([upload("big.pdf", PDF_BYTES + b"0" * (1024 * 1024))], 413, "file_too_large"),
        ([upload("bell\x07.pdf", PDF_BYTES)], 302, None),  # Django's parser drops control characters first
    ],
)
def test_bad_uploads_are_refused_on_the_page_and_nothing_is_stored(client, field, private_storage, files, status, code):
    english(client, field.world.trainee)
    services.submission_start(assignment=field.assignment, enrolment=field.world.enrolment, actor=field.world.trainee)
    before = snapshot(private_storage)
    response = client.post(upload_url(field.assignment), {"files": files})
    assert response.status_code == status
    if code:
        assert f'data-code="{code}"'.encode() in response.content
        assert snapshot(private_storage) == before
    else:
        assert SubmissionFile.objects.get().name == "bell.pdf"


def test_per_file_limit_is_enforced_while_streaming(client, field, private_storage):
    """The over-limit file never reaches the temporary-file handler: no temp file, no storage."""
    english(client, field.world.trainee)
    response = client.post(upload_url(field.assignment), {"files": [upload("big.pdf", PDF_BYTES + b"0" * 2_000_000)]})
    assert response.status_code == 413
    assert b"larger than the 1.0\xc2\xa0MB allowed per file" in response.content
    assert not SubmissionFile.objects.exists()


def test_request_over_the_total_is_refused_by_length_before_reading(client, field, private_storage):
    field.assignment.max_file_size = field.assignment.max_total_size = 1000
    field.assignment.save()
    english(client, field.world.trainee)
    before = snapshot(private_storage)
    response = client.post(upload_url(field.assignment), {"files": [upload("big.pdf", PDF_BYTES + b"0" * 200_000)]})
    assert response.status_code == 413
    assert b"The upload is too large" in response.content
    assert snapshot(private_storage) == before


def test_file_exactly_at_the_limit_is_accepted(client, field, private_storage):
    field.assignment.max_file_size = field.assignment.max_total_size = 1000
    field.assignment.save()
    english(client, field.world.trainee)
    content = PDF_BYTES + b"0" * (1000 - len(PDF_BYTES))
    response = client.post(upload_url(field.assignment), {"files": [upload("exact.pdf", content)]})
    assert response.status_code == 302
    assert SubmissionFile.objects.get().size == 1000


def test_downloads_are_private_and_never_inline_markup(client, field):
    world = field.world
    submission = field.submitted()
    image = submission.files.get(kind="image")
    pdf = submission.files.get(kind="pdf")
    client.force_login(world.trainee)
    response = client.get(reverse("fieldwork:file-download", args=[pdf.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF_BYTES
    thumb = client.get(reverse("fieldwork:file-download", args=[image.pk]) + "?variant=thumb")
    assert thumb.status_code == 302 and thumb["Location"].endswith("/img/preview-pending.svg")  # not made yet
    previews_derive_pending()
    thumb = client.get(reverse("fieldwork:file-download", args=[image.pk]) + "?variant=thumb")
    assert thumb["Content-Disposition"].startswith("inline") and thumb["Content-Type"] == "image/jpeg"
    original = client.get(reverse("fieldwork:file-download", args=[image.pk]))
    assert b"".join(original.streaming_content) == jpeg_bytes()
    # Nobody else, and not anonymously.
    for user in (field.classmate, world.other_trainee, world.other_instructor, world.other_staff, world.stranger):
        client.force_login(user)
        for file in (image, pdf):
            assert client.get(reverse("fieldwork:file-download", args=[file.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("fieldwork:file-download", args=[pdf.pk])).status_code == 302


def test_guessed_ids_answer_not_found(client, field):
    submission = field.released()
    client.force_login(field.classmate)
    for url in (
        reverse("fieldwork:submission-grade", args=[submission.pk]),
        reverse("fieldwork:file-download", args=[submission.files.first().pk]),
        reverse("fieldwork:file-download", args=[999999]),
        reverse("fieldwork:submission-grade", args=[999999]),
    ):
        assert client.get(url).status_code == 404
    for url in (
        reverse("fieldwork:objection-raise", args=[submission.pk]),
        reverse("fieldwork:submission-submit", args=[submission.pk]),
        reverse("fieldwork:grade-release", args=[submission.pk]),
    ):
        assert client.post(url, {"reason": "x"}).status_code == 404
    # The classmate's own assignment page shows none of the trainee's versions.
    page = client.get(reverse("fieldwork:assignment-detail", args=[field.assignment.pk]))
    assert page.status_code == 200 and b'data-testid="version-1"' not in page.content


def test_grade_is_hidden_until_released(client, field):
    world = field.world
    submission = field.graded()
    services.submission_grade(
        submission=submission, scores=field.scores(points=(9, 8)), feedback="秘密反馈", actor=world.instructor
    )
    client.force_login(world.trainee)
    url = reverse("fieldwork:assignment-detail", args=[field.assignment.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="released-grade"' not in page and "17.0" not in page and "秘密反馈" not in page
    services.grade_release(submission=submission, actor=world.instructor)
    page = client.get(url).content.decode()
    assert 'data-testid="released-grade"' in page and "17.0" in page and "秘密反馈" in page
    assert 'data-testid="objection-form"' in page


def test_instructor_grades_on_the_page_and_outsiders_cannot(client, field):
    world = field.world
    submission = field.submitted()
    (c1, _low1, high1), (c2, low2, _high2) = field.rubric
    data = {
        "action": "grade",
        f"level_{c1.pk}": high1.pk,
        f"points_{c1.pk}": "8.5",
        f"level_{c2.pk}": low2.pk,
        f"points_{c2.pk}": "5",
        "feedback": "资产地图很完整。",
    }
    url = reverse("fieldwork:submission-grade", args=[submission.pk])
    for outsider in (world.other_instructor, field.classmate):
        client.force_login(outsider)
        assert client.post(url, data).status_code == 404
    english(client, world.trainee)
    assert client.post(url, data).status_code == 403
    english(client, world.instructor)
    page = client.get(url)
    assert page.status_code == 200 and b'id="grading-total"' in page.content
    before = snapshot()
    bad = client.post(url, {**data, f"points_{c2.pk}": "6"})
    assert bad.status_code == 400 and b'data-code="score_out_of_range"' in bad.content
    assert b"allows 0.0 to 5.0 points" in bad.content
    assert snapshot() == before
    assert client.post(url, data).status_code == 302
    submission.refresh_from_db()
    assert (submission.state, submission.score) == (SubmissionState.GRADED, Decimal("13.5"))


def test_grading_queue_lists_oldest_first_and_marks_late(client, field, django_assert_max_num_queries):
    world = field.world
    first = field.submitted()
    second = field.submitted(enrolment=field.classmate_enrolment)
    second.is_late = True
    second.save()
    field.submitted(assignment=field.other_assignment, enrolment=world.other_enrolment)
    client.force_login(world.instructor)
    page = client.get(reverse("fieldwork:grading-queue")).content.decode()
    assert page.index(f'queue-{first.pk}"') < page.index(f'queue-{second.pk}"')
    assert page.count('data-testid="late"') == 1
    assert "顺德作业" not in page


def _many_submissions(field, count):
    from tests.courses.factories import EnrolmentFactory

    for _ in range(count):
        enrolment = EnrolmentFactory(cohort=field.world.cohort, community=field.world.community, team=field.team)
        field.submitted(enrolment=enrolment, files=[report()])


@pytest.mark.parametrize("count", [2, 12])
def test_grading_queue_and_gradebook_query_counts_do_not_grow(client, field, count, django_assert_max_num_queries):
    world = field.world
    _many_submissions(field, count)
    client.force_login(world.instructor)
    with django_assert_max_num_queries(9):
        assert client.get(reverse("fieldwork:grading-queue")).status_code == 200
    client.force_login(world.staff)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("fieldwork:gradebook", args=[world.cohort.pk]))
    assert page.status_code == 200
    assert page.content.count(b'data-testid="row-') == count + 3


def test_gradebook_filters_and_exports(client, field):
    world = field.world
    submission = field.released()
    world.trainee.full_name = '=HYPERLINK("http://evil")'
    world.trainee.save()
    english(client, world.staff)
    page = client.get(reverse("fieldwork:gradebook", args=[world.cohort.pk]), {"team": field.team.pk})
    assert page.content.count(b'data-testid="row-') == 2  # the trainee and its teammate
    response = client.get(reverse("fieldwork:gradebook-export", args=[world.cohort.pk, "csv"]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Cache-Control"] == "private"
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Trainee", "Username"] and "社区资产地图 · score" in rows[0]
    trainee_row = next(r for r in rows if r[1] == world.trainee.username)
    assert trainee_row[0] == '\'=HYPERLINK("http://evil")'
    assert str(submission.score) in trainee_row
    from openpyxl import load_workbook

    response = client.get(reverse("fieldwork:gradebook-export", args=[world.cohort.pk, "xlsx"]))
    assert response["Cache-Control"] == "private"
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Trainee"
    assert any(row[0] == '\'=HYPERLINK("http://evil")' for row in values)
    assert client.get(reverse("fieldwork:gradebook-export", args=[world.cohort.pk, "html"])).status_code == 404


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("trainee", 404),
        ("other_trainee", 404),
        ("instructor", 200),
        ("other_instructor", 404),
        ("staff", 200),
        ("other_staff", 404),
        ("stranger", 404),
    ],
)
def test_gradebook_permission_matrix(client, field, role, expected):
    client.force_login(field.world.roles()[role])
    assert client.get(reverse("fieldwork:gradebook", args=[field.world.cohort.pk])).status_code == expected


def test_module_page_links_to_its_assignments(client, field):
    client.login(username=field.world.trainee.username, password=PASSWORD)
    page = client.get(reverse("module-detail", args=[field.world.skills.pk]))
    assert reverse("fieldwork:module-assignments", args=[field.world.skills.pk]).encode() in page.content
    listing = client.get(reverse("fieldwork:module-assignments", args=[field.world.skills.pk]))
    assert f'data-testid="assignment-{field.assignment.pk}"'.encode() in listing.content


def test_feedback_files_are_hidden_until_release(client, field):
    world = field.world
    submission = field.submitted()
    assessment = services.submission_grade(
        submission=submission,
        scores=field.scores(),
        feedback="",
        feedback_files=[report("批注.pdf")],
        actor=world.instructor,
    )
    feedback_file = assessment.files.get()
    url = reverse("fieldwork:feedback-file-download", args=[feedback_file.pk])
    client.force_login(world.trainee)
    assert client.get(url).status_code == 404
    services.grade_release(submission=submission, actor=world.instructor)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    client.force_login(field.classmate)
    assert client.get(url).status_code == 404


def test_instructor_answers_an_objection_on_the_page(client, field):
    world = field.world
    submission = field.released()
    services.objection_raise(submission=submission, reason="请复核", actor=world.trainee)
    english(client, world.instructor)
    url = reverse("fieldwork:submission-grade", args=[submission.pk])
    assert b'data-testid="objection"' in client.get(url).content
    before = snapshot()
    bad = client.post(url, {"action": "uphold", "response": ""})
    assert bad.status_code == 400 and snapshot() == before
    assert client.post(url, {"action": "uphold", "response": "维持原评分"}).status_code == 302
    submission.refresh_from_db()
    assert submission.state == SubmissionState.FINAL


def test_extension_granted_on_the_page(client, field):
    world = field.world
    english(client, world.instructor)
    page = client.get(reverse("fieldwork:assignment-detail", args=[field.assignment.pk]))
    assert f'value="enrolment:{world.enrolment.pk}"'.encode() in page.content
    url = reverse("fieldwork:extension-grant", args=[field.assignment.pk])
    response = client.post(url, {"owner": f"enrolment:{world.enrolment.pk}", "due_at": "2099-01-01T12:00"})
    assert response.status_code == 302
    assert field.assignment.extensions.get().enrolment == world.enrolment
    before = snapshot()
    other = client.post(url, {"owner": f"enrolment:{world.other_enrolment.pk}", "due_at": "2099-01-01T12:00"})
    assert other.status_code == 404 and snapshot() == before
    english(client, world.trainee)
    assert (
        client.post(url, {"owner": f"enrolment:{world.enrolment.pk}", "due_at": "2099-01-02T12:00"}).status_code == 403
    )


def test_staff_may_look_at_work_but_not_grade_it(client, field):
    submission = field.submitted()
    url = reverse("fieldwork:submission-grade", args=[submission.pk])
    english(client, field.world.staff)
    page = client.get(url)
    assert page.status_code == 200 and b'data-testid="grading-form"' not in page.content
    before = snapshot()
    assert client.post(url, {"action": "return", "feedback": "x"}).status_code == 403
    assert snapshot() == before
