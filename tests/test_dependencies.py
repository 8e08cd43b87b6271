"""What composegen imports at runtime is what pyproject.toml's runtime dependencies install."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "composegen"
#: test-only packages: in the `test` extra, never imported by the package
TEST_ONLY = ("jsonschema", "check_jsonschema", "hypothesis", "pytest")


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_package_imports_no_test_only_dependency() -> None:
    found = {
        str(path.relative_to(REPO)): sorted(imported_roots(path) & set(TEST_ONLY))
        for path in sorted(PACKAGE.rglob("*.py"))
    }
    assert {path: names for path, names in found.items() if names} == {}


def test_jsonschema_is_a_test_extra_not_a_runtime_dependency() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = [d.split(">")[0].split("=")[0].strip().lower() for d in project["dependencies"]]
    assert "jsonschema" not in names
    assert any(d.startswith("jsonschema") for d in project["optional-dependencies"]["test"])
