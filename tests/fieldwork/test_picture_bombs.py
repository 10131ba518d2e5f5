"""Pictures are decoded under a memory budget (issue 26, item 2): each bomb of the issue is refused
at upload with a message, never decoded by the preview worker, and a decode past the task's memory
limit fails that task alone.

Memory is measured in a child process (peak resident size growth, ru_maxrss) so the figures are the
decode's own, not the test runner's. Budget stated here: at most 64 MB growth for refusing any bomb.
"""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lms.uploads import FileRefused, refuse_too_many_pixels
from tests.fieldwork.bombs import animated_webp, lossless_webp, png

ROOT = Path(__file__).resolve().parents[2]
GROWTH_BUDGET_MB = 64

BOMBS = {
    "lossless WebP 7745²": lambda: lossless_webp(7745, 7745),
    "animated WebP 7000², 2 frames": lambda: animated_webp(7000, 7000),
    "16-bit RGBA PNG 7000²": lambda: png(7000, 7000, bit_depth=16, colour_type=6),
}

CHILD = """
import io, json, resource, sys
import django
django.setup()
from lms.previews import PictureUnreadable, render_copies
from lms.memory import memory_limit

data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
outcome = "decoded"
try:
    if sys.argv[2] == "limit":
        with memory_limit(extra=int(sys.argv[3])):
            render_copies(io.BytesIO(data), display_size=(1600, 1600))
    else:
        render_copies(io.BytesIO(data), display_size=(1600, 1600))
except PictureUnreadable as error:
    outcome = "refused: " + str(error)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "growth_mb": (after - before) / 1024}))
"""


def _decode_in_child(tmp_path, data: bytes, *, env=None, mode="plain", extra=0) -> dict:
    path = tmp_path / "bomb"
    path.write_bytes(data)
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "lms.settings", **(env or {})}
    answer = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), mode, str(extra)],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return json.loads(answer.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("bomb", BOMBS)
def test_each_bomb_is_refused_at_upload_by_its_decoding_cost(bomb):
    data = BOMBS[bomb]()
    assert len(data) < 500 * 1024
    with pytest.raises(FileRefused) as refused:
        refuse_too_many_pixels(io.BytesIO(data), name="现场.png")
    assert refused.value.code == "picture_too_costly"
    message = str(refused.value.message)
    assert "现场.png" in message and "MB" in message


def test_a_pillow_bomb_refusal_names_no_made_up_size():
    data = png(20000, 20000, bit_depth=1, colour_type=0)  # 400 Mpx: Pillow's own guard fires first
    with pytest.raises(FileRefused) as refused:
        refuse_too_many_pixels(io.BytesIO(data), name="big.png")
    message = str(refused.value.message)
    assert refused.value.code == "too_many_pixels"
    assert "60000000" not in message and "×" not in message


def test_an_ordinary_phone_picture_is_within_the_budget():
    assert refuse_too_many_pixels(io.BytesIO(png(4000, 3000, bit_depth=8, colour_type=6))) == (4000, 3000)


@pytest.mark.parametrize("bomb", BOMBS)
def test_the_preview_worker_refuses_each_bomb_within_the_memory_budget(tmp_path, bomb):
    result = _decode_in_child(tmp_path, BOMBS[bomb]())
    print(f"{bomb}: {result}")
    assert result["outcome"].startswith("refused:")
    assert result["growth_mb"] < GROWTH_BUDGET_MB


def test_a_decode_past_the_tasks_memory_limit_fails_that_task_alone(tmp_path):
    """The second line: with the cost check switched off, the per-task limit (lms.memory) stops the decode."""
    data = png(7000, 7000, bit_depth=16, colour_type=6)
    budget = str(10 * 1024**3)
    result = _decode_in_child(
        tmp_path, data, env={"LMS_PICTURE_DECODE_BUDGET": budget}, mode="limit", extra=100 * 1024 * 1024
    )
    print(result)
    assert result["outcome"] == "refused: memory limit"
    assert result["growth_mb"] < 150
