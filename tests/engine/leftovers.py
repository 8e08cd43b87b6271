"""The guard the engine tests share: every compose project a test started is gone after it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from composegen.engine.applied import PROJECT_LABEL
from composegen.engine.project import remove_leftovers


def projects(client: Any) -> set[str]:
    """The compose projects that have containers on the engine."""
    return {c.labels.get(PROJECT_LABEL, "") for c in client.containers.list(all=True)} - {""}


def nothing_left(engine: Any, prefix: str, command: str) -> Iterator[None]:
    """For a fixture: after the test, any new project named `prefix...` is removed, and fails it."""
    before = projects(engine)
    yield
    left = {p for p in projects(engine) - before if p.startswith(prefix)}
    for name in left:
        remove_leftovers(engine, name)
    assert not left, f"{command} left containers behind: {left}"
