import pytest

from lms import uploads
from lms.uploads import FileRefused, FileTooLarge, check_upload, clean_file_name
from tests.fieldwork.factories import PDF_BYTES, docx_bytes, jpeg_bytes, png_bytes, upload

ALLOWED = ["jpg", "jpeg", "png", "pdf", "docx", "webp", "heic"]

pytestmark = pytest.mark.usefixtures("english")


def check(name, content, *, limit=1024 * 1024, allowed=ALLOWED):
    return check_upload(upload(name, content), allowed_extensions=allowed, max_file_size=limit)


@pytest.mark.parametrize(
    ("name", "content", "kind", "content_type"),
    [
        ("照片.JPG", jpeg_bytes(), "image", "image/jpeg"),
        ("map.png", png_bytes(), "image", "image/png"),
        ("报告.pdf", PDF_BYTES, "pdf", "application/pdf"),
        ("方案.docx", docx_bytes(), "document", uploads.DOCX.content_type),
    ],
)
def test_real_files_are_recognised_by_content(name, content, kind, content_type):
    checked = check(name, content)
    assert (checked.detected.kind, checked.detected.content_type, checked.size) == (kind, content_type, len(content))
    import hashlib

    assert checked.sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("报告.pdf", b"MZ\x90\x00" + b"\x00" * 100, "file_type_mismatch"),
        ("tool.pdf", b"\x7fELF\x02\x01" + b"\x00" * 100, "file_type_mismatch"),
        ("photo.jpg", b"<html><script>alert(1)</script></html>", "file_type_mismatch"),
        ("photo.jpg", b"\xef\xbb\xbf  <!DOCTYPE html><p>hi", "file_type_mismatch"),
        (
            "photo.jpg",
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>',
            "file_type_mismatch",
        ),
        ("photo.jpg", b'<svg onload="alert(1)"/>', "file_type_mismatch"),
        ("photo.jpg", PDF_BYTES, "file_type_mismatch"),
        ("report.pdf", b"just some text", "file_type_mismatch"),
        ("plan.docx", b"PK\x03\x04not a zip", "file_type_mismatch"),
        ("page.html", b"<html></html>", "file_type_not_allowed"),
        ("drawing.svg", b"<svg/>", "file_type_not_allowed"),
        ("run.exe", b"MZ", "file_type_not_allowed"),
        ("noext", PDF_BYTES, "file_type_not_allowed"),
        ("empty.pdf", b"", "file_empty"),
    ],
)
def test_bad_content_is_refused_with_a_code(name, content, code):
    with pytest.raises(FileRefused) as caught:
        check(name, content)
    assert caught.value.code == code
    assert str(caught.value.message)


def test_executable_renamed_pdf_says_programs_are_refused():
    with pytest.raises(FileRefused, match="Programs cannot be uploaded") as caught:
        check("报告.pdf", b"MZ" + b"\x00" * 64)
    assert caught.value.code == "file_type_mismatch"


def test_file_over_the_limit_is_refused_with_413():
    with pytest.raises(FileTooLarge) as caught:
        check("big.pdf", PDF_BYTES + b"\x00" * 2000, limit=1000)
    assert caught.value.code == "file_too_large"
    assert caught.value.status_code == 413
    assert "larger than" in str(caught.value.message)


def test_file_exactly_at_the_limit_passes():
    content = PDF_BYTES + b"\x00" * (1000 - len(PDF_BYTES))
    assert check("exact.pdf", content, limit=1000).size == 1000


@pytest.mark.parametrize(
    "raw",
    [
        "../../etc/passwd.pdf",
        "..\\..\\windows\\x.pdf",
        "a/b.pdf",
        "name\x00.pdf",
        "bad\x1b[31m.pdf",
        "rtl\u202egpj.pdf",
        "..",
        "line\nbreak.pdf",
    ],
)
def test_traversal_and_control_character_names_are_refused(raw):
    with pytest.raises(FileRefused) as caught:
        clean_file_name(raw)
    assert caught.value.code == "bad_file_name"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  资产地图.pdf ", "资产地图.pdf"),
        ("a<b>:c.pdf", "a_b__c.pdf"),
        (".hidden.pdf", "hidden.pdf"),
        ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
    ],
)
def test_names_are_sanitised(raw, clean):
    assert clean_file_name(raw) == clean


def test_streaming_handler_stops_keeping_a_file_past_the_limit():
    handler = uploads.PerFileLimitHandler(None, max_file_size=100)
    handler.new_file("file", "big.pdf", "application/pdf", 0)
    assert handler.receive_data_chunk(b"x" * 60, 0) == b"x" * 60
    assert handler.receive_data_chunk(b"x" * 60, 60) is None  # dropped, never written
    assert handler.receive_data_chunk(b"x" * 60, 120) is None
    refused = handler.file_complete(180)
    assert isinstance(refused, uploads.RefusedUpload)
    with pytest.raises(FileTooLarge) as caught:
        check_upload(refused, allowed_extensions=ALLOWED, max_file_size=100)
    assert caught.value.code == "file_too_large"


def test_streaming_handler_passes_a_file_within_the_limit():
    handler = uploads.PerFileLimitHandler(None, max_file_size=100)
    handler.new_file("file", "ok.pdf", "application/pdf", 0)
    assert handler.receive_data_chunk(b"x" * 100, 0) == b"x" * 100
    assert handler.file_complete(100) is None  # the next handler (temporary file) keeps it
