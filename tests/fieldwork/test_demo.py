from django.core.management import call_command
from django.urls import reverse

from fieldwork.models import Assignment, GradeChange, Submission, SubmissionFile, SubmissionState
from lms.models import User


def test_demo_seeds_assignments_graded_work_and_photos_idempotently(client, db, private_storage):
    call_command("seed_demo")
    tables = (Assignment, Submission, SubmissionFile, GradeChange)
    counts = [m.objects.count() for m in tables]
    files_on_disk = sorted(p for p in private_storage.rglob("*") if p.is_file())
    call_command("seed_demo")
    assert [m.objects.count() for m in tables] == counts
    assert sorted(p for p in private_storage.rglob("*") if p.is_file()) == files_on_disk

    titles = Assignment.objects.filter(module__cohort__year=2022).values_list("title", flat=True)
    assert set(titles) == {"社区资产地图", "居民访谈报告", "参与式设计方案"}
    assert Submission.objects.filter(state=SubmissionState.RELEASED).count() == 2
    assert SubmissionFile.objects.filter(kind="image").exclude(thumbnail_name="").count() >= 10

    hegang01 = User.objects.get(username="hegang01")
    client.force_login(hegang01)
    assignment = Assignment.objects.get(title="社区资产地图")
    page = client.get(reverse("fieldwork:assignment-detail", args=[assignment.pk])).content.decode()
    assert 'data-testid="released-grade"' in page and "资产地图非常完整" in page
    client.force_login(User.objects.get(username="mentor.chen"))
    queue = client.get(reverse("fieldwork:grading-queue")).content.decode()
    assert queue.count('data-testid="queue-') == 3
