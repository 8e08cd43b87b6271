"""The memory high-water mark where the Engine's stats have none (cgroup v2): read from the cgroup
fs, only for a pid whose cgroup names the container. On a fake /proc and /sys/fs/cgroup: this
machine kind's engine runs on cgroup v1, where the stats carry `max_usage` themselves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from composegen.engine.highwater import CgroupPeaks, memory_cgroup
from composegen.engine.sampler import ContainerState, Sampler
from composegen.units import MIB

ID = "c0ffee" * 10 + "abcd"


def test_memory_cgroup_of_each_hierarchy(tmp_path: Path) -> None:
    v1 = "9:name=systemd:/\n4:memory:/docker/abc\n0::/\n"
    assert memory_cgroup(v1, tmp_path) == (tmp_path / "memory/docker/abc", "memory.max_usage_in_bytes")
    assert memory_cgroup("5:cpuacct,memory:/x\n", tmp_path) == (tmp_path / "memory/x", "memory.max_usage_in_bytes")
    v2 = "0::/system.slice/docker-abc.scope\n"
    assert memory_cgroup(v2, tmp_path) == (tmp_path / "system.slice/docker-abc.scope", "memory.peak")
    assert memory_cgroup("1:cpu:/\n", tmp_path) is None
    assert memory_cgroup("garbage", tmp_path) is None


def fake_machine(tmp_path: Path, pid: int, cgroup_line: str, folder: str, name: str, value: str) -> CgroupPeaks:
    proc, root = tmp_path / "proc", tmp_path / "cgroup"
    (proc / str(pid)).mkdir(parents=True)
    (proc / str(pid) / "cgroup").write_text(cgroup_line)
    (root / folder).mkdir(parents=True)
    (root / folder / name).write_text(value)
    return CgroupPeaks(proc, root)


@pytest.mark.parametrize(
    ("line", "folder", "name"),
    [
        (f"0::/system.slice/docker-{ID}.scope\n", f"system.slice/docker-{ID}.scope", "memory.peak"),  # systemd
        (f"0::/docker/{ID}\n", f"docker/{ID}", "memory.peak"),  # cgroupfs driver
        (f"4:memory:/docker/{ID}\n0::/\n", f"memory/docker/{ID}", "memory.max_usage_in_bytes"),  # v1
    ],
)
def test_the_peak_of_the_containers_cgroup(tmp_path: Path, line: str, folder: str, name: str) -> None:
    peaks = fake_machine(tmp_path, 4242, line, folder, name, f"{200 * MIB}\n")
    assert peaks.peak(ID, 4242) == (200 * MIB, name)
    (tmp_path / "cgroup" / folder / name).write_text(f"{210 * MIB}\n")
    assert peaks.peak(ID, 4242) == (210 * MIB, name)  # read again at each tick


def test_a_pid_that_is_not_the_containers_gives_no_mark(tmp_path: Path) -> None:
    """An engine in a VM or another pid namespace: the pid is some other process here."""
    peaks = fake_machine(tmp_path, 4242, "0::/user.slice/other\n", "user.slice/other", "memory.peak", "123\n")
    assert peaks.peak(ID, 4242) is None
    assert peaks.peak(ID, 99) is None  # no such process
    assert peaks.peak(ID, None) is None and peaks.peak(ID, 0) is None


def test_no_memory_peak_file_gives_no_mark(tmp_path: Path) -> None:
    """cgroup v2 before Linux 5.19 has no memory.peak; a stopped container's cgroup is gone."""
    peaks = fake_machine(tmp_path, 7, f"0::/docker/{ID}\n", f"docker/{ID}", "memory.current", "123\n")
    assert peaks.peak(ID, 7) is None


class FakeApi:
    def __init__(self, memory_stats: dict[str, Any]) -> None:
        self.memory_stats = memory_stats

    def stats(self, container: str, stream: bool, one_shot: bool) -> dict[str, Any]:
        return {"memory_stats": self.memory_stats, "cpu_stats": {}, "pids_stats": {}}


class FakeClient:
    def __init__(self, memory_stats: dict[str, Any]) -> None:
        self.api = FakeApi(memory_stats)


def state(pid: int | None) -> ContainerState:
    return ContainerState(ID, "p-app-1", "app", "running", False, 0, 0, 256 * MIB, None, None, None, pid)


@pytest.mark.parametrize(
    ("memory_stats", "expected"),
    [
        # cgroup v1: the stats' own mark, less inactive file cache (2 MiB)
        (
            {"usage": 10 * MIB, "max_usage": 150 * MIB, "stats": {"total_inactive_file": 2 * MIB}},
            (148 * MIB, "memory_stats.max_usage"),
        ),
        # cgroup v2: none in the stats; memory.peak from the cgroup fs
        ({"usage": 10 * MIB, "stats": {"inactive_file": 2 * MIB}}, (198 * MIB, "memory.peak")),
    ],
)
def test_the_sampler_takes_the_mark_from_the_stats_else_the_cgroup_fs(
    tmp_path: Path, memory_stats: dict[str, Any], expected: tuple[int, str]
) -> None:
    sampler = Sampler(FakeClient(memory_stats), "p")  # type: ignore[arg-type]
    with sampler:
        sampler._peaks = fake_machine(tmp_path, 77, f"0::/docker/{ID}\n", f"docker/{ID}", "memory.peak", f"{200 * MIB}")
        container, reading, t = sampler._read(state(77))
        assert reading is not None
        sample = sampler._sample(container, reading, t)
    assert sample is not None and sample.working_set == 8 * MIB
    assert (sample.high_water, sample.high_water_from) == expected


def test_the_sampler_without_any_mark(tmp_path: Path) -> None:
    with Sampler(FakeClient({"usage": 10 * MIB, "stats": {}}), "p") as sampler:  # type: ignore[arg-type]
        sampler._peaks = CgroupPeaks(tmp_path / "proc", tmp_path / "cgroup")
        container, reading, t = sampler._read(state(77))
        assert reading is not None
        sample = sampler._sample(container, reading, t)
    assert sample is not None and sample.high_water is None and sample.high_water_from == ""
