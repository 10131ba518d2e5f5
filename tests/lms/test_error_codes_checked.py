"""Tests that expect a domain error also check its machine code, not just its class."""

import ast
import importlib
from pathlib import Path

from lms.errors import ApplicationError

TESTS = Path(__file__).resolve().parents[1]
ERROR_MODULES = [  # every module that defines a domain error class
    "certificates.services",
    "courses.enrol_sheets",
    "courses.services",
    "courses.services.enrol_sheet",
    "fieldwork.services",
    "lms.uploads",
    "lms.authentication",
]


def _domain_errors() -> set[str]:
    for module in ERROR_MODULES:  # loaded here, so the result does not depend on the tests run before
        importlib.import_module(module)

    names, todo = set(), [ApplicationError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo += cls.__subclasses__()
    return names


def _unchecked(source: str, domain: set[str]) -> list[int]:
    """Lines of `with pytest.raises(DomainError)` whose function never reads `<name>.value.code`."""
    missing = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef):
            continue
        checked = {
            node.value.value.id
            for node in ast.walk(function)
            if isinstance(node, ast.Attribute)
            and node.attr == "code"
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "value"
            and isinstance(node.value.value, ast.Name)
        }
        for node in ast.walk(function):
            if not isinstance(node, ast.With):
                continue
            for item in node.items:
                call = item.context_expr
                if not (isinstance(call, ast.Call) and ast.unparse(call.func) == "pytest.raises" and call.args):
                    continue
                error = ast.unparse(call.args[0]).rsplit(".", 1)[-1]
                if error not in domain or any(k.arg == "match" for k in call.keywords):
                    continue
                name = item.optional_vars.id if isinstance(item.optional_vars, ast.Name) else None
                if name not in checked:
                    missing.append(node.lineno)
    return missing


def test_every_expected_domain_error_has_its_code_checked():
    domain = _domain_errors()
    assert {"NotFound", "NotAllowed", "Conflict", "ValidationFailed"} <= domain
    missing = {
        str(path.relative_to(TESTS)): lines
        for path in sorted(TESTS.rglob("test_*.py"))
        if (lines := _unchecked(path.read_text(), domain))
    }
    assert missing == {}
