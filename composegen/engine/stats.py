"""One container's usage, read from the Engine API's stats (`GET /containers/{id}/stats`). Pure.

Memory is counted as cAdvisor and kubectl count it, as the working set: usage minus the inactive
file cache (cgroup v1 `total_inactive_file`, v2 `inactive_file`), which the kernel can drop
without killing anything. tmpfs pages are not file cache the kernel can drop (they are counted as
anonymous memory), so the working set includes what a tmpfs holds, as the limit does.

The high-water mark is the cgroup's own peak of that usage, which the kernel keeps between two
readings: the Engine's `memory_stats.max_usage` (cgroup v1 `memory.max_usage_in_bytes`). A spike
shorter than the interval between two readings shows there and nowhere else. On cgroup v2 the
Engine reports no `max_usage` (runc's fs2 stats leave it unset, moby/moby#43150): the sampler reads
the cgroup's `memory.peak` from the cgroup fs instead where it can (composegen.engine.highwater).

CPU is cores in use between two readings: the container's CPU time delta over the host's, times
the host's online CPUs (the way `docker stats` computes its CPU %, which is this × 100); for two
readings of the cgroup fs (composegen.engine.cgroupfs), which carry the monotonic clock of the
moment they were read, the CPU time delta over the clock's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reading:
    """One stats reading; `memory_usage` None when the container was not running."""

    memory_usage: int | None
    working_set: int | None
    memory_limit: int | None  # the cgroup's, as the stats report it (the host's memory when unlimited)
    cpu_total: int  # ns of CPU the container used, all its life
    system_total: int  # ns of CPU the host used (summed over its CPUs)
    online_cpus: int
    pids: int | None
    throttled_periods: int
    periods: int
    max_usage: int | None = None  # the cgroup's high-water mark of usage (None: the engine gives none, cgroup v2)
    inactive_file: int = 0  # the inactive file cache at this reading
    max_usage_from: str = "memory_stats.max_usage"  # where max_usage was read (the stats, else a cgroup file)
    clock_ns: int | None = None  # monotonic ns when read from the cgroup fs (None: from the Engine's stats)
    oom_kills: int | None = None  # the cgroup's OOM-kill counter (None: not known)
    #: tmpfs and shared memory pages (memory.stat v1 `total_shmem`, v2 `shmem`), which the usage
    #: counts: a tmpfs's used pages are in every reading (None: not reported)
    shmem: int | None = None

    @property
    def running(self) -> bool:
        return self.memory_usage is not None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def inactive_file(stats: Mapping[str, Any]) -> int:
    """The inactive file cache: cgroup v1 `total_inactive_file`, else v2 `inactive_file`."""
    for key in ("total_inactive_file", "inactive_file"):
        value = _int(stats.get(key))
        if value is not None:
            return value
    return 0


def shmem(stats: Mapping[str, Any]) -> int | None:
    """The tmpfs and shared memory pages: cgroup v1 `total_shmem` (the cgroup and its children),
    else `shmem` (v1 this cgroup only; v2); None when the stats have neither."""
    for key in ("total_shmem", "shmem"):
        value = _int(stats.get(key))
        if value is not None:
            return value
    return None


def from_stats(data: Mapping[str, Any]) -> Reading:
    """A reading from one stats document (stream=false, one-shot)."""
    memory = _mapping(data.get("memory_stats"))
    usage = _int(memory.get("usage"))
    stats = _mapping(memory.get("stats"))
    inactive = inactive_file(stats)
    working_set = None if usage is None else max(0, usage - inactive)
    # 0 is no mark: a runtime that leaves it unset reports 0 (cAdvisor on cgroup v2, k3s-io/k3s#7255)
    max_usage = _int(memory.get("max_usage")) or None
    cpu = _mapping(data.get("cpu_stats"))
    cpu_usage = _mapping(cpu.get("cpu_usage"))
    percpu = cpu_usage.get("percpu_usage")
    online = _int(cpu.get("online_cpus")) or (len(percpu) if isinstance(percpu, list) and percpu else 1)
    throttling = _mapping(cpu.get("throttling_data"))
    return Reading(
        memory_usage=usage,
        working_set=working_set,
        max_usage=max_usage if usage is not None else None,
        inactive_file=inactive,
        memory_limit=_int(memory.get("limit")),
        cpu_total=_int(cpu_usage.get("total_usage")) or 0,
        system_total=_int(cpu.get("system_cpu_usage")) or 0,
        online_cpus=online,
        pids=_int(_mapping(data.get("pids_stats")).get("current")),
        throttled_periods=_int(throttling.get("throttled_periods")) or 0,
        periods=_int(throttling.get("periods")) or 0,
        shmem=shmem(stats),
    )


def high_water_working_set(max_usage: int | None, reading: Reading) -> int | None:
    """The high-water mark `max_usage` in working-set terms: less the inactive file cache of this
    reading (clean pages the kernel drops before it kills), never below the reading's working set.

    The cache at the moment of the peak is not known: the cache now stands in for it, so a peak of
    file cache that has since been dropped can count (the mark errs high, never below a sample)."""
    if max_usage is None or reading.working_set is None:
        return None
    return max(reading.working_set, max_usage - reading.inactive_file)


def cpu_cores(before: Reading, after: Reading) -> float | None:
    """Cores in use between two readings of one container; None when they cannot be compared
    (the first reading, a restart that reset the counters, no host time passed)."""
    cpu = after.cpu_total - before.cpu_total
    if before.clock_ns is not None and after.clock_ns is not None:  # the cgroup fs: over the clock
        elapsed = after.clock_ns - before.clock_ns
        if cpu < 0 or elapsed <= 0 or not before.running or not after.running:
            return None
        return cpu / elapsed
    if before.clock_ns is not None or after.clock_ns is not None:  # one of each: not comparable
        return None
    system = after.system_total - before.system_total
    if cpu < 0 or system <= 0 or not before.running or not after.running:
        return None
    return cpu / system * after.online_cpus


def throttled(before: Reading, after: Reading) -> float | None:
    """The share of CFS periods in which the container was throttled between two readings."""
    periods = after.periods - before.periods
    if periods <= 0:
        return None
    return max(0.0, min(1.0, (after.throttled_periods - before.throttled_periods) / periods))
