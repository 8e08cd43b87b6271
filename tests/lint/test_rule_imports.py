"""Rules share readers, not each other: no rule module imports another rule module (issue 13).

What several rules read (memory limits, raw text, references, runtime facts) lives in
composegen/lint/readers.py; a rule module holds its own check only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import composegen.lint.rules as rules_package

RULES = Path(rules_package.__file__).parent
PACKAGE = "composegen.lint.rules"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, absolute (`from . import x` resolved against the package)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = PACKAGE.rsplit(".", node.level - 1)[0] if node.level > 1 else PACKAGE
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def rule_modules() -> list[Path]:
    return sorted(p for p in RULES.glob("*.py") if not p.name.startswith("_"))


@pytest.mark.parametrize("path", rule_modules(), ids=lambda p: p.stem)
def test_a_rule_imports_no_other_rule(path: Path) -> None:
    others = {f"{PACKAGE}.{p.stem}" for p in rule_modules() if p != path}
    assert imported_modules(path) & others == set(), f"{path.name}: move what it shares to composegen/lint/readers.py"


def test_the_check_sees_a_rule_to_rule_import(tmp_path: Path) -> None:
    for text in (
        "from composegen.lint.rules.schema_invalid import has_child\n",
        "from composegen.lint.rules import schema_invalid\n",
        "from . import schema_invalid\n",
        "from .schema_invalid import has_child\n",
        "def f():\n    import composegen.lint.rules.schema_invalid\n",
    ):
        probe = tmp_path / "probe.py"
        probe.write_text(text)
        assert f"{PACKAGE}.schema_invalid" in imported_modules(probe), text
