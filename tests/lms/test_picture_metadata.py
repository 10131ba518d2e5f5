"""Originals lose GPS and other identifying metadata at ingest, on every upload path; downloads serve that file."""

import hashlib
import io

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from fieldwork import services
from fieldwork.projects import photos
from lms.picture_metadata import jpeg_without_metadata
from lms.uploads import FileRefused, check_upload
from tests.fieldwork.conftest import Field
from tests.fieldwork.factories import upload

pytestmark = pytest.mark.django_db

GPS_IFD, MAKE, ORIENTATION = 0x8825, 0x010F, 0x0112
MARKERS = (b"GPS", b"Apple", b"iPhone", b"Hegang-owner", b"22/1")


def exif(orientation=1):
    data = Image.Exif()
    data[MAKE] = "Apple"
    data[0x0110] = "iPhone 15"
    data[0x013B] = "Hegang-owner"  # artist: the owner's name
    data[ORIENTATION] = orientation
    data[GPS_IFD] = {1: "N", 2: (22.0, 50.0, 0.0), 3: "E", 4: (113.0, 1.0, 0.0)}
    return data


def jpeg(*, orientation=1, size=(40, 20), trailer=b"") -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, size[0] // 2, size[1]))
    image.save(out, "JPEG", exif=exif(orientation), comment=b"Hegang-owner")
    return out.getvalue() + trailer


def png() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Hegang-owner")
    out = io.BytesIO()
    Image.new("RGB", (30, 10), (1, 2, 3)).save(out, "PNG", pnginfo=info, exif=exif())
    return out.getvalue()


def webp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 10), (1, 2, 3)).save(out, "WEBP", exif=exif())
    return out.getvalue()


def assert_clean(data: bytes):
    for marker in MARKERS:
        assert marker not in data, marker
    with Image.open(io.BytesIO(data)) as image:
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info


def test_the_test_pictures_do_carry_gps():
    for data in (jpeg(), png(), webp()):
        with Image.open(io.BytesIO(data)) as image:
            assert image.getexif().get_ifd(GPS_IFD)


@pytest.mark.parametrize(
    ("name", "data", "kind"), [("a.jpg", jpeg, "jpeg"), ("a.png", png, "png"), ("a.webp", webp, "webp")]
)
def test_a_checked_upload_is_stored_without_metadata_and_hashed_as_stored(name, data, kind):
    checked = check_upload(upload(name, data()), allowed_extensions=["jpg", "png", "webp"], max_file_size=10**7)
    stored = checked.upload.read()
    assert_clean(stored)
    assert checked.size == len(stored) and checked.sha256 == hashlib.sha256(stored).hexdigest()


def test_a_plain_jpeg_is_rewritten_without_decoding_and_keeps_its_pixels():
    original = jpeg()
    cleaned = jpeg_without_metadata(original)
    assert_clean(cleaned)
    with Image.open(io.BytesIO(original)) as before, Image.open(io.BytesIO(cleaned)) as after:
        assert before.tobytes() == after.tobytes()  # the same entropy-coded data: not re-encoded


def test_the_rotation_is_applied_before_the_exif_goes():
    checked = check_upload(upload("a.jpg", jpeg(orientation=6)), allowed_extensions=["jpg"], max_file_size=10**7)
    stored = checked.upload.read()
    assert_clean(stored)
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (20, 40)  # turned a quarter: width and height swapped
        assert image.getpixel((10, 2))[2] > 150  # the blue half (left) is now on top


def test_pictures_appended_after_the_image_are_dropped():
    appended = jpeg(size=(8, 8))  # a phone's second picture (MPF) with its own EXIF and GPS
    checked = check_upload(upload("a.jpg", jpeg(trailer=appended)), allowed_extensions=["jpg"], max_file_size=10**7)
    stored = checked.upload.read()
    assert_clean(stored)
    assert stored.endswith(b"\xff\xd9") and stored.count(b"\xff\xd8") == 1


@pytest.mark.parametrize(
    "segment",
    [
        b"Exif\x00\x00" + b"\x00\xff" * 50,  # malformed EXIF
        b"Exif\x00\x00MM\x00*" + b"GPS" * 21000,  # a huge one (63 KB)
    ],
)
def test_malformed_or_huge_exif_is_simply_dropped(segment):  # each, before, reached the stored original
    data = jpeg()
    app1 = b"\xff\xe1" + (len(segment) + 2).to_bytes(2, "big") + segment
    data = data[:2] + app1 + data[2:]
    checked = check_upload(upload("a.jpg", data), allowed_extensions=["jpg"], max_file_size=10**7)
    assert_clean(checked.upload.read())


def test_a_broken_jpeg_that_cannot_be_cleaned_is_refused_with_a_message(english):
    data = jpeg()
    data = data[:2] + b"\xff\xe1\xff\xf0Exif"  # a segment that says it is longer than the file
    with pytest.raises(FileRefused) as refusal:
        check_upload(upload("broken.jpg", data), allowed_extensions=["jpg"], max_file_size=10**7)
    assert refusal.value.code == "picture_unreadable"
    assert "location data could not be removed" in str(refusal.value.message)


def test_a_project_photo_is_stored_clean(tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    stored = photos.store_photo(SimpleUploadedFile("现场.jpg", jpeg(), "image/jpeg"), folder="projects/1")
    data = default_storage.open(stored.path).read()
    assert_clean(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.size == len(data)


def test_every_download_of_a_handed_in_original_serves_the_clean_file(client, world):
    field = Field(world)
    submission = services.submission_start(assignment=field.assignment, enrolment=world.enrolment, actor=world.trainee)
    services.submission_file_add(
        submission=submission, uploads_=[upload("现场.jpg", jpeg(), "image/jpeg")], actor=world.trainee
    )
    file = submission.files.get()
    for user in (world.trainee, world.instructor, world.staff):
        client.force_login(user)
        page = client.get(reverse("fieldwork:file-download", args=[file.pk]))
        assert page.status_code == 200
        assert_clean(b"".join(page.streaming_content))
        api = client.get(f"/api/v1/submission-files/{file.pk}/download/")
        assert api.status_code == 200
        assert_clean(b"".join(api.streaming_content))


def test_a_picture_cut_off_in_its_data_is_kept_without_its_metadata():
    data = jpeg(size=(400, 300))
    cut = data[: len(data) - 100]
    checked = check_upload(upload("a.jpg", cut), allowed_extensions=["jpg"], max_file_size=10**7)
    stored = checked.upload.read()
    for marker in MARKERS:
        assert marker not in stored


def test_pictures_stored_before_ingest_cleaned_them_are_cleaned_by_a_command(world):
    from django.core.files.base import ContentFile
    from django.core.management import call_command

    field = Field(world)
    file = field.submitted().files.get(kind="image")
    default_storage.delete(file.storage_name)
    default_storage.save(file.storage_name, ContentFile(jpeg()))  # as an older release stored it
    call_command("pictures_strip_metadata", "--dry-run")
    with Image.open(default_storage.open(file.storage_name)) as before:
        assert before.getexif().get_ifd(GPS_IFD)  # a dry run changes nothing
    call_command("pictures_strip_metadata")
    file.refresh_from_db()
    data = default_storage.open(file.storage_name).read()
    assert_clean(data)
    assert file.sha256 == hashlib.sha256(data).hexdigest() and file.size == len(data)
