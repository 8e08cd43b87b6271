"""Sampling a compose project's containers: what calibrate, watch, stress, scale and verify read.

The project's containers are listed (by its label, never another project's) and inspected once
(limits, state, OOMKilled, restart count, init pid); after that the engine's events keep that list
current: each tick asks for the project's container events since the last one (create, start,
restart, die, oom, destroy, ...) and inspects only the containers they name, and a full listing
every `RESYNC` seconds catches anything an event could have missed. `oom` events are reported.

Each running container is then read in one pass from the cgroup fs of this machine where the
engine runs here (composegen.engine.cgroupfs: well under a millisecond a container, cgroup v1 and
v2), else through the Engine API's stats (`stream=false, one-shot=true`: one reading each, at the
daemon's next collection, about a second), `MAX_WORKERS` at once.

What a round costs is kept: `pace(interval)` is the interval the caller asked for, or a longer
one when rounds cost more than `BUSY_SHARE` of it (a remote engine with hundreds of containers),
and `achieved()` says what interval the ticks actually kept, for the caller to state.

Each sample carries the cgroup's memory high-water mark beside the usage: a spike shorter than the
interval between two ticks is in the mark and in no sample. From the cgroup fs it is
`memory.max_usage_in_bytes` (v1) or `memory.peak` (v2); from the stats `memory_stats.max_usage`
(cgroup v1), else `memory.peak` where this machine can read it (composegen.engine.highwater).

Where the cgroup fs is read, each tmpfs the container mounts is read too, through the container's
root (composegen.engine.mounts): what it held, which memory.stat's shmem cannot tell apart from
the container's other shared memory.

Given a GPU meter (composegen.engine.gpu), each tick also carries what each running container
holds on each GPU, read through NVML.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from types import TracebackType
from typing import TYPE_CHECKING, Any

from composegen.engine.applied import PROJECT_LABEL, SERVICE_LABEL, from_inspect, is_oneoff
from composegen.engine.cgroupfs import CgroupReader, read
from composegen.engine.client import EngineError
from composegen.engine.gpu import GpuMeter, GpuSnapshot
from composegen.engine.highwater import CgroupPeaks
from composegen.engine.mounts import tmpfs_used
from composegen.engine.stats import Reading, cpu_cores, from_stats, high_water_working_set, throttled

if TYPE_CHECKING:
    from docker import DockerClient

#: Threads inspecting, or reading the Engine API's stats, at once.
MAX_WORKERS = 16
#: Seconds between two full listings of the project's containers (the events keep it current between).
RESYNC = 15.0
#: The most of an interval a round may cost: past it the sampler paces at the cost over this share.
BUSY_SHARE = 0.8
#: The rounds whose cost sets the pace (the dearest of them).
PACE_ROUNDS = 3
#: The container events after which a container is inspected again.
CHANGES = ("create", "start", "restart", "die", "oom", "kill", "pause", "unpause", "update", "rename", "destroy")


@dataclass(frozen=True)
class ContainerState:
    """A container of the project as inspected at one tick."""

    id: str
    name: str
    service: str
    status: str
    oom_killed: bool
    restart_count: int
    exit_code: int
    memory_limit: int | None  # bytes; None: unlimited
    memswap_limit: int | None  # bytes; None: not set; -1: unlimited swap
    memory_reservation: int | None
    nano_cpus: int | None
    pid: int | None = None  # the init process's pid on the engine's machine (inspect State.Pid)
    tmpfs_targets: tuple[str, ...] = ()  # where it mounts a tmpfs (HostConfig.Tmpfs, Mounts of type tmpfs)

    @property
    def running(self) -> bool:
        return self.status == "running"


def container_state(data: Mapping[str, Any]) -> ContainerState:
    applied = from_inspect(data)
    host = data.get("HostConfig") or {}
    swap = host.get("MemorySwap")
    pid = (data.get("State") or {}).get("Pid")
    return ContainerState(
        id=str(data.get("Id", "")),
        name=applied.name,
        service=applied.service,
        status=applied.status,
        oom_killed=applied.oom_killed,
        restart_count=applied.restart_count,
        exit_code=applied.exit_code,
        memory_limit=applied.memory_limit,
        memswap_limit=swap if isinstance(swap, int) and swap != 0 else None,
        memory_reservation=applied.memory_reservation,
        nano_cpus=applied.nano_cpus,
        pid=pid if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0 else None,
        tmpfs_targets=tuple(t.target for t in applied.tmpfs if t.target),
    )


@dataclass(frozen=True)
class Sample:
    """One container's usage at one moment (`t`: seconds since the sampler started)."""

    t: float
    container: str
    service: str
    working_set: int
    usage: int
    limit: int | None  # the container's memory limit then (None: unlimited)
    cpu: float | None  # cores, since the previous reading; None for the first
    pids: int | None
    throttled: float | None  # share of CFS periods throttled since the previous reading
    high_water: int | None = None  # the cgroup's high-water mark, less inactive file cache (None: unknown)
    high_water_from: str = ""  # where the mark was read: memory_stats.max_usage, or a cgroup file's name
    oom_kills: int | None = None  # the cgroup's OOM-kill counter (None: not known; the Engine API gives none)
    shmem: int | None = None  # tmpfs and shared memory pages in `usage` (memory.stat shmem; None: not reported)
    #: (target, bytes used) of each tmpfs the container mounts, read through its root
    #: (composegen.engine.mounts; (): not read, the engine is not on this machine)
    tmpfs: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class OomEvent:
    t: float  # seconds since the sampler started
    container: str
    service: str


