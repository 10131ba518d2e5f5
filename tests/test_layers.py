"""The house's layers (`.importlinter`): the repository keeps them, and the contract fails on an import
that breaks them — checked on a small tree of empty packages with one bad module each."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).parent / "lint-imports"
PACKAGES = ["lms", "courses", "fieldwork", "fieldwork/projects", "certificates", "notifications", "homes", "config"]


def lint(cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT), "--no-logo", "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_repository_keeps_its_layers():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "module, imports, broken",
    [
        ("lms/people.py", "courses", "The floor (lms) imports no app"),
        ("lms/predicates.py", "certificates.models", "The floor (lms) imports no app"),
        ("lms/views.py", "homes", "The floor (lms) imports no app"),
        ("lms/urls.py", "config", "The floor (lms) imports no app"),
        ("courses/copy.py", "fieldwork", "Courses imports neither fieldwork nor certificates"),
        ("courses/selectors.py", "certificates", "Courses imports neither fieldwork nor certificates"),
        ("notifications/services.py", "fieldwork", "Apps stack in layers"),
        ("fieldwork/projects/views.py", "certificates", "Apps stack in layers"),
        ("certificates/views.py", "homes", "Apps stack in layers"),
    ],
)
def test_an_import_against_the_layers_breaks_the_contract(tmp_path, module, imports, broken):
    for package in PACKAGES:
        (tmp_path / package).mkdir(parents=True, exist_ok=True)
        (tmp_path / package / "__init__.py").write_text("")
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    assert lint(tmp_path).returncode == 0  # the empty tree keeps every contract

    (tmp_path / module).write_text(f"import {imports}  # noqa\n")
    result = lint(tmp_path)
    assert result.returncode != 0
    assert f"{broken}" in result.stdout and "BROKEN" in result.stdout
