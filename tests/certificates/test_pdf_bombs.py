"""PDFs and the credentials inside them are unpacked within bounds (issue 26, item 2).

The issue's bomb: a 255 KB PDF whose embedded credential.json is a FlateDecode stream of zeros that
unpacked to 256 MB in the web worker. Budget stated here: refused in under 2 s, with at most 64 MB of
growth of the reading process (measured in a child process, ru_maxrss).
"""

import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from certificates import signing

ROOT = Path(__file__).resolve().parents[2]


def pdf_with_credential(stream: bytes, *, filtered: bool = True) -> bytes:
    """A one-page PDF with `stream` embedded as credential.json (FlateDecode when `filtered`)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(credential.json) 4 0 R] >> >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>",
        b"<< /Type /Filespec /F (credential.json) /UF (credential.json) /EF << /F 5 0 R >> >>",
        b"<< /Type /EmbeddedFile /Length %d%s >>\nstream\n"
        % (len(stream), b" /Filter /FlateDecode" if filtered else b"")
        + stream
        + b"\nendstream",
    ]
    out = b"%PDF-1.7\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def credential_bomb() -> bytes:
    compressor = zlib.compressobj(9)
    zeros = bytes(1024 * 1024)
    data = b"".join(compressor.compress(zeros) for _ in range(256)) + compressor.flush()
    return pdf_with_credential(data)


CHILD = """
import json, resource, sys, time
import django
django.setup()
from certificates import signing

data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.monotonic()
result = signing.check_pdf(data, keys=[])
print(json.dumps({
    "too_large": result.credential_too_large,
    "credential_bytes": len(result.credential),
    "seconds": time.monotonic() - started,
    "growth_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024,
}))
"""


def test_a_small_credential_is_still_read():
    data = pdf_with_credential(zlib.compress(b'{"id": "x"}'))
    assert signing.credential_in_pdf(data) == b'{"id": "x"}'
    assert signing.check_pdf(data, keys=[]).credential == b'{"id": "x"}'


def test_the_credential_bomb_is_not_unpacked(tmp_path):
    bomb = credential_bomb()
    assert len(bomb) < 300 * 1024
    path = tmp_path / "bomb.pdf"
    path.write_bytes(bomb)
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "lms.settings"}
    answer = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], cwd=ROOT, env=environment, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    result = json.loads(answer.stdout.strip().splitlines()[-1])
    print(f"credential bomb ({len(bomb) // 1024} KB): {result}")
    assert result["too_large"] and result["credential_bytes"] == 0
    assert result["seconds"] < 2 and result["growth_mb"] < 64
    assert signing.credential_in_pdf(bomb) == b""


@pytest.mark.django_db
def test_the_verification_page_says_the_credential_was_too_large(client):
    response = client.post("/verify/check/", {"file": SimpleUploadedFile("certificate.pdf", credential_bomb())})
    assert response.status_code == 422
    text = response.content.decode()
    assert "2 MB" in text
