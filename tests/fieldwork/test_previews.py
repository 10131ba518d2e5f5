"""Derived sizes of pictures: made by a real worker after commit, idempotent, upright, failures marked, swept."""

import io
import os
import uuid
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from fieldwork.models import SubmissionFile
from fieldwork.projects.models import ProjectPhoto
from lms import previews
from lms.models import PreviewState
from lms.workers import queue_lengths
from tests.certificates.workers import Worker, purge_queue, wait_for
from tests.fieldwork.factories import jpeg_bytes, upload
from tests.projects.conftest import Projects
from tests.projects.factories import image_bytes, photo_upload


@pytest.fixture
def previews_queue(settings):
    queue = f"previews-test-{os.environ.get('CACHE_KEY_PREFIX', 'lms')}-{uuid.uuid4().hex[:8]}"
    settings.PREVIEWS_QUEUE = queue
    yield queue
    purge_queue(queue)


@pytest.fixture
def projects(world):
    return Projects(world)


def start_worker(queue: str, media_root: str) -> Worker:
    worker = Worker(queue, media_root, extra_env={"PREVIEWS_QUEUE": queue})
    worker.wait_ready()
    return worker


def oriented_jpeg(size=(400, 200), orientation=6) -> bytes:
    """A landscape picture whose EXIF says "rotate 90°": upright it is portrait."""
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def corrupt_jpeg() -> bytes:
    """A JPEG whose header reads (size, type) but whose data ends half-way: only decoding finds out."""
    out = io.BytesIO()
    Image.effect_noise((800, 600), 50).convert("RGB").save(out, "JPEG")
    data = out.getvalue()
    return data[: len(data) // 2] + b"\0" * 100


def hand_in(client, field, files):
    response = client.post(reverse("fieldwork:assignment-upload", args=[field.assignment.pk]), {"files": files})
    assert response.status_code == 302, response.content[:500]
    return list(SubmissionFile.objects.filter(kind="image").order_by("pk"))


def activity_post(projects, photos):
    return {
        "kind": "deliberation",
        "title": "第一次议事会",
        "held_on": f"{projects.world.cohort.year}-04-10",
        "place": "河岗村委会",
        "residents": "40",
        "photos": photos,
    }


# --- a real worker


@pytest.mark.django_db(transaction=True)
def test_a_worker_makes_the_sizes_after_the_hand_in_answers_and_the_page_then_shows_them(
    client, field, previews_queue, media_root, private_storage
):
    client.force_login(field.world.trainee)
    files = hand_in(client, field, [upload(f"现场{i}.jpg", jpeg_bytes((1200, 900)), "image/jpeg") for i in range(3)])
    assert {f.preview_state for f in files} == {PreviewState.PENDING}
    assert not any(f.thumbnail_name for f in files)
    page = client.get(reverse("fieldwork:assignment-detail", args=[field.assignment.pk])).content.decode()
    assert page.count('data-testid="preview-pending"') == 3 and "处理中…" in page  # zh-hans by default
    assert queue_lengths([previews_queue]) == {previews_queue: 3}  # queued after commit, one per photo

    worker = start_worker(previews_queue, media_root)
    try:
        wait_for(lambda: SubmissionFile.objects.filter(preview_state=PreviewState.READY).count() == 3, workers=[worker])
    finally:
        worker.stop()
    for file in SubmissionFile.objects.filter(kind="image"):
        with Image.open(private_storage / file.display_name) as display:
            assert display.size == (1200, 900)  # fitted inside 1600, never enlarged
        with Image.open(private_storage / file.thumbnail_name) as thumb:
            assert max(thumb.size) == previews.THUMBNAIL_SIZE[0]
    page = client.get(reverse("fieldwork:assignment-detail", args=[field.assignment.pk])).content.decode()
    assert 'data-testid="preview-pending"' not in page and page.count('class="thumb"') == 3
    status = client.get(reverse("fieldwork:file-preview-status", args=[files[0].pk])).json()
    assert status["state"] == "ready" and status["thumbnail_url"].endswith("?variant=thumb")


@pytest.mark.django_db(transaction=True)
def test_a_worker_makes_the_sizes_of_an_activitys_photos(client, projects, previews_queue, media_root):
    client.force_login(projects.world.trainee)
    response = client.post(
        f"/projects/{projects.project.pk}/activities/new/",
        activity_post(projects, [photo_upload(f"{i}.jpg", content=image_bytes(size=(2000, 1500))) for i in range(3)]),
    )
    assert response.status_code == 302
    assert ProjectPhoto.objects.filter(preview_state=PreviewState.PENDING).count() == 3
    photo = ProjectPhoto.objects.first()
    assert client.get(f"/projects/photos/{photo.pk}/status/").json() == {
        "state": "pending",
        "thumbnail_url": None,
        "display_url": None,
    }
    worker = start_worker(previews_queue, media_root)
    try:
        wait_for(lambda: ProjectPhoto.objects.filter(preview_state=PreviewState.READY).count() == 3, workers=[worker])
    finally:
        worker.stop()
    assert client.get(f"/projects/photos/{photo.pk}/thumb/")["Content-Type"] == "image/jpeg"
    page = client.get(f"/projects/{projects.project.pk}/").content.decode()
    assert 'data-testid="preview-pending"' not in page and page.count(f"/projects/photos/{photo.pk}/thumb/") == 1


@pytest.mark.django_db(transaction=True)
def test_the_sweep_requeues_previews_whose_message_was_lost(field, previews_queue, media_root):
    from fieldwork import services

    submission = services.submission_start(
        assignment=field.assignment, enrolment=field.world.enrolment, actor=field.world.trainee
    )
    [file] = services.submission_file_add(
        submission=submission, uploads_=[upload("现场.jpg", jpeg_bytes(), "image/jpeg")], actor=field.world.trainee
    )
    purge_queue(previews_queue)  # the message is lost (Redis restarted, a worker died holding it)
    assert previews.previews_sweep() == 0  # not stale yet
    SubmissionFile.objects.filter(pk=file.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    assert previews.previews_sweep() == 1
    assert previews.previews_sweep() == 0  # re-stamped: never sent twice in a row
    schedule = django_settings.CELERY_BEAT_SCHEDULE["fieldwork-sweep-previews"]
    assert schedule["task"] == "fieldwork.sweep_previews" and schedule["schedule"] <= 60
    worker = start_worker(previews_queue, media_root)
    try:
        wait_for(lambda: SubmissionFile.objects.get(pk=file.pk).preview_state == PreviewState.READY, workers=[worker])
    finally:
        worker.stop()


# --- the service


@pytest.mark.django_db
def test_derivation_is_idempotent(field, private_storage):
    submission = field.submitted()
    file = submission.files.get(kind="image")
    label = "fieldwork.SubmissionFile"
    assert previews.preview_derive(label=label, pk=file.pk) == "ready"
    file.refresh_from_db()
    made = sorted(p for p in private_storage.rglob("*") if p.is_file())
    stamps = {p: p.stat().st_mtime_ns for p in made}
    assert previews.preview_derive(label=label, pk=file.pk) == "skipped"
    assert sorted(p for p in private_storage.rglob("*") if p.is_file()) == made
    assert {p: p.stat().st_mtime_ns for p in made} == stamps
    assert previews.preview_derive(label=label, pk=0) == "skipped"  # deleted meanwhile


@pytest.mark.django_db
def test_a_run_cut_short_leaves_no_second_copy(field, private_storage):
    """A worker killed after writing the copies but before recording them: the redelivery overwrites them."""
    file = field.submitted().files.get(kind="image")
    thumbnail, _display = previews.derived_names(file.storage_name)
    (private_storage / thumbnail).write_bytes(b"half")
    assert previews.preview_derive(label="fieldwork.SubmissionFile", pk=file.pk) == "ready"
    file.refresh_from_db()
    assert file.thumbnail_name == thumbnail and (private_storage / thumbnail).read_bytes()[:3] == b"\xff\xd8\xff"
    assert len([p for p in private_storage.rglob("*.thumb*") if p.is_file()]) == 1


@pytest.mark.django_db
def test_orientation_is_kept(client, projects, private_storage):
    client.force_login(projects.world.trainee)
    client.post(
        f"/projects/{projects.project.pk}/activities/new/",
        activity_post(projects, [photo_upload("竖拍.jpg", content=oriented_jpeg())]),
    )
    assert previews.previews_derive_pending() == 1
    photo = ProjectPhoto.objects.get()
    with Image.open(private_storage / photo.thumbnail_path) as thumb:
        assert thumb.size == (160, 320)  # upright: the landscape pixels turned by the EXIF tag
    with Image.open(private_storage / photo.path) as original:
        # The original is stored upright: the rotation applied to its pixels, then its EXIF (GPS too) removed.
        assert original.size == (200, 400) and dict(original.getexif()) == {}


@pytest.mark.django_db
def test_a_cut_off_photo_fails_even_where_weasyprint_made_pillow_lenient():
    import weasyprint  # noqa: F401 -- sets ImageFile.LOAD_TRUNCATED_IMAGES for the process, as in every worker
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES
    with pytest.raises(previews.PictureUnreadable):
        previews.render_copies(io.BytesIO(corrupt_jpeg()), display_size=(1600, 1600))
    assert ImageFile.LOAD_TRUNCATED_IMAGES  # left as it was


@pytest.mark.django_db
def test_a_project_photo_corrupt_beyond_its_header_is_marked_failed_and_nothing_answers_500(
    client, projects, private_storage
):
    client.force_login(projects.world.trainee)
    response = client.post(
        f"/projects/{projects.project.pk}/activities/new/",
        activity_post(projects, [photo_upload("坏.jpg", content=corrupt_jpeg())]),
    )
    assert response.status_code == 302  # the header reads: accepted, like any photo
    assert previews.previews_derive_pending() == 0
    photo = ProjectPhoto.objects.get()
    assert photo.preview_state == PreviewState.FAILED and not photo.thumbnail_path
    assert [p.name for p in private_storage.rglob("*.thumb.jpg")] == []
    assert client.get(f"/projects/photos/{photo.pk}/thumb/").status_code == 404
    assert client.get(f"/projects/photos/{photo.pk}/original/").status_code == 200
    assert client.get(f"/projects/photos/{photo.pk}/status/").json()["state"] == "failed"
    page = client.get(f"/projects/{projects.project.pk}/")
    assert page.status_code == 200 and 'data-testid="preview-none"' in page.content.decode()
    assert previews.preview_derive(label="projects.ProjectPhoto", pk=photo.pk) == "skipped"  # failed stays failed


@pytest.mark.django_db
def test_a_submitted_picture_corrupt_beyond_its_header_is_marked_failed_and_nothing_answers_500(
    client, field, private_storage
):
    client.force_login(field.world.trainee)
    [file] = hand_in(client, field, [upload("坏.jpg", corrupt_jpeg(), "image/jpeg")])
    assert previews.previews_derive_pending() == 0
    file.refresh_from_db()
    assert file.preview_state == PreviewState.FAILED and not file.thumbnail_name
    assert [p.name for p in private_storage.rglob("*.thumb.jpg")] == []
    thumb = client.get(reverse("fieldwork:file-download", args=[file.pk]) + "?variant=thumb")
    assert thumb.status_code == 200 and thumb["Content-Disposition"].startswith("attachment")  # the original
    page = client.get(reverse("fieldwork:assignment-detail", args=[field.assignment.pk]))
    assert page.status_code == 200 and 'data-testid="preview-pending"' not in page.content.decode()


# --- who may ask


@pytest.mark.django_db
def test_status_of_a_submitted_photo_answers_only_those_who_may_see_it(client, field):
    world = field.world
    file = field.submitted().files.get(kind="image")
    url = reverse("fieldwork:file-preview-status", args=[file.pk])
    for user, status in (
        (world.trainee, 200),
        (world.instructor, 200),
        (field.classmate, 404),
        (world.other_trainee, 404),
        (world.other_instructor, 404),
        (world.other_staff, 404),
    ):
        client.force_login(user)
        assert client.get(url).status_code == status, user
    client.logout()
    assert client.get(url).status_code == 302


@pytest.mark.django_db
def test_status_of_a_project_photo_answers_only_those_who_may_see_it(client, projects):
    world = projects.world
    client.force_login(world.trainee)
    client.post(f"/projects/{projects.project.pk}/activities/new/", activity_post(projects, [photo_upload()]))
    photo = ProjectPhoto.objects.get()
    for user, status in (
        (world.trainee, 200),
        (projects.other_member, 404),  # a trainee of another team
        (world.other_trainee, 404),  # another district
        (world.other_staff, 404),
    ):
        client.force_login(user)
        assert client.get(f"/projects/photos/{photo.pk}/status/").status_code == status, user
        assert client.get(f"/projects/photos/{photo.pk}/thumb/").status_code == (302 if status == 200 else 404)


# --- listing pages keep their query counts


def page_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_project_log_query_count_does_not_grow_with_photos_pending_or_ready(client, projects):
    client.force_login(projects.world.trainee)
    url = f"/projects/{projects.project.pk}/"

    def add(n):
        client.post(
            f"/projects/{projects.project.pk}/activities/new/",
            activity_post(projects, [photo_upload(f"{i}.jpg") for i in range(n)]),
        )

    add(1)
    small = page_queries(client, url)
    for _ in range(4):
        add(3)
    assert ProjectPhoto.objects.filter(preview_state=PreviewState.PENDING).count() == 13
    assert page_queries(client, url) == small
    previews.previews_derive_pending()
    assert page_queries(client, url) == small


@pytest.mark.django_db
def test_assignment_page_query_count_does_not_grow_with_photos_pending_or_ready(client, field):
    client.force_login(field.world.trainee)
    url = reverse("fieldwork:assignment-detail", args=[field.assignment.pk])
    hand_in(client, field, [upload("1.jpg", jpeg_bytes(), "image/jpeg")])
    small = page_queries(client, url)
    hand_in(client, field, [upload(f"{i}.jpg", jpeg_bytes(), "image/jpeg") for i in range(2)])
    assert page_queries(client, url) == small
    previews.previews_derive_pending()
    assert page_queries(client, url) == small
