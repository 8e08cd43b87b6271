"""A render plans without `base_facts` (what explain alone lists of the base, each line masked
against the stack's secrets: a fifth of a large render's planning): the plan is otherwise the
same, and explain's plan still has them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from composegen.render.overlay import plan
from tests.conftest import EXAMPLE_CASES, EXAMPLES


@pytest.mark.parametrize(("name", "profile"), EXAMPLE_CASES)
def test_a_plan_without_facts_differs_only_by_them(name: str, profile: str) -> None:
    root: Path = EXAMPLES / name
    full = plan(profile, None, root).stack
    lean = plan(profile, None, root, facts=False).stack
    assert all(not s.base_facts for s in lean.services)
    assert replace(lean, services=()) == replace(full, services=())
    assert [replace(s, base_facts=()) for s in full.services] == list(lean.services)


def test_the_examples_have_facts_to_leave_out() -> None:
    assert any(
        s.base_facts for name, profile in EXAMPLE_CASES for s in plan(profile, None, EXAMPLES / name).stack.services
    )
