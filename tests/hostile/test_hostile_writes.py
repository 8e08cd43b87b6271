"""Writes under fire: `composegen render` killed with SIGKILL at random moments leaves the old
overlay or the new one, never half of one, and the temporary files of killed runs are removed by
the next run; a file composegen did not generate is never replaced without --force, and what is no
regular file (a folder, a FIFO) not even with it."""

from __future__ import annotations

import contextlib
import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from composegen import writer
from composegen.errors import ComposegenError
from composegen.writer import MARKER, remove_stale_temps, temp_prefix
from tests.conftest import EXAMPLES
from tests.hostile.test_hostile_files import run_cli

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


# --- writes that were internal errors (exit 3), went out of the project, or replaced an input -----


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a refused run (exit 2, no traceback)."""
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
    return result.stderr.strip()


def test_a_dangling_link_out_of_the_project_is_not_written_through_without_force(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "created.yml"
    outside.parent.mkdir()
    (project / "out.yml").symlink_to(outside)
    refused = cg("render", "--profile", PROFILE, "-o", "out.yml", cwd=project)
    assert one_line(refused) == (
        f"composegen: out.yml: is a symbolic link to {outside}, outside the project folder: not writing "
        "through it (pass --force to write there, or choose another file with -o)"
    )
    assert not outside.exists()
    forced = cg("render", "--profile", PROFILE, "-o", "out.yml", "--force", cwd=project)
    assert forced.returncode == 0, forced.stderr
    assert (project / "out.yml").is_symlink() and outside.read_text().startswith("# Generated by composegen")


@pytest.mark.parametrize(
    "args",
    [
        ["render", "--profile", PROFILE, "--force", "-o", "docker-compose.yml"],
        ["render", "--profile", PROFILE, "--force", "-o", "composegen.yaml"],
        ["render", "--profile", PROFILE, "--force", "-o", "link.yml"],  # a link to the base file
        ["export", "alerts", "--profile", PROFILE, "--force", "-o", "docker-compose.yml"],
        ["render", "--profile", PROFILE, "--force", "-o", ".env"],  # compose reads it: so does composegen
    ],
    ids=["base", "project", "link-to-base", "alerts", "dotenv"],
)
def test_a_file_the_run_reads_is_never_overwritten_even_with_force(project: Path, args: list[str]) -> None:
    (project / "link.yml").symlink_to("docker-compose.yml")
    (project / ".env").write_text("# no variables\n")
    before = {p.name: p.read_bytes() for p in project.iterdir() if p.is_file()}
    result = cg(*args, cwd=project)
    assert one_line(result).endswith(": is a file this run reads: not overwriting it (choose another file with -o)")
    assert {p.name: p.read_bytes() for p in project.iterdir() if p.is_file()} == before


def test_a_full_disk_leaves_every_old_file_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Several files are written all or nothing (export k8s wrote 1 of 6 manifests, then exit 3)."""
    old = {tmp_path / f"{name}.yaml": f"{MARKER} old {name}\n" for name in ("web", "db", "cache")}
    for path, text in old.items():
        path.write_text(text)
    synced: list[int] = []

    def fsync(fd: int) -> None:
        synced.append(fd)
        if len(synced) == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(writer.os, "fsync", fsync)
    new = [(path, f"{MARKER} new\n") for path in old] + [(tmp_path / "queue.yaml", f"{MARKER} new\n")]
    with pytest.raises(ComposegenError) as refused:
        writer.write_all_atomic(new)
    assert refused.value.one_line() == (
        f"{tmp_path / 'cache.yaml'}: cannot write the file: the disk is full (free some disk space, then run again)"
    )
    assert {p: p.read_text() for p in tmp_path.iterdir()} == old  # no new file, no temp file


