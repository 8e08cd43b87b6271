"""What the stress and scale tests share: the stack of known footprint (tests/engine/stacks/stress),
the CLI run as a user runs it, and the check that nothing of a test's projects is left behind."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from composegen.engine.applied import PROJECT_LABEL
from composegen.engine.project import remove_leftovers

STACK = Path(__file__).resolve().parent / "stacks" / "stress"
#: Seconds one stress or scale run may take here (the longest steps through six counts).
RUN_TIMEOUT = 240
PNG = b"\x89PNG\r\n\x1a\n"
AGENT_MIB = 20  # what each agent writes into its tmpfs (docker-compose.yml)
HUB_MIB_PER_AGENT = 6  # what the hub writes for each agent that connected to it


def cg(*args: str, cwd: Path, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """`composegen ARGS` in `cwd`, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "composegen", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def copy_stack(tmp_path: Path) -> Path:
    target = tmp_path / "stress"
    shutil.copytree(STACK, target)
    return target


def projects(client: Any) -> set[str]:
    return {c.labels.get(PROJECT_LABEL, "") for c in client.containers.list(all=True)} - {""}


@contextlib.contextmanager
def nothing_left(client: Any, prefix: str) -> Iterator[None]:
    """Every project named `prefix...` that appears inside is gone at the end; anything left is
    removed, and fails the test."""
    before = projects(client)
    yield
    left = {p for p in projects(client) - before if p.startswith(prefix)}
    for name in left:
        remove_leftovers(client, name)
    assert not left, f"containers left behind: {left}"
