"""`run_rule` reads each violation's fields at once: each lands in its own field of the finding."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from composegen.compose.tree import Origin
from composegen.lint.context import LintContext
from composegen.lint.engine import run_rule
from composegen.lint.finding import Edit, Fix, Severity, Violation, new_violation
from composegen.lint.load import build_context
from composegen.lint.rule import Rule

FIX = Fix("add it", (Edit("c.yml", ("services", "web", "x"), "append", "y"),))


def _check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    yield Violation(("services", "web"), "one", "web", FIX, Severity.error, Origin("other.yml", 7, 9))
    yield Violation(("services", "web", "image"), "two", service="web")


def test_each_field_of_a_violation_lands_in_its_own(tmp_path: Path) -> None:
    compose = tmp_path / "docker-compose.yml"
    compose.write_text("services:\n  web:\n    image: nginx:1.27.1\n")
    ctx = build_context([compose], mode="file", env={}, project_dir=tmp_path)
    first, second = run_rule(ctx, Rule("CG999", "test-rule", Severity.info, _check, ""))
    assert (first.file, first.line, first.column, first.code, first.name) == ("other.yml", 7, 9, "CG999", "test-rule")
    assert (first.severity, first.message, first.service, first.fix, first.path) == (
        Severity.error, "one", "web", FIX, ("services", "web"),
    )  # fmt: skip
    assert (second.file, second.line, second.column, second.severity, second.fix) == (
        str(compose), 3, 5, Severity.info, None,
    )  # fmt: skip
    assert (second.message, second.service, second.path) == ("two", "web", ("services", "web", "image"))


def test_new_violation_is_the_constructor_of_all_six_fields() -> None:
    fields = (("services", "web"), "one", "web", FIX, Severity.error, Origin("other.yml", 7, 9))
    made = new_violation(fields)
    assert made == Violation(*fields) and type(made) is Violation
    assert (made.path, made.message, made.service, made.fix, made.severity, made.origin) == fields
