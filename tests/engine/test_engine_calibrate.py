"""`composegen calibrate` on a real engine, end to end through the CLI, on workloads of known shape
(tests/engine/stacks/shapes and phases), then `render --measurements` from what it wrote."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from composegen.render.overlay import plan
from composegen.units import MIB
from tests.engine.interrupt import sigint_as_at_a_terminal
from tests.engine.leftovers import nothing_left

pytestmark = pytest.mark.engine

STACKS = Path(__file__).resolve().parent / "stacks"
#: Seconds one calibrate run may take here (the longest samples 20 s; up and down take a few).
RUN_TIMEOUT = 180
PNG = b"\x89PNG\r\n\x1a\n"


def cg(*args: str, cwd: Path, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "composegen", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(autouse=True)
def nothing_left_behind(engine: Any) -> Iterator[None]:
    """Every calibrate project a test started is gone after it; anything left is removed, and fails."""
    yield from nothing_left(engine, "composegen-", "calibrate")


def stack(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(STACKS / name, target)
    return target


def test_calibrate_measures_steady_growing_and_spiking_workloads(engine: Any, smoke_image: str, tmp_path: Path) -> None:
    shapes = stack(tmp_path, "shapes")
    started = time.monotonic()
    result = cg(
        "calibrate", "--profile", "pytest", "-o", "m.json", "--duration", "20s", "--interval", "1s",
        "--plots", "plots", cwd=shapes,
    )  # fmt: skip
    seconds = time.monotonic() - started
    assert result.returncode == 1, result.stdout + result.stderr  # the spike was OOM-killed
    doc = json.loads((shapes / "m.json").read_text())
    assert doc["schema"] == "composegen-measurements" and doc["schema_version"] == 2
    assert not doc["partial"] and doc["profile"] == "pytest"
    assert doc["run"]["phases"][0]["name"] == "active" and doc["run"]["ticks"] >= 15
    steady, growing, spike = (doc["services"][n] for n in ("steady", "growing", "spike"))

    # steady at 80 MiB of tmpfs: measured as such, and no leak
    assert 80 * MIB <= steady["memory"]["peak"] <= 84 * MIB
    assert steady["memory"]["p50"] >= 80 * MIB and steady["samples"] >= 15
    assert not steady["leak"]["leak"], steady["leak"]["reason"]
    # and the tmpfs itself read at each sample (statvfs through the container's root: the engine
    # runs here), which memory.stat's shmem cannot tell from other shared memory
    held = steady["memory_tmpfs"]["/scratch"]
    assert 80 * MIB <= held["peak"] <= 81 * MIB and held["at_peak"] == held["peak"]
    # growing by 1 MiB every 2 s: a leak, with the rate inside its interval
    assert growing["leak"]["leak"], growing["leak"]["reason"]
    low, high = growing["leak"]["slope_ci"]
    assert low <= 0.5 * MIB <= high * 1.1 and low > 0
    assert growing["leak"]["time_to_limit_seconds"] < doc["run"]["leak_horizon_seconds"]
    # spiking past its 60M limit (48M declared × 1.25): an OOM kill, seen
    assert spike["oom"]["killed"] and spike["oom"]["events"] >= 1
    assert spike["oom"]["limit_at_kill"] == 60 * MIB
    assert next(iter(spike["state"].values())) == {"status": "exited", "exit_code": 137}
    assert "spike: OOM-killed at the 60 MiB limit" in result.stdout
    assert "growing: leak: grows" in result.stdout

    # the plots: one PNG per service
    pngs = sorted(p.name for p in (shapes / "plots").iterdir())
    assert pngs == ["memory-growing.png", "memory-spike.png", "memory-steady.png"]
    assert all((shapes / "plots" / p).read_bytes().startswith(PNG) for p in pngs)

    # render from it: a limit at or above the observed peak and within 1.3× of it; the OOM bump
    planned = plan("pytest", None, shapes, measurements=shapes / "m.json")
    for name, measured in (("steady", steady), ("growing", growing)):
        limit = planned.stack.service(name).memory_limit.value  # type: ignore[union-attr]
        peak = measured["memory"]["peak"]
        assert peak <= limit <= 1.3 * peak, f"{name}: limit {limit / MIB} MiB for a {peak / MIB:.1f} MiB peak"
    assert planned.stack.service("spike").memory_limit.value >= 160 * MIB  # 60 + 100  # type: ignore[union-attr]
    print(f"calibrate shapes: {seconds:.1f} s")


def test_phases_and_a_command(engine: Any, smoke_image: str, tmp_path: Path) -> None:
    """The command writes 40 MiB into both services, then deletes the releaser's before it exits
    3; drain and cooldown follow at their own intervals."""
    phases = stack(tmp_path, "phases")
    script = (
        'sleep 3; docker exec "$COMPOSE_PROJECT_NAME-releaser-1" dd if=/dev/zero of=/scratch/x bs=1M count=40 '
        '&& docker exec "$COMPOSE_PROJECT_NAME-retainer-1" dd if=/dev/zero of=/scratch/x bs=1M count=40 '
        '&& sleep 3 && docker exec "$COMPOSE_PROJECT_NAME-releaser-1" rm /scratch/x; exit 3'
    )
    started = time.monotonic()
    result = cg(
        "calibrate", "--profile", "pytest", "-o", "m.json", "--interval", "1s", "--drain", "2s",
        "--drain-interval", "0.5s", "--cooldown", "5s", "--cooldown-interval", "1s", "--", "sh", "-c", script,
        cwd=phases,
    )  # fmt: skip
    seconds = time.monotonic() - started
    assert result.returncode == 1, result.stdout + result.stderr  # the command failed
    doc = json.loads((phases / "m.json").read_text())
    command = doc["run"]["command"]
    assert command["argv"] == ["sh", "-c", script] and command["exit_code"] == 3 and command["stopped"] is None
    assert [(p["name"], p["interval"]) for p in doc["run"]["phases"]] == [
        ("active", 1.0),
        ("drain", 0.5),
        ("cooldown", 1.0),
    ]
    assert doc["run"]["phases"][0]["end"] >= command["seconds"] - 1
    releaser, retainer = doc["services"]["releaser"], doc["services"]["retainer"]
    assert releaser["memory"]["peak"] >= 40 * MIB and retainer["memory"]["peak"] >= 40 * MIB
    assert releaser["cooldown"]["verdict"] == "released", releaser["cooldown"]
    assert releaser["cooldown"]["released"] >= 35 * MIB
    assert retainer["cooldown"]["verdict"] == "retained", retainer["cooldown"]
    assert "command sh -c" in result.stdout and "exit 3" in result.stdout
    print(f"calibrate phases: {seconds:.1f} s")


def test_an_interrupted_run_keeps_what_it_measured_and_tears_down(
    engine: Any, smoke_image: str, tmp_path: Path
) -> None:
    phases = stack(tmp_path, "phases")
    log = tmp_path / "stderr.txt"
    with log.open("w") as err, (tmp_path / "stdout.txt").open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "composegen", "calibrate", "-p", "pytest", "-o", "m.json", "--duration", "2m",
             "--interval", "1s"],
            cwd=phases, stdout=out, stderr=err, text=True, preexec_fn=sigint_as_at_a_terminal,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 90
            while "active: sampling" not in log.read_text() and time.monotonic() < deadline:
                assert process.poll() is None, log.read_text()
                time.sleep(0.2)
            time.sleep(3.5)  # a few samples
            process.send_signal(signal.SIGINT)
            process.wait(90)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 130, log.read_text()
    doc = json.loads((phases / "m.json").read_text())
    assert doc["partial"] and doc["partial_reason"] == "interrupted"
    assert doc["run"]["ticks"] >= 2
    assert all(s["samples"] >= 2 for s in doc["services"].values())
    text = log.read_text()
    assert "measurements written to" in text and "(partial: interrupted)" in text
    assert "tearing down" in text
