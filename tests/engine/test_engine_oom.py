"""A lint verdict reproduced as a real kill: tmpfs pages count against the container's memory limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.engine.reproduce import reproduce_tmpfs_oom

pytestmark = pytest.mark.engine


def no_swap(tmp_path: Path) -> list[Path]:
    """On a host with swap, tmpfs pages could go there instead: hold memory + swap to the limit too
    (this machine kind has none, so the stack runs as it is)."""
    meminfo = Path("/proc/meminfo").read_text()
    swap = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("SwapTotal:")), 0)
    if not swap:
        return []
    override = tmp_path / "no-swap.yml"
    override.write_text("services:\n  db:\n    memswap_limit: 64M\n")
    return [override]


def test_a_tmpfs_bigger_than_the_limit_gets_the_container_oom_killed(
    engine: Any, smoke_image: str, tmp_path: Path
) -> None:
    ending = reproduce_tmpfs_oom(no_swap(tmp_path), timeout=60)
    assert ending.exited, f"still {ending.container.status} after {ending.seconds:.0f} s"
    assert ending.oom_killed, f"exit {ending.exit_code}, not OOM-killed: {ending.logs}"
    assert ending.exit_code == 137
    assert ending.container.memory_limit == 64 * 1024**2
    mount = ending.container.tmpfs_at("/data")
    assert mount is not None and mount.size == 128 * 1024**2


def test_the_same_write_survives_a_limit_that_counts_the_tmpfs(engine: Any, smoke_image: str, tmp_path: Path) -> None:
    override = tmp_path / "roomy.yml"
    override.write_text("services:\n  db:\n    deploy:\n      resources:\n        limits:\n          memory: 192M\n")
    ending = reproduce_tmpfs_oom([override], timeout=60)
    assert ending.exited and not ending.oom_killed, f"{ending.container.status}, OOM {ending.oom_killed}"
    assert ending.exit_code == 0, ending.logs
    assert "100+0 records out" in ending.logs
