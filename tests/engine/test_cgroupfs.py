"""Sampling from the cgroup fs, without an engine: the readers on recorded file trees
(tests/engine/data/cgroup), CPU from two readings, the stack's CPU when some is unknown, the
sampler kept current by events instead of inspects, and the interval paced by what a round costs."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from composegen.engine import cgroupfs
from composegen.engine.cgroupfs import CgroupReader, folders
from composegen.engine.lines import Usage, stack_cpu
from composegen.engine.sampler import BUSY_SHARE, Sampler, paced
from composegen.engine.stats import cpu_cores, from_stats

DATA = Path(__file__).resolve().parent / "data" / "cgroup"
V1_ID = "6003a7103f99db91d4d177fb5c64251586444935e59d7ed9db50644d088f73fb"
V1_PID = 4994
V2_ID = "9f1c2e7d3b4a59687766554433221100ffeeddccbbaa99887766554433221100"
V2_PID = 3131
MIB = 1024 * 1024


def reader(version: str, tmp_path: Path | None = None) -> CgroupReader:
    root = DATA / version
    if tmp_path is not None:  # a copy the test may change
        root = tmp_path / version
        shutil.copytree(DATA / version, root)
    return CgroupReader(root / "proc", root / "cgroup")


def test_v1_recorded_tree() -> None:
    found = reader("v1").locate(V1_ID, V1_PID)
    assert found is not None and found.version == 1
    reading = cgroupfs.read(found, clock_ns=10**9)
    assert reading is not None
    assert reading.memory_usage == 290816 and reading.working_set == 290816  # no inactive file cache
    assert (reading.max_usage, reading.max_usage_from) == (32 * MIB, "memory.max_usage_in_bytes")
    assert reading.memory_limit == 32 * MIB
    assert reading.oom_kills == 1
    assert reading.shmem == 0  # memory.stat total_shmem: no tmpfs pages
    assert reading.cpu_total == 345734920 and reading.clock_ns == 10**9
    assert (reading.periods, reading.throttled_periods) == (13, 2)
    assert reading.pids == 1


def test_v2_recorded_tree() -> None:
    found = reader("v2").locate(V2_ID, V2_PID)
    assert found is not None and found.version == 2
    reading = cgroupfs.read(found, clock_ns=5)
    assert reading is not None
    assert reading.memory_usage == 50 * MIB and reading.working_set == 46 * MIB  # less 4 MiB inactive file
    assert (reading.max_usage, reading.max_usage_from) == (60 * MIB, "memory.peak")
    assert reading.memory_limit == 64 * MIB
    assert reading.oom_kills == 1
    assert reading.shmem == 0  # memory.stat shmem
    assert reading.cpu_total == 1_500_000_000  # usage_usec in ns
    assert (reading.periods, reading.throttled_periods) == (100, 25)
    assert reading.pids == 3


def test_v2_before_linux_5_19_and_without_a_limit(tmp_path: Path) -> None:
    found = reader("v2", tmp_path).locate(V2_ID, V2_PID)
    assert found is not None
    (found.memory / "memory.peak").unlink()
    (found.memory / "memory.max").write_text("max\n")
    reading = cgroupfs.read(found)
    assert reading is not None and reading.max_usage is None and reading.memory_limit is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"4:memory:/docker/{V1_ID}\n2:cpu,cpuacct:/docker/{V1_ID}\n0::/\n", ("memory", "cpu", "cpuacct")),
        (f"0::/system.slice/docker-{V2_ID}.scope\n", ("", "", "")),
    ],
)
def test_folders_of_each_hierarchy(tmp_path: Path, text: str, expected: tuple[str, str, str]) -> None:
    ident = V1_ID if "memory" in text else V2_ID
    found = folders(text, ident, tmp_path)
    assert found is not None
    assert [p.relative_to(tmp_path).parts[0] for p in (found.memory, found.cpu, found.cpuacct)] == [
        e or "system.slice" for e in expected
    ]


def test_a_cgroup_that_is_not_the_containers_is_not_read() -> None:
    """An engine in a VM or another pid namespace: the pid is some other process here, or none."""
    assert folders("4:memory:/user.slice/other\n", V1_ID) is None
    assert folders("0::/user.slice/other\n", V2_ID) is None
    assert folders("garbage", V2_ID) is None
    assert folders(f"0::/docker/{V2_ID}\n", "") is None
    files = reader("v1")
    assert files.locate(V2_ID, V1_PID) is None  # another container's pid
    assert files.locate(V1_ID, 99999) is None  # no such process
    assert files.locate(V1_ID, None) is None and files.locate(V1_ID, 0) is None


def test_a_cgroup_gone_is_no_reading(tmp_path: Path) -> None:
    found = reader("v1", tmp_path).locate(V1_ID, V1_PID)
    assert found is not None
    shutil.rmtree(found.memory)
    assert cgroupfs.read(found) is None


# --- CPU from two readings ---------------------------------------------------------------------


def test_cpu_from_two_cgroup_readings(tmp_path: Path) -> None:
    found = reader("v1", tmp_path).locate(V1_ID, V1_PID)
    assert found is not None
    first = cgroupfs.read(found, clock_ns=1_000_000_000)
    (found.cpuacct / "cpuacct.usage").write_text(f"{345734920 + 250_000_000}\n")
    second = cgroupfs.read(found, clock_ns=2_000_000_000)
    assert first is not None and second is not None
    assert cpu_cores(first, second) == pytest.approx(0.25)  # 0.25 s of CPU in 1 s
    assert cpu_cores(second, first) is None  # the counter went back: a restart
    assert cpu_cores(first, replace(second, clock_ns=first.clock_ns)) is None  # no time passed
    api = from_stats({"memory_stats": {"usage": 1}, "cpu_stats": {"cpu_usage": {"total_usage": 5}}})
    assert cpu_cores(api, second) is None and cpu_cores(second, api) is None  # not comparable


def usage(cpu: float | None) -> Usage:
    return Usage("p-agent-1", "agent", MIB, cpu, None, None, 2)


@pytest.mark.parametrize(
    ("cpus", "expected"),
    [
        ([0.5, 0.25], 0.75),
        ([0.5, None], None),  # one container not measured: the stack's CPU is unknown, not 0.5
        ([None, None], None),  # never 0
        ([], 0.0),  # no container: nothing unmeasured
        ([0.0], 0.0),  # measured idle is 0
    ],
)
def test_the_stacks_cpu_is_unknown_when_a_container_was_not_measured(
    cpus: list[float | None], expected: float | None
) -> None:
    assert stack_cpu([usage(c) for c in cpus]) == expected


# --- the adaptive interval ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "costs", "expected"),
    [
        (2.0, [], 2.0),  # no round yet
        (2.0, [0.05, 0.06], 2.0),  # cheap rounds: the interval asked is held
        (2.0, [1.0, 4.0, 1.0], 4.0 / BUSY_SHARE),  # a dear round: the pace gives it room
        (0.5, [0.4], 0.4 / BUSY_SHARE),
    ],
)
def test_the_interval_adapts_to_what_a_round_costs(interval: float, costs: list[float], expected: float) -> None:
    assert paced(interval, costs) == pytest.approx(expected)


# --- the sampler: listed and inspected once, then kept current by events ----------------------


def inspect_doc(ident: str, name: str, pid: int, status: str = "running") -> dict[str, Any]:
    return {
        "Id": ident,
        "Name": f"/{name}",
        "State": {"Status": status, "Pid": pid if status == "running" else 0, "OOMKilled": False, "ExitCode": 0},
        "RestartCount": 0,
        "Config": {"Labels": {"com.docker.compose.project": "p", "com.docker.compose.service": "agent"}},
        "HostConfig": {"Memory": 32 * MIB, "NanoCpus": 50_000_000},
    }


class FakeApi:
    def __init__(self, containers: dict[str, dict[str, Any]]) -> None:
        self.docs = containers
        self.inspected: list[str] = []
        self.listed = 0
        self.stats_read: list[str] = []

    def containers(self, all: bool, filters: dict[str, str]) -> list[dict[str, Any]]:
        self.listed += 1
        return [{"Id": i, "State": d["State"]["Status"]} for i, d in self.docs.items()]

    def inspect_container(self, ident: str) -> dict[str, Any]:
        self.inspected.append(ident)
        return self.docs[ident]

    def stats(self, ident: str, stream: bool, one_shot: bool) -> dict[str, Any]:
        self.stats_read.append(ident)
        return {"memory_stats": {"usage": 7 * MIB, "stats": {}}, "cpu_stats": {}, "pids_stats": {"current": 1}}


class FakeClient:
    def __init__(self, containers: dict[str, dict[str, Any]]) -> None:
        self.api = FakeApi(containers)
        self.pending: list[dict[str, Any]] = []

    def events(self, **kwargs: Any) -> list[dict[str, Any]]:
        out, self.pending = self.pending, []
        return out


def test_the_sampler_reads_the_cgroup_fs_and_inspects_only_on_events() -> None:
    client = FakeClient({V1_ID: inspect_doc(V1_ID, "p-agent-1", V1_PID), V2_ID: inspect_doc(V2_ID, "p-agent-2", 1)})
    with Sampler(client, "p", reader("v1")) as sampler:  # type: ignore[arg-type]
        first = sampler.tick()
        second = sampler.tick()
        assert sorted(client.api.inspected) == sorted([V1_ID, V2_ID])  # once each, not every tick
        # agent-1 from its cgroup files; agent-2's pid is not its container's here: the Engine API
        assert (first.from_cgroup_fs, first.from_engine_api) == (1, 1)
        assert client.api.stats_read == [V2_ID, V2_ID]
        by_name = {s.container: s for s in second.samples}
        assert by_name["p-agent-1"].working_set == 290816 and by_name["p-agent-1"].oom_kills == 1
        assert by_name["p-agent-1"].high_water_from == "memory.max_usage_in_bytes"
        assert by_name["p-agent-1"].cpu == 0.0  # two readings of an idle recorded counter: measured, 0

        client.api.docs[V2_ID] = inspect_doc(V2_ID, "p-agent-2", 0, status="exited")
        client.pending = [{"id": V2_ID, "Action": "die", "timeNano": 1}, {"id": V2_ID, "Action": "oom", "timeNano": 2}]
        third = sampler.tick()
        assert client.api.inspected.count(V2_ID) == 2  # the event's container, inspected again
        assert [c.status for c in third.containers] == ["running", "exited"]
        assert [(o.container, o.service) for o in third.ooms] == [("p-agent-2", "agent")]
        assert third.from_engine_api == 0

        del client.api.docs[V2_ID]
        client.pending = [{"id": V2_ID, "Action": "destroy", "timeNano": 3}]
        assert [c.name for c in sampler.tick().containers] == ["p-agent-1"]
        assert sampler.achieved() is not None and sampler.pace(2.0) == 2.0
