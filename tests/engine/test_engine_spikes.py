"""Spikes shorter than calibrate's sampling interval, on a real engine (tests/engine/stacks/spikes):
calibrate, render from what it measured, calibrate again under that overlay, render again, and
replay the stack under the limits recommended last. The target is no OOM kill in the replay.

- `blip` writes 120 MiB into its tmpfs and deletes it within a tenth of a second, then idles: the
  samples (every 2 s) miss it; the cgroup's high-water mark holds it (memory_stats.max_usage here,
  cgroup v1; memory.peak from the cgroup fs on v2).
- `burst` writes 100 MiB and exits: under its first 60M limit it is OOM-killed; under the next it
  is gone before anything can be read, and only the kill the first run saw, carried into the
  second file, keeps the recommendation above 60 MiB (bench/accuracy: engine shapes/spike)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from composegen.engine.applied import PROJECT_LABEL
from composegen.engine.project import ComposeProject, project_name, running
from composegen.render.overlay import plan
from composegen.units import MIB
from tests.engine.leftovers import nothing_left

pytestmark = pytest.mark.engine

STACK = Path(__file__).resolve().parent / "stacks" / "spikes"
RUN_TIMEOUT = 180


def cg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "composegen", *args], cwd=cwd, capture_output=True, text=True, timeout=RUN_TIMEOUT
    )


@pytest.fixture(autouse=True)
def nothing_left_behind(engine: Any) -> Iterator[None]:
    yield from nothing_left(engine, "composegen-", "calibrate")


def calibrate_and_render(
    root: Path, round_: int
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any], dict[str, float]]:
    """A calibrate run (after the first, under the overlay the last one recommended), the overlay
    it recommends written to overlay.yml, and that overlay's memory limits."""
    extra = ["-f", "overlay.yml"] if round_ > 1 else []
    result = cg(
        "calibrate", "--profile", "pytest", "-o", "m.json", "--duration", "12s", "--interval", "2s", "--no-live",
        *extra, cwd=root,
    )  # fmt: skip
    doc = json.loads((root / "m.json").read_text())
    rendered = cg("render", "--profile", "pytest", "--measurements", "m.json", "-o", "overlay.yml", "--force", cwd=root)
    assert rendered.returncode == 0, rendered.stderr
    stack = plan("pytest", None, root, measurements=root / "m.json").stack
    return result, doc, {s.name: s.memory_limit.value for s in stack.services}


def test_a_spike_between_samples_is_held_by_the_recommendation(engine: Any, smoke_image: str, tmp_path: Path) -> None:
    root = tmp_path / "spikes"
    shutil.copytree(STACK, root)

    # round 1: burst is OOM-killed at 60M (its 48M declared × 1.25); blip's spike is in the high-water mark
    first, doc, after_first = calibrate_and_render(root, 1)
    assert first.returncode == 1, first.stdout + first.stderr  # an OOM kill
    blip, burst = doc["services"]["blip"], doc["services"]["burst"]
    assert burst["oom"]["killed"] and burst["oom"]["limit_at_kill"] == 60 * MIB
    assert blip["memory_high_water"]["bytes"] >= 120 * MIB, blip["memory_high_water"]
    # the Engine API's field, or the cgroup file the sampler reads directly (v1, v2)
    read_from = (["memory_stats.max_usage"], ["memory.max_usage_in_bytes"], ["memory.peak"])
    assert blip["memory_high_water"]["read_from"] in read_from
    mark = blip["memory_high_water"]["bytes"]
    print(f"blip: highest sample {blip['memory']['peak'] / MIB:.1f} MiB, high-water mark {mark / MIB:.1f} MiB")
    assert after_first["blip"] >= 120 * MIB * 1.15 and after_first["burst"] == 160 * MIB  # bump of 60: 60 + 100

    # round 2, under that overlay: nothing is killed; burst's 100 MiB come and go unseen
    second, doc, after_second = calibrate_and_render(root, 2)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "carried OOM kills of earlier runs from m.json: burst at 60 MiB" in second.stderr
    burst = doc["services"]["burst"]
    assert not burst["oom"]["killed"] and next(iter(burst["state"].values())) == {"status": "exited", "exit_code": 0}
    assert [k["limit"] for k in burst["oom"]["earlier"]] == [60 * MIB]
    assert after_second["burst"] == 160 * MIB, "back at or below the 60M limit that killed it"
    assert after_second["blip"] >= 120 * MIB * 1.15

    # the replay, under what round 2 recommended: both spikes happen, neither is killed
    name = project_name("spikes", "calibrate")
    project = ComposeProject(name, [root / "docker-compose.yml", root / "overlay.yml"])
    with running(project, engine):
        assert project.up_detached(120).ok
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            containers = {c.labels["com.docker.compose.service"]: c for c in engine.containers.list(
                all=True, filters={"label": f"{PROJECT_LABEL}={name}"})}  # fmt: skip
            if containers["burst"].status == "exited" and b"spiked" in containers["blip"].logs():
                break
            time.sleep(0.5)
        for service, container in containers.items():
            container.reload()
            state = container.attrs["State"]
            assert not state["OOMKilled"], f"{service} OOM-killed under {container.attrs['HostConfig']['Memory']}"
            assert container.attrs["HostConfig"]["Memory"] == after_second[service]
        assert containers["burst"].attrs["State"]["ExitCode"] == 0
        assert containers["blip"].status == "running" and b"spiked" in containers["blip"].logs()
