"""`composegen watch --auto-adjust` on a real engine, through the CLI, on tests/engine/stacks/watch:
two containers growing 2 MiB a second from 44 MiB under a 64M limit, `grower` stopping at 80 MiB,
`runaway` never. With a 96M maximum, watch raises both by 20 % as they cross 90 % of their limit:
the grower settles under its raised limit and is never killed; the runaway reaches the maximum,
is not raised past it, and the kernel kills in it."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from composegen.engine.project import ComposeProject, running
from composegen.units import MIB
from tests.engine.leftovers import nothing_left

pytestmark = pytest.mark.engine

STACK = Path(__file__).resolve().parent / "stacks" / "watch"


@pytest.fixture(autouse=True)
def nothing_left_behind(engine: Any) -> Iterator[None]:
    """Every watch project a test started is gone after it; anything left is removed, and fails."""
    yield from nothing_left(engine, "composegen-", "watch")


def test_watch_raises_limits_before_the_kill_and_never_past_the_maximum(
    engine: Any, smoke_image: str, tmp_path: Path
) -> None:
    folder = tmp_path / "watch"
    shutil.copytree(STACK, folder)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "composegen", "watch", "--profile", "pytest", "--up", "--auto-adjust",
         "--interval", "0.5s", "--duration", "32s", "--maximum", "96M", "--format", "json"],
        cwd=folder, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    seconds = time.monotonic() - started
    assert result.returncode == 1, result.stdout + result.stderr  # the runaway was OOM-killed
    report = json.loads(result.stdout)
    assert (report["warn"], report["critical"]) == (0.8, 0.9)  # the pytest profile's monitoring block
    containers = report["containers"]
    grower = next(n for n, c in containers.items() if c["service"] == "grower")
    runaway = next(n for n, c in containers.items() if c["service"] == "runaway")
    changes = report["changes"]
    ooms = report["alerts"]

    # the grower: raised 64M → 77M → 93M as it crossed 90 %, never killed, settled under its limit
    mine = [(c["old_limit"], c["new_limit"]) for c in changes if c["container"] == grower]
    assert mine == [(64 * MIB, 77 * MIB), (77 * MIB, 93 * MIB)], mine
    assert all(c["working_set"] >= 0.9 * c["old_limit"] for c in changes)
    assert not [a for a in ooms if a["level"] == "oom" and a["container"] == grower]
    assert containers[grower]["limit"] == 93 * MIB and containers[grower]["peak"] < 93 * MIB

    # the runaway: raised up to the maximum and no further; killed there
    raised = [c for c in changes if c["container"] == runaway]
    assert [c["new_limit"] for c in raised] == [77 * MIB, 93 * MIB, 96 * MIB]
    assert all(c["new_limit"] <= 96 * MIB for c in changes)
    assert containers[runaway]["limit"] == 96 * MIB and containers[runaway]["maximum"] == 96 * MIB
    assert any("is at its maximum 96 MiB" in r for r in report["refused"])
    kills = [a for a in ooms if a["level"] == "oom" and a["container"] == runaway]
    assert kills and kills[0]["limit"] == 96 * MIB
    assert raised[0]["t"] < kills[0]["t"]  # raised before the kernel killed anything

    # the overlay change that keeps the raises
    assert report["overlay"] == (
        'services:\n  grower:\n    deploy:\n      resources:\n        limits:\n          memory: "93M"\n'
        '  runaway:\n    deploy:\n      resources:\n        limits:\n          memory: "96M"\n'
    )
    assert "raised " in result.stderr and "tearing down" in result.stderr
    print(f"watch: {seconds:.1f} s")


def test_watch_without_a_running_stack_says_how_to_start_one(engine: Any, tmp_path: Path) -> None:
    folder = tmp_path / "watch"
    shutil.copytree(STACK, folder)
    result = subprocess.run(
        [sys.executable, "-m", "composegen", "watch", "--profile", "pytest",
         "--project-name", "composegen-nothing-here"],
        cwd=folder, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert "no containers of compose project 'composegen-nothing-here'" in result.stderr
    assert "--up" in result.stderr


def test_watch_attaches_to_a_running_stack_by_its_project_name(engine: Any, smoke_image: str, tmp_path: Path) -> None:
    """Without --up: the project compose names it (here from COMPOSE_PROJECT_NAME), found by label."""
    folder = tmp_path / "watch"
    shutil.copytree(STACK, folder)
    rendered = subprocess.run(
        [sys.executable, "-m", "composegen", "render", "--profile", "pytest", "--docker-version", "20.10"],
        cwd=folder, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    name = f"composegen-attach-{secrets.token_hex(3)}"
    files = (folder / "docker-compose.yml", folder / "docker-compose.pytest.yml")
    with running(ComposeProject(name, files), engine) as project:
        assert project.up_detached(60).ok
        result = subprocess.run(
            [sys.executable, "-m", "composegen", "watch", "--profile", "pytest", "--duration", "2s",
             "--interval", "1s", "--format", "json"],
            cwd=folder, capture_output=True, text=True, timeout=60, env={**os.environ, "COMPOSE_PROJECT_NAME": name},
        )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["project"] == name and report["ticks"] >= 2
    assert {c["service"] for c in report["containers"].values()} == {"grower", "runaway"}
    assert all(c["limit"] == 64 * MIB for c in report["containers"].values())
    assert report["changes"] == [] and report["overlay"] is None  # no --auto-adjust: nothing raised
