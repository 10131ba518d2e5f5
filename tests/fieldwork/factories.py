from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fieldwork.models import Assignment, RubricCriterion, RubricLevel, WorkMode
from tests.courses.factories import ModuleFactory


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    module = factory.SubFactory(ModuleFactory)
    title = factory.Sequence(lambda n: f"社区资产地图{n}")
    instructions = "拍摄社区资产照片，并提交一份资产地图报告。"
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=7))
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    mode = WorkMode.INDIVIDUAL
    max_file_size = 1024 * 1024
    max_total_size = 3 * 1024 * 1024
    max_files = 3
    pass_mark = Decimal("12")


class RubricCriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RubricCriterion

    assignment = factory.SubFactory(AssignmentFactory)
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"评分标准{n}")


class RubricLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RubricLevel

    criterion = factory.SubFactory(RubricCriterionFactory)
    position = factory.Sequence(lambda n: n + 1)
    title = "良好"
    min_points = Decimal("6")
    max_points = Decimal("8")


def add_rubric(assignment, criteria=("资产识别", "居民参与")):
    """Two criteria, each with levels 0–5 and 6–10."""
    made = []
    for position, title in enumerate(criteria, start=1):
        criterion = RubricCriterionFactory(assignment=assignment, position=position, title=title)
        low = RubricLevelFactory(criterion=criterion, position=1, title="待改进", min_points=0, max_points=5)
        high = RubricLevelFactory(criterion=criterion, position=2, title="良好", min_points=6, max_points=10)
        made.append((criterion, low, high))
    return made


def jpeg_bytes(size=(40, 30), color=(47, 125, 79)) -> bytes:
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


def png_bytes() -> bytes:
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (20, 20), (200, 100, 50)).save(buffer, "PNG")
    return buffer.getvalue()


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def real_pdf_bytes(text: str = "Hegang asset map") -> bytes:
    """A valid one-page PDF with a line of text, cross-reference table and all, that a viewer can draw."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def docx_bytes() -> bytes:
    import zipfile

    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def photo(name="资产照片.jpg") -> SimpleUploadedFile:
    return upload(name, jpeg_bytes(), "image/jpeg")


def report(name="资产地图报告.pdf") -> SimpleUploadedFile:
    return upload(name, PDF_BYTES, "application/pdf")
