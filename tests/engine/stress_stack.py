"""What the stress and scale tests share: the stack of known footprint (tests/engine/stacks/stress),
the CLI run as a user runs it, and the check that nothing of a test's projects is left behind."""

from __future__ import annotations

import contextlib
import secrets
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


def project_containers(client: Any, name: str) -> list[dict[str, Any]]:
    """The containers of compose project `name` (one list call: one removed meanwhile cannot make
    it fail)."""
    return list(client.api.containers(all=True, filters={"label": f"{PROJECT_LABEL}={name}"}))


@contextlib.contextmanager
def own_project(client: Any, kind: str) -> Iterator[str]:
    """A compose project name of this test's own, and the check that nothing of it is left at the
    end (what is left is removed, and fails the test). Only this name is looked at: the same tests
    may run at the same time elsewhere on the engine, and their projects are not this test's. The
    name is not composegen-*, which other engine tests' leftover checks claim."""
    name = f"cgtest-{kind}-{secrets.token_hex(3)}"
    yield name
    left = project_containers(client, name)
    if left:
        remove_leftovers(client, name)
    assert not left, f"containers of {name} left behind: {[c.get('Names') for c in left]}"
