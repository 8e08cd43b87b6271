"""Reproduce a lint verdict as a real kill: run a stack's service on the engine until it exits and
report how it ended.

For the lint tests: `TMPFS_OOM_STACK` is a stack CG105 (tmpfs-exceeds-memory-limit) flags, and
`reproduce_tmpfs_oom()` runs it and returns the outcome, whose `oom_killed` is true when the
kernel killed the container for filling its tmpfs. A test that calls it needs the engine:

    @pytest.mark.engine
    def test_cg105_is_a_real_kill(engine, smoke_image):
        assert lint(TMPFS_OOM_STACK) flags CG105 ...
        assert reproduce_tmpfs_oom().oom_killed

Everything runs under a compose project of its own, taken down whatever happens.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from composegen.engine.applied import Applied, from_inspect
from composegen.engine.client import connect, project_containers
from composegen.engine.project import ComposeProject, project_name, running

STACKS = Path(__file__).resolve().parent / "stacks"
#: 64M limit, a 128M tmpfs at /data, and a command that writes 100M into it.
TMPFS_OOM_STACK = STACKS / "tmpfs-oom" / "docker-compose.yml"


@dataclass(frozen=True)
class Ending:
    """How a service's container ended (or where it was when the time ran out)."""

    container: Applied
    logs: str
    seconds: float

    @property
    def oom_killed(self) -> bool:
        return self.container.oom_killed

    @property
    def exit_code(self) -> int:
        return self.container.exit_code

    @property
    def exited(self) -> bool:
        return self.container.status == "exited"


def run_until_exit(files: Sequence[Path], service: str, *, timeout: float = 60) -> Ending:
    """`up --detach` the stack, wait (at most `timeout` s) for `service`'s container to exit, read
    its state through the Engine API, and take the stack down."""
    client = connect()
    name = project_name(f"repro-{service}")
    with running(ComposeProject(name, tuple(files)), client) as project:
        started = time.monotonic()
        up = project.up_detached(timeout)
        if not up.ok:
            raise AssertionError(f"docker compose up failed: {up.last_lines()}")
        deadline = started + timeout
        while True:
            mine = [from_inspect(d) for d in project_containers(client, name)]
            container = next((c for c in mine if c.service == service), None)
            if container is None:
                raise AssertionError(f"no container for service {service!r} in {name}")
            if container.status in ("exited", "dead") or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        logs = client.containers.get(container.name).logs().decode(errors="replace")
        return Ending(container, logs, time.monotonic() - started)


def reproduce_tmpfs_oom(extra_files: Sequence[Path] = (), *, timeout: float = 60) -> Ending:
    """Run TMPFS_OOM_STACK's `db` (plus `extra_files` over it) until it exits."""
    return run_until_exit([TMPFS_OOM_STACK, *extra_files], "db", timeout=timeout)