@dataclass(frozen=True)
class Tick:
    t: float
    containers: tuple[ContainerState, ...]
    samples: tuple[Sample, ...]
    ooms: tuple[OomEvent, ...]
    cost: float = 0.0  # seconds the round took
    from_cgroup_fs: int = 0  # containers read from the cgroup fs
    from_engine_api: int = 0  # containers read through the Engine API's stats
    gpu: GpuSnapshot | None = None  # GPU memory per container, where the sampler has a reading GPU meter


def paced(interval: float, costs: Iterable[float]) -> float:
    """The interval to sample at: `interval`, or longer when a recent round cost more than
    `BUSY_SHARE` of it (the next round would start late, and the one after later still)."""
    return max(interval, max(costs, default=0.0) / BUSY_SHARE)


def achieved(ticks: Sequence[Tick]) -> float | None:
    """The mean interval between the ticks' starts (None with fewer than two)."""
    if len(ticks) < 2:
        return None
    return (ticks[-1].t - ticks[0].t) / (len(ticks) - 1)


class Sampler:
    """Reads project `project` at each `tick()`. Use as a context manager (it owns a thread pool)."""

    def __init__(
        self, client: DockerClient, project: str, reader: CgroupReader | None = None, gpu: GpuMeter | None = None
    ) -> None:
        self.client = client
        self.gpu = gpu  # read at each tick when given (composegen.engine.gpu); its owner closes it
        self.project = project
        self.started_wall = time.time()
        self.started = time.monotonic()
        self._previous: dict[str, Reading] = {}
        self._seen_events: dict[tuple[str, int, str], float] = {}
        self._events_since = self.started_wall - 1.0
        self._pool = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="composegen-stats")
        self._peaks = CgroupPeaks()
        self._reader = reader if reader is not None else CgroupReader()
        self._states: dict[str, ContainerState] = {}  # id -> the container as last inspected
        self._ignored: set[str] = set()  # ids listed that are not the project's own (one-off runs)
        self._stale: set[str] = set()  # ids to inspect at the next tick
        self._listed_at: float | None = None
        self._costs: deque[float] = deque(maxlen=PACE_ROUNDS)
        self._first: float | None = None
        self._last: float | None = None
        self._ticks = 0

    def __enter__(self) -> Sampler:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def now(self) -> float:
        return time.monotonic() - self.started

    def pace(self, interval: float) -> float:
        """The interval to sample at: `interval`, or longer when the last rounds cost more than
        `BUSY_SHARE` of it (the next round would start late)."""
        return paced(interval, self._costs)

    def achieved(self) -> float | None:
        """The mean interval between the ticks so far (None before the second)."""
        if self._first is None or self._last is None or self._ticks < 2:
            return None
        return (self._last - self._first) / (self._ticks - 1)

    def containers(self) -> list[ContainerState]:
        """Every container of the project, listed and inspected now."""
        self._resync(inspect_all=True)
        return self._sorted()

    def _sorted(self) -> list[ContainerState]:
        return sorted(self._states.values(), key=lambda c: c.name)

    def _listed(self) -> dict[str, str]:
        """The project's containers by the list endpoint: id -> state (running, exited, ...)."""
        import docker.errors

        try:
            listed = self.client.api.containers(all=True, filters={"label": f"{PROJECT_LABEL}={self.project}"})
        except docker.errors.DockerException as err:
            raise EngineError(f"the engine did not list the containers of project {self.project}: {err}") from None
        return {str(c.get("Id", "")): str(c.get("State", "")) for c in listed if c.get("Id")}

    def _resync(self, *, inspect_all: bool = False) -> None:
        """List the project: inspect what is new or changed (everything, with `inspect_all`),
        forget what is gone."""
        listed = self._listed()
        self._listed_at = self.now()
        for gone in set(self._states) - set(listed):
            self._forget(gone)
        self._ignored &= set(listed)
        for ident, status in listed.items():
            known = self._states.get(ident)
            if ident in self._ignored:
                continue
            if inspect_all or known is None or known.status != status:
                self._stale.add(ident)
        self._inspect_stale()

    def _forget(self, ident: str) -> None:
        self._states.pop(ident, None)
        self._previous.pop(ident, None)
        self._reader.forget(ident)

    def _inspect_one(self, ident: str) -> tuple[str, dict[str, Any] | None]:
        import docker.errors

        try:
            data: dict[str, Any] = self.client.api.inspect_container(ident)
        except docker.errors.NotFound:
            return ident, None  # removed between the event (or the list) and the inspect
        return ident, data

    def _inspect_stale(self) -> None:
        import docker.errors

        stale, self._stale = sorted(self._stale), set()
        try:
            inspected = list(self._pool.map(self._inspect_one, stale))
        except docker.errors.DockerException as err:
            raise EngineError(f"the engine did not inspect the containers of {self.project}: {err}") from None
        for ident, data in inspected:
            labels = ((data or {}).get("Config") or {}).get("Labels") or {}
            if data is None:
                self._forget(ident)
            elif labels.get(PROJECT_LABEL) != self.project or is_oneoff(data):
                self._ignored.add(ident)
            else:
                state = container_state(data)
                before = self._states.get(ident)
                if before is not None and before.pid != state.pid:
                    self._reader.forget(ident)  # restarted: a new init process
                self._states[ident] = state

    def _read(self, container: ContainerState) -> tuple[ContainerState, Reading | None, float]:
        """One reading through the Engine API's stats (where the cgroup fs cannot be read)."""
        import docker.errors

        try:
            data: Mapping[str, Any] = self.client.api.stats(container.id, stream=False, one_shot=True)
        except docker.errors.NotFound:
            return container, None, self.now()
        except ValueError:  # an empty body: the container stopped or was removed during the read
            return container, None, self.now()
        reading = from_stats(data)
        if reading.running and reading.max_usage is None:  # cgroup v2: the cgroup fs, where it is ours to read
            mark = self._peaks.peak(container.id, container.pid)
            if mark is not None:
                reading = replace(reading, max_usage=mark[0], max_usage_from=mark[1])
        return container, reading, self.now()

    def _sample(
        self, container: ContainerState, reading: Reading, t: float, tmpfs: tuple[tuple[str, int], ...] = ()
    ) -> Sample | None:
        before = self._previous.get(container.id)
        self._previous[container.id] = reading
        if reading.memory_usage is None or reading.working_set is None:
            return None
        high_water = high_water_working_set(reading.max_usage, reading)
        return Sample(
            t=t,
            container=container.name,
            service=container.service,
            working_set=reading.working_set,
            usage=reading.memory_usage,
            limit=container.memory_limit,
            cpu=cpu_cores(before, reading) if before is not None else None,
            pids=reading.pids,
            throttled=throttled(before, reading) if before is not None else None,
            high_water=high_water,
            high_water_from="" if high_water is None else reading.max_usage_from,
            oom_kills=reading.oom_kills,
            shmem=reading.shmem,
            tmpfs=tmpfs,
        )

    def _events(self) -> list[dict[str, Any]]:
        """The project's container events since the last call, each once, oldest first."""
        import docker.errors

        until = time.time()
        try:
            # the Engine takes fractional timestamps (as the docker CLI sends them); the SDK's
            # types say whole seconds, which would miss the events of the last second
            events = self.client.events(  # type: ignore[call-overload]
                since=f"{self._events_since:.9f}",
                until=f"{until:.9f}",
                filters={"type": "container", "event": list(CHANGES), "label": f"{PROJECT_LABEL}={self.project}"},
                decode=True,
            )
            found = list(events)
        except docker.errors.DockerException as err:
            raise EngineError(f"the engine did not give the events of {self.project}: {err}") from None
        # the next window overlaps this one by two seconds: events are deduplicated below, and
        # one that the engine writes a moment late is not lost
        self._events_since = until - 2.0
        self._seen_events = {k: at for k, at in self._seen_events.items() if at >= self._events_since - 1.0}
        out: list[dict[str, Any]] = []
        for event in found:
            ident = str(event.get("id") or (event.get("Actor") or {}).get("ID") or "")
            nano = int(event.get("timeNano") or int(event.get("time") or 0) * 10**9)
            key = (ident, nano, str(event.get("Action") or event.get("status") or ""))
            if key in self._seen_events:
                continue
            self._seen_events[key] = nano / 1e9
            out.append(event)
        return out

    def _follow(self, events: Sequence[Mapping[str, Any]]) -> list[OomEvent]:
        """Mark the containers the events name for inspection; the oom events, as found."""
        ooms: list[OomEvent] = []
        for event in events:
            ident = str(event.get("id") or (event.get("Actor") or {}).get("ID") or "")
            action = str(event.get("Action") or event.get("status") or "")
            if action == "destroy":
                self._forget(ident)
                self._stale.discard(ident)
                continue
            if ident not in self._ignored:
                self._stale.add(ident)
            if action == "oom":
                nano = int(event.get("timeNano") or int(event.get("time") or 0) * 10**9)
                attributes = (event.get("Actor") or {}).get("Attributes") or {}
                state = self._states.get(ident)
                ooms.append(
                    OomEvent(
                        t=nano / 1e9 - self.started_wall,
                        container=state.name if state else str(attributes.get("name", ident[:12])),
                        service=state.service if state else str(attributes.get(SERVICE_LABEL, "")),
                    )
                )
        return ooms

    def tick(self) -> Tick:
        """Bring the containers up to date, read the running ones, report the oom events."""
        import requests.exceptions

        try:
            return self._tick()
        except requests.exceptions.RequestException as err:  # the SDK lets a lost connection through
            raise EngineError(f"lost the engine while sampling {self.project}: {err}") from None

    def _tick(self) -> Tick:
        import docker.errors

        t = self.now()
        if self._listed_at is None or t - self._listed_at >= RESYNC:
            self._resync()
        ooms = self._follow(self._events())
        self._inspect_stale()
        states = self._sorted()
        samples: list[Sample] = []
        through_api: list[ContainerState] = []
        at = self.now()
        for container in states:
            if not container.running:
                continue
            found = self._reader.locate(container.id, container.pid)
            if found is None:
                through_api.append(container)
                continue
            reading = read(found)
            used = tmpfs_used(self._reader.proc, container.pid, container.tmpfs_targets) if container.pid else ()
            sample = self._sample(container, reading, at, used) if reading is not None else None
            if sample is not None:
                samples.append(sample)
        try:
            for container, api_reading, read_at in self._pool.map(self._read, through_api):
                if api_reading is not None:
                    sample = self._sample(container, api_reading, read_at)
                    if sample is not None:
                        samples.append(sample)
        except docker.errors.DockerException as err:
            raise EngineError(f"the engine did not give the stats of {self.project}: {err}") from None
        gpu = self.gpu.read([c.id for c in states if c.running]) if self.gpu is not None else None
        cost = self.now() - t
        self._costs.append(cost)
        self._first = t if self._first is None else self._first
        self._last = t
        self._ticks += 1
        fs = sum(1 for c in states if c.running) - len(through_api)
        return Tick(t, tuple(states), tuple(samples), tuple(ooms), cost, fs, len(through_api), gpu)

    def source(self, tick: Tick | None = None) -> str:
        """Where the readings came from, in words."""
        if tick is None or not (tick.from_cgroup_fs or tick.from_engine_api):
            return "no running container read yet"
        parts = []
        if tick.from_cgroup_fs:
            parts.append(f"{tick.from_cgroup_fs} from the cgroup fs")
        if tick.from_engine_api:
            parts.append(f"{tick.from_engine_api} through the Engine API's stats, {MAX_WORKERS} at once")
        return ", ".join(parts)
