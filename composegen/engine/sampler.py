"""Sampling a compose project's containers through the Engine API: what calibrate and watch read.

Each `tick()` lists the project's containers by its label (never another project's), inspects
them (limits, state, OOMKilled, restart count), reads the stats of the running ones in parallel
(`stream=false, one-shot=true`: one reading each, at the daemon's next collection, which it makes
once a second) and polls the `oom` events of the project since the last tick.

Each sample carries the cgroup's memory high-water mark beside the usage: a spike shorter than the
interval between two ticks is in the mark and in no sample. It comes from the stats
(`memory_stats.max_usage`, cgroup v1), else from the cgroup fs (`memory.peak`, cgroup v2) where this
machine can read it (composegen.engine.highwater); elsewhere the sample has none.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from types import TracebackType
from typing import TYPE_CHECKING, Any

from composegen.engine.applied import PROJECT_LABEL, SERVICE_LABEL, from_inspect
from composegen.engine.client import EngineError, project_containers
from composegen.engine.highwater import CgroupPeaks
from composegen.engine.stats import Reading, cpu_cores, from_stats, high_water_working_set, throttled

if TYPE_CHECKING:
    from docker import DockerClient

#: Threads reading stats at once.
MAX_WORKERS = 16


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


class Sampler:
    """Reads project `project` at each `tick()`. Use as a context manager (it owns a thread pool)."""

    def __init__(self, client: DockerClient, project: str) -> None:
        self.client = client
        self.project = project
        self.started_wall = time.time()
        self.started = time.monotonic()
        self._previous: dict[str, Reading] = {}
        self._seen_events: set[tuple[str, int]] = set()
        self._events_since = self.started_wall - 1.0
        self._pool = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="composegen-stats")
        self._peaks = CgroupPeaks()

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

    def containers(self) -> list[ContainerState]:
        return [container_state(d) for d in project_containers(self.client, self.project)]

    def _read(self, container: ContainerState) -> tuple[ContainerState, Reading | None, float]:
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

    def _sample(self, container: ContainerState, reading: Reading, t: float) -> Sample | None:
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
        )

    def oom_events(self, names: Mapping[str, ContainerState]) -> list[OomEvent]:
        """The project's `oom` events since the last call (each reported once)."""
        import docker.errors

        until = time.time()
        try:
            # the Engine takes fractional timestamps (as the docker CLI sends them); the SDK's
            # types say whole seconds, which would miss the events of the last second
            events = self.client.events(  # type: ignore[call-overload]
                since=f"{self._events_since:.9f}",
                until=f"{until:.9f}",
                filters={"type": "container", "event": "oom", "label": f"{PROJECT_LABEL}={self.project}"},
                decode=True,
            )
            found = list(events)
        except docker.errors.DockerException as err:
            raise EngineError(f"the engine did not give the oom events of {self.project}: {err}") from None
        # the next window overlaps this one by two seconds: events are deduplicated below, and
        # one that the engine writes a moment late is not lost
        self._events_since = until - 2.0
        out: list[OomEvent] = []
        for event in found:
            ident = str(event.get("id") or (event.get("Actor") or {}).get("ID") or "")
            nano = int(event.get("timeNano") or int(event.get("time") or 0) * 10**9)
            if (ident, nano) in self._seen_events:
                continue
            self._seen_events.add((ident, nano))
            attributes = (event.get("Actor") or {}).get("Attributes") or {}
            state = names.get(ident)
            out.append(
                OomEvent(
                    t=nano / 1e9 - self.started_wall,
                    container=state.name if state else str(attributes.get("name", ident[:12])),
                    service=state.service if state else str(attributes.get(SERVICE_LABEL, "")),
                )
            )
        return out

    def tick(self) -> Tick:
        """Inspect every container of the project, read the running ones, poll the oom events."""
        import requests.exceptions

        try:
            return self._tick()
        except requests.exceptions.RequestException as err:  # the SDK lets a lost connection through
            raise EngineError(f"lost the engine while sampling {self.project}: {err}") from None

    def _tick(self) -> Tick:
        import docker.errors

        t = self.now()
        states = self.containers()
        running = [c for c in states if c.running]
        samples: list[Sample] = []
        try:
            for container, reading, at in self._pool.map(self._read, running):
                if reading is not None:
                    sample = self._sample(container, reading, at)
                    if sample is not None:
                        samples.append(sample)
        except docker.errors.DockerException as err:
            raise EngineError(f"the engine did not give the stats of {self.project}: {err}") from None
        ooms = self.oom_events({c.id: c for c in states})
        return Tick(t, tuple(states), tuple(samples), tuple(ooms))


def by_service(states: Sequence[ContainerState]) -> dict[str, list[ContainerState]]:
    out: dict[str, list[ContainerState]] = {}
    for state in states:
        out.setdefault(state.service, []).append(state)
    return out
