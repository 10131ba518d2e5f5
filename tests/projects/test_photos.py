import io

import pytest
from PIL import Image

from fieldwork.projects import photos
from lms import previews
from lms.errors import ValidationFailed
from tests.projects.factories import image_bytes, photo_upload


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")]
)
def test_photo_kinds_by_magic_bytes_only_the_original_stored(private_storage, fmt, content_type):
    stored = photos.store_photo(photo_upload("x.bin", content=image_bytes(fmt, size=(2000, 1500))), folder="t")
    assert stored.content_type == content_type and stored.path.startswith("t/")
    assert [p.relative_to(private_storage).as_posix() for p in private_storage.rglob("*") if p.is_file()] == [
        stored.path
    ]
    with open(private_storage / stored.path, "rb") as original:
        thumbnail, display = previews.render_copies(original, display_size=(1280, 1280))
    with Image.open(io.BytesIO(thumbnail)) as thumb:
        assert max(thumb.size) == previews.THUMBNAIL_SIZE[0]
    with Image.open(io.BytesIO(display)) as shown:
        assert max(shown.size) == 1280


@pytest.mark.parametrize(
    "content",
    [b"<html><script>alert(1)</script></html>", b"GIF89a\x01\x00", b"%PDF-1.7", b"", b"\xff\xd8\xff truncated jpeg"],
)
def test_anything_else_is_refused_and_nothing_is_kept(private_storage, content):
    with pytest.raises(ValidationFailed) as error:
        photos.store_photo(photo_upload("x.jpg", content=content), folder="t")
    assert error.value.code == "bad_photo"
    assert not [p for p in private_storage.rglob("*") if p.is_file()]


def test_oversized_photo_is_refused(private_storage, monkeypatch):
    monkeypatch.setattr(photos, "MAX_PHOTO_BYTES", 1000)
    with pytest.raises(ValidationFailed, match="larger than") as caught:
        photos.store_photo(photo_upload(content=image_bytes(size=(400, 400)) + b"\0" * 2000), folder="t")
    assert caught.value.code == "bad_photo"
    assert not [p for p in private_storage.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\fakepath\\照片.jpg", "照片.jpg"),
        ("<b>x</b>.png", "b.png"),
        ("a<img>.jpg", "aimg.jpg"),
        ("", "photo"),
    ],
)
def test_names_are_sanitised(name, expected):
    assert photos.safe_name(name) == expected
