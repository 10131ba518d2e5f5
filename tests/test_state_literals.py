"""Templates and views never spell a state: a page that compares `state`/`status` with a string re-derives
a rule its owner keeps (editable, downloadable, revoked...) and silently breaks when a state is renamed or
added. Templates get booleans (`submission.is_editable`, `certificate.is_revoked`, `file.preview_ready`,
`can_edit`) from the model that owns the state or from the view."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATE = r"(?:[\w.]*\.)?\w*(?:state|status)"
LITERAL = r"""["'][^"'{}%]+["']"""
TEMPLATE_COMPARISON = re.compile(
    rf"\b{STATE}\s*(?:==|!=)\s*{LITERAL}|{LITERAL}\s*(?:==|!=)\s*{STATE}\b|\b{STATE}\s+(?:not\s+)?in\s+{LITERAL}"
)
VIEW_MODULES = [
    "*/views.py",
    "*/views/*.py",
    "*/*/views.py",
    "*/api.py",
    "*/*/api.py",
    "*/setup_views.py",
    "homes/*.py",
]


def template_hits(text: str) -> list[str]:
    return [tag for tag in re.findall(r"\{%.*?%\}", text, flags=re.S) if TEMPLATE_COMPARISON.search(tag)]


def _is_state(node) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
    return name.endswith("state") or name.endswith("status")


def _is_literal(node) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    return isinstance(node, ast.Tuple | ast.List | ast.Set) and bool(node.elts) and all(map(_is_literal, node.elts))


def python_hits(source: str) -> list[str]:
    return [
        ast.unparse(node)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Compare)
        and any(map(_is_state, [node.left, *node.comparators]))
        and any(map(_is_literal, [node.left, *node.comparators]))
    ]


def test_templates_compare_no_state_with_a_string():
    found = [
        f"{path.relative_to(ROOT)}: {hit}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for hit in template_hits(path.read_text())
    ]
    assert found == []


def test_views_compare_no_state_with_a_string():
    paths = sorted({path for pattern in VIEW_MODULES for path in ROOT.glob(pattern)})
    assert len(paths) > 10
    found = [f"{path.relative_to(ROOT)}: {hit}" for path in paths for hit in python_hits(path.read_text())]
    assert found == []


def test_the_check_catches_what_it_is_for():
    assert template_hits('{% if s.state == "released" %}')
    assert template_hits("{% if 'revoked' != certificate.status %}")
    assert template_hits('{% elif file.preview_state == "ready" or x %}')
    assert template_hits('{% if case.status in "draft returned" %}')
    assert not template_hits("{% if submission.is_editable %}")
    assert not template_hits('{% if tab == "trainee" %}')  # not a state
    assert python_hits('if submission.state == "graded": pass')
    assert python_hits('ok = certificate.status in ("issued", "revoked")')
    assert python_hits('if "final" != state: pass')
    assert not python_hits("if submission.state == SubmissionState.GRADED: pass")
    assert not python_hits('if kind == "pdf": pass')