def test_many_files_are_flushed_with_one_sync_all_or_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An export of thousands of files flushes them with one sync, not one fsync each (7,500
    manifests: 14 s of fsyncs), still before any rename; a failure on the way keeps the old files."""
    flushed: list[str] = []
    monkeypatch.setattr(writer.os, "fsync", lambda fd: flushed.append("fsync"))
    monkeypatch.setattr(writer.os, "sync", lambda: flushed.append("sync"))
    old = {tmp_path / f"s{i}.yaml": f"{MARKER} old {i}\n" for i in range(writer.SYNC_ONCE_FROM)}
    for path, text in old.items():
        path.write_text(text)
    modes: list[int] = []
    fchmod = os.fchmod

    def full_at_the_tenth(fd: int, mode: int) -> None:
        modes.append(mode)
        if len(modes) == 10:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        fchmod(fd, mode)

    monkeypatch.setattr(writer.os, "fchmod", full_at_the_tenth)
    with pytest.raises(ComposegenError):
        writer.write_all_atomic([(path, f"{MARKER} new\n") for path in old])
    assert {p: p.read_text() for p in tmp_path.iterdir()} == old  # no new file, no temp file
    assert flushed == []
    monkeypatch.setattr(writer.os, "fchmod", fchmod)
    writer.write_all_atomic([(path, f"{MARKER} new\n") for path in old])
    assert {p: p.read_text() for p in tmp_path.iterdir()} == dict.fromkeys(old, f"{MARKER} new\n")
    assert flushed == ["sync", "fsync"]  # the files once, then the folder (the renames)


def _cannot(reason: str) -> None:
    """No real full disk here: a failure in CI (root, which can mount one), else a skip with why."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"the full-disk tests must run in CI, but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs (as root, where mounting is allowed), unmounted afterwards."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        _cannot("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        _cannot(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def fill(disk: Path) -> None:
    """Write to `disk` until it is full."""
    with contextlib.suppress(OSError), (disk / "filler").open("wb") as out:  # (closing it fails too)
        while True:
            out.write(b"x" * 4096)
            out.flush()


def test_export_k8s_on_a_full_disk_keeps_the_old_manifests(project: Path, tiny_disk: Path) -> None:
    first = cg("export", "k8s", "--profile", PROFILE, "-o", str(tiny_disk / "k8s"), cwd=project)
    assert first.returncode == 0, first.stderr
    old = {p.name: p.read_text() for p in (tiny_disk / "k8s").iterdir()}
    spec = project / "composegen.yaml"
    spec.write_text(spec.read_text().replace("workers: 1", "workers: 3"))
    fill(tiny_disk)
    again = cg("export", "k8s", "--profile", PROFILE, "-o", str(tiny_disk / "k8s"), cwd=project)
    assert one_line(again).endswith(": cannot write the file: the disk is full (free some disk space, then run again)")
    assert {p.name: p.read_text() for p in (tiny_disk / "k8s").iterdir()} == old
    (tiny_disk / "filler").unlink()
    fill(tiny_disk)  # now without the k8s folder's room: a new folder is not left half written
    fresh = cg("export", "k8s", "--profile", PROFILE, "-o", str(tiny_disk / "new" / "k8s"), cwd=project)
    assert one_line(fresh).endswith("(free some disk space, then run again)")
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler", "k8s"]


def test_render_on_a_full_disk_keeps_the_old_overlay(project: Path, tiny_disk: Path) -> None:
    target = tiny_disk / TARGET
    target.write_text((project / TARGET).read_text())
    spec = project / "composegen.yaml"
    spec.write_text(spec.read_text().replace("workers: 1", "workers: 3"))
    fill(tiny_disk)
    result = cg("render", "--profile", PROFILE, "-o", str(target), cwd=project)
    assert one_line(result) == (
        f"composegen: {target}: cannot write the file: the disk is full (free some disk space, then run again)"
    )
    assert target.read_text() == (project / TARGET).read_text()
    assert sorted(p.name for p in tiny_disk.iterdir()) == sorted(["filler", TARGET])


NO_PERMISSION = "permission denied (check the permissions of the file and of the folders above it)"
WRITE, CREATE = "cannot write the file", "cannot create the folder"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["render", "--profile", PROFILE, "-o", "out/x.yml"], f"out/x.yml: {WRITE}: {NO_PERMISSION}"),
        (["export", "k8s", "--profile", PROFILE, "-o", "out/k8s"], f"out/k8s: {CREATE}: {NO_PERMISSION}"),
        (["export", "alerts", "--profile", PROFILE, "-o", "out/a.yml"], f"out/a.yml: {WRITE}: {NO_PERMISSION}"),
    ],
    ids=["render", "export-k8s", "export-alerts"],
)
def test_an_output_folder_without_write_permission(project: Path, args: list[str], expected: str) -> None:
    (project / "out").mkdir()
    (project / "out").chmod(0o555)
    run = run_cli(args, project, locked=True)  # as root: without the capability to write anywhere
    assert (run.code, run.stderr.splitlines()) == (2, [f"composegen: {expected}"])
    assert list((project / "out").iterdir()) == []


LONG = "a" * 300


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["render", "--profile", PROFILE, "-o", f"{LONG}.yml"], f"{LONG}.yml: {WRITE}"),
        (["export", "k8s", "--profile", PROFILE, "-o", LONG], f"{LONG}: {CREATE}"),
    ],
    ids=["render", "export-k8s"],
)
def test_a_name_too_long(project: Path, args: list[str], expected: str) -> None:
    result = cg(*args, cwd=project)
    assert one_line(result) == f"composegen: {expected}: the name is too long (use a shorter name)"


def test_export_k8s_into_an_existing_file(project: Path) -> None:
    (project / "k8s").write_text("mine\n")
    result = cg("export", "k8s", "--profile", PROFILE, "-o", "k8s", cwd=project)
    assert one_line(result) == (
        "composegen: k8s: is a file, not a folder (name a folder with -o (it is created if missing))"
    )
    assert (project / "k8s").read_text() == "mine\n"
