"""Writes under fire: `composegen render` killed with SIGKILL at random moments leaves the old
overlay or the new one, never half of one, and the temporary files of killed runs are removed by
the next run; a file composegen did not generate is never replaced without --force, and what is no
regular file (a folder, a FIFO) not even with it."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from composegen.render.writer import remove_stale_temps, temp_prefix
from tests.conftest import EXAMPLES

#: Renders killed in the loop (half after a random delay, half the moment a temp file appears).
KILLS = 30
PROFILE = "dev"
TARGET = f"docker-compose.{PROFILE}.yml"


def cg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "composegen", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def start_render(cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "composegen", "render", "--profile", PROFILE],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def temps(folder: Path) -> list[str]:
    prefix = temp_prefix(folder / TARGET)
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(prefix) and p.name.endswith(".tmp"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "dev"
    shutil.copytree(EXAMPLES / "dev", folder)
    return folder


def kill_at(child: subprocess.Popen[bytes], folder: Path, delay: float | None) -> None:
    """SIGKILL `child` after `delay` seconds, or (None) as soon as its temp file exists."""
    deadline = time.monotonic() + 30
    if delay is not None:
        time.sleep(delay)
    else:
        while child.poll() is None and not temps(folder) and time.monotonic() < deadline:
            time.sleep(0.0005)
    if child.poll() is None:
        os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)


def test_render_killed_at_random_points_leaves_old_or_new(project: Path) -> None:
    old = (project / TARGET).read_text()  # the golden overlay: what a previous render wrote
    spec = project / "composegen.yaml"
    spec.write_text(spec.read_text().replace("workers: 1", "workers: 3"))
    started = time.monotonic()
    reference = cg("render", "--profile", PROFILE, "-o", "-", cwd=project)
    full = time.monotonic() - started
    assert reference.returncode == 0, reference.stderr
    new = reference.stdout
    assert new != old
    rng = random.Random(7)
    seen = {"old": 0, "new": 0}
    leftovers = 0
    for kill in range(KILLS):
        child = start_render(project)
        kill_at(child, project, rng.uniform(0.3 * full, 1.6 * full) if kill % 2 == 0 else None)
        text = (project / TARGET).read_text()
        assert text in (old, new), f"kill {kill}: the overlay is neither the old one nor the new one"
        seen["old" if text == old else "new"] += 1
        leftovers = max(leftovers, len(temps(project)))
        assert leftovers <= 1, temps(project)  # each run removes what killed runs left
        if text == new:  # start over from the old file, so later kills can catch the switch
            (project / TARGET).write_text(old)
    finished = cg("render", "--profile", PROFILE, cwd=project)
    assert finished.returncode == 0, finished.stderr
    assert (project / TARGET).read_text() == new
    assert temps(project) == []
    assert sum(seen.values()) == KILLS


def test_temp_files_of_dead_writers_are_removed_those_of_live_ones_kept(project: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    prefix = temp_prefix(project / TARGET)
    stale = project / f"{prefix}{dead.pid}.abc123.tmp"
    live = project / f"{prefix}1.def456.tmp"  # pid 1 is always running
    other = project / ".other.yml.99999999.x.tmp"  # another target's: not ours to judge
    for path in (stale, live, other):
        path.write_text("half")
    assert remove_stale_temps(project / TARGET) == [stale]
    assert not stale.exists() and live.exists() and other.exists()


def test_a_file_composegen_did_not_write_is_kept_without_force(project: Path) -> None:
    mine = "services:\n  web:\n    mem_limit: 1g  # tuned by hand\n"
    (project / TARGET).write_text(mine)
    refused = cg("render", "--profile", PROFILE, cwd=project)
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        f"composegen: {project / TARGET}: not overwriting a file composegen did not generate "
        "(pass --force to replace it, or choose another file with -o)"
    ]
    assert (project / TARGET).read_text() == mine
    assert temps(project) == []
    forced = cg("render", "--profile", PROFILE, "--force", cwd=project)
    assert forced.returncode == 0, forced.stderr
    assert (project / TARGET).read_text().startswith("# Generated by composegen")


def test_a_symlinked_overlay_is_written_through(project: Path) -> None:
    real = project / "overlays" / TARGET
    real.parent.mkdir()
    shutil.move(project / TARGET, real)
    (project / TARGET).symlink_to(real)
    real.write_text(real.read_text().replace("memory:", "memory: 1"))  # out of date, still ours
    expected = cg("render", "--profile", PROFILE, "-o", "-", cwd=project).stdout
    assert cg("render", "--profile", PROFILE, cwd=project).returncode == 0
    assert (project / TARGET).is_symlink()
    assert real.read_text() == expected


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_no_regular_file_is_never_replaced_even_with_force(project: Path, kind: str) -> None:
    target = project / "out.yml"
    if kind == "folder":
        target.mkdir()
    else:
        os.mkfifo(target)
    result = cg("render", "--profile", PROFILE, "-o", "out.yml", "--force", cwd=project)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "composegen: out.yml: is not a regular file (a folder, device or pipe): not replacing it "
        "(choose a file name with -o)"
    ]
    assert target.is_dir() if kind == "folder" else target.is_fifo()


def test_a_fifo_beside_the_overlays_does_not_hang_the_drift_check(project: Path) -> None:
    """`render --check-all` (the pre-commit hook) read every *.yml beside the compose files: a FIFO
    among them blocked it forever."""
    os.mkfifo(project / "docker-compose.pipe.yml")
    result = cg("render", "--check-all", cwd=project)
    assert "docker-compose.pipe.yml" not in result.stdout + result.stderr
    assert f"{project / TARGET} is up to date" in result.stdout or "out of date" in result.stderr
