"""A lint context's inputs (roles and declared inputs) are worked out when a rule first asks
(composegen.lint.load.LazyInputs): pinned against working them out at once, on both corpora, and
left unworked by `lint --diff` on a stack whose fixable rules never ask."""

from __future__ import annotations

from pathlib import Path

import pytest

from composegen.compose.stack import load_stack
from composegen.lint.config import LintConfig
from composegen.lint.load import LazyInputs, _inputs, build_context
from composegen.lint.rules import all_rules
from composegen.lint.run import DirectiveCache, lint_context
from tests.conftest import CORPUS

FILES = sorted([*CORPUS.glob("*.y*ml"), *(Path(__file__).parent / "corpus2").glob("*.y*ml")])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_lazy_inputs_are_the_inputs_worked_out_at_once(path: Path) -> None:
    stack = load_stack([path], env={})
    lazy = LazyInputs(stack, None)
    eager = _inputs(stack, None)
    first = next(iter(eager), None)
    if first is not None:
        assert lazy.get(first) == eager[first]
    assert lazy.get("no such service") is None
    assert dict(lazy) == eager
    assert len(lazy) == len(eager)


def test_the_rules_that_fix_leave_them_unworked(tmp_path: Path) -> None:
    compose = tmp_path / "docker-compose.yml"
    compose.write_text("services:\n  web:\n    image: nginx:1.27.1\n  db:\n    image: postgres:16\n")
    ctx = build_context([compose], mode="stack", env={})
    registry = list(all_rules())
    fixing = [rule for rule in registry if rule.fixable]
    findings = lint_context(ctx, fixing, LintConfig(), DirectiveCache(registry))
    assert findings
    assert isinstance(ctx.inputs, LazyInputs)
    assert ctx.inputs._found is None
    assert ctx.role("db") == "postgres"
    assert ctx.inputs._found is not None
