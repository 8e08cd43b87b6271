"""A lint context's inputs (roles and declared inputs) are worked out when a rule first asks
(LintContext `inputs_of`, which composegen.lint.load.build_context gives): pinned against working
them out at once, on both corpora, and left unworked by the rules `lint --diff` runs, which fix."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from composegen.compose.stack import load_stack
from composegen.lint.config import LintConfig
from composegen.lint.context import LintContext
from composegen.lint.load import _inputs, build_context
from composegen.lint.rules import all_rules
from composegen.lint.run import DirectiveCache, lint_context
from composegen.sizing.inputs import ServiceInputs
from tests.conftest import CORPUS

FILES = sorted([*CORPUS.glob("*.y*ml"), *(Path(__file__).parent / "corpus2").glob("*.y*ml")])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_inputs_worked_out_on_first_ask_are_those_worked_out_at_once(path: Path) -> None:
    ctx = build_context([path], mode="file", env={})
    eager = _inputs(load_stack([path], env={}), None)
    first = next(iter(eager), None)
    if first is not None:
        assert ctx.role(first) == eager[first].role
    assert ctx.role("no such service") is None
    assert dict(ctx.inputs) == eager


def test_the_rules_that_fix_leave_them_unworked(tmp_path: Path) -> None:
    compose = tmp_path / "docker-compose.yml"
    compose.write_text("services:\n  web:\n    image: nginx:1.27.1\n  db:\n    image: postgres:16\n")
    stack = load_stack([compose], env={})
    asked: list[int] = []

    def inputs_of() -> Mapping[str, ServiceInputs]:
        asked.append(1)
        return _inputs(stack, None)

    ctx = LintContext(stack, mode="stack", inputs_of=inputs_of)
    registry = list(all_rules())
    fixing = [rule for rule in registry if rule.fixable]
    assert lint_context(ctx, fixing, LintConfig(), DirectiveCache(registry))
    assert asked == []
    assert ctx.role("db") == "postgres"
    assert ctx.role("web") != "postgres"
    assert asked == [1]
