"""The measurements file (`composegen calibrate -o FILE`, `composegen stress -o FILE`): one typed
declaration of what it holds, which calibrate writes (`composegen.engine.measurements`) and
render reads (`composegen.sizing.measured`).

Each record is a frozen dataclass with `to_json()`, the file's JSON in the order written, and
`from_json()`, which reads as leniently as composegen always has: a value that is missing or of
the wrong kind reads as absent (None, 0, "" or empty), so that files written by an earlier
composegen read as they did. Version 1 files have no `memory_high_water` and no `oom.earlier`;
version 2 added both (a reader of version 1 would size below them, so it refuses version 2).
The `stress` block (`composegen stress`) is kept as the JSON it is; `sizing.measured` reads the
part of it that sizing uses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

T = TypeVar("T")

SCHEMA = "composegen-measurements"
#: 2: `memory_high_water` per service and `oom.earlier` (a reader of version 1 would size below
#: both, so it refuses the file rather than ignore them); version 1 files read as before.
#: `gpu_memory` per service (its peak bytes on one GPU, and per GPU, read through NVML), `gpus` and
#: `gpu_note` came later within version 2: no memory limit is sized from them, so a reader that
#: ignores them sizes nothing below what they say. `memory_tmpfs` per service (what each tmpfs held,
#: by its target) came later within version 2 too: a reader without it takes the tmpfs use out of
#: shmem less the plan's other shared memory at its full size, which is never more than the tmpfs
#: held, so it sizes above what `memory_tmpfs` gives, never below.
SCHEMA_VERSION = 2

Json = dict[str, Any]


@dataclass(frozen=True)
class Record:
    """A part of the file: `to_json()` is its fields in the order declared, records and tuples
    within as JSON too."""

    def to_json(self) -> Json:
        return {f.name: _json(getattr(self, f.name)) for f in fields(self)}


def _json(value: object) -> Any:
    if isinstance(value, Record):
        return value.to_json()
    if isinstance(value, tuple):
        return [_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    return value


def number(value: object) -> float | None:
    """A JSON number as a float; None for anything else (true and false are no numbers)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _count(value: object) -> int:
    return int(number(value) or 0)


def _text(value: object) -> str:
    return str(value or "")


def _texts(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _numbers(value: object) -> tuple[float | None, ...]:
    return tuple(number(v) for v in value) if isinstance(value, list) else ()


def _records(value: object, read: Callable[[Mapping[str, Any]], T]) -> tuple[T, ...]:
    """Each mapping of a JSON list, read (anything else in it is skipped)."""
    return tuple(read(v) for v in value if isinstance(v, Mapping)) if isinstance(value, list) else ()


def _optional(value: object, read: Callable[[Mapping[str, Any]], T]) -> T | None:
    return read(value) if isinstance(value, Mapping) else None


@dataclass(frozen=True)
class Stats(Record):
    """The distribution of one series: how many values, p50, p90, p95 and the peak."""

    count: int
    p50: float | None
    p90: float | None
    p95: float | None
    peak: float | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Stats:
        return cls(_count(data.get("count")), *(number(data.get(k)) for k in ("p50", "p90", "p95", "peak")))


@dataclass(frozen=True)
class LeakVerdict(Record):
    """The leak verdict of one container's working set (`composegen.engine.statistics.Leak`), with
    the fitted line; `container` names it in a service's summary."""

    leak: bool
    reason: str
    slope_bytes_per_second: float | None = None
    slope_ci: tuple[float, float] | None = None
    confidence: float | None = None
    fit_samples: int = 0
    fit_from: float | None = None
    fit_to: float | None = None
    intercept: float | None = None
    autocorrelation: float | None = None
    limit: float | None = None
    time_to_limit_seconds: float | None = None
    horizon_seconds: float | None = None
    container: str | None = None

    def to_json(self) -> Json:
        """The fields, `container` first, and only where there is one (a series' verdict has none)."""
        verdict = super().to_json()
        container = verdict.pop("container")
        return verdict if container is None else {"container": container, **verdict}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LeakVerdict:
        low, high = (*_numbers(data.get("slope_ci")), None, None)[:2]
        low_high = (low, high) if low is not None and high is not None else None
        return cls(
            leak=bool(data.get("leak")),
            reason=_text(data.get("reason")),
            slope_bytes_per_second=number(data.get("slope_bytes_per_second")),
            slope_ci=low_high,
            confidence=number(data.get("confidence")),
            fit_samples=_count(data.get("fit_samples")),
            fit_from=number(data.get("fit_from")),
            fit_to=number(data.get("fit_to")),
            intercept=number(data.get("intercept")),
            autocorrelation=number(data.get("autocorrelation")),
            limit=number(data.get("limit")),
            time_to_limit_seconds=number(data.get("time_to_limit_seconds")),
            horizon_seconds=number(data.get("horizon_seconds")),
            container=str(data["container"]) if data.get("container") is not None else None,
        )


@dataclass(frozen=True)
class CooldownVerdict(Record):
    """What the cooldown phase gave back (`composegen.engine.statistics.Cooldown`) of one container."""

    container: str
    start: float | None
    peak: float | None
    end: float | None
    released: float | None
    retained_fraction: float | None
    verdict: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CooldownVerdict:
        return cls(
            container=_text(data.get("container")),
            start=number(data.get("start")),
            peak=number(data.get("peak")),
            end=number(data.get("end")),
            released=number(data.get("released")),
            retained_fraction=number(data.get("retained_fraction")),
            verdict=_text(data.get("verdict")),
        )


@dataclass(frozen=True)
class HighWater(Record):
    """The highest the cgroup's usage got (less inactive file cache), and what it was read from."""

    bytes: float | None
    read_from: tuple[str, ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HighWater:
        return cls(number(data.get("bytes")), _texts(data.get("read_from")))


@dataclass(frozen=True)
class SharedMemory(Record):
    """tmpfs and shared memory pages (memory.stat shmem): at the peak sample, and the most seen."""

    at_peak: float | None
    peak: float | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SharedMemory:
        return cls(number(data.get("at_peak")), number(data.get("peak")))


@dataclass(frozen=True)
class TmpfsUse(Record):
    """What one tmpfs held (statvfs of the mount, read through the container's root:
    composegen.engine.mounts): at the peak sample, and the most of any sample (bytes)."""

    at_peak: float | None
    peak: float | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TmpfsUse:
        return cls(number(data.get("at_peak")), number(data.get("peak")))


@dataclass(frozen=True)
class PlannedLimits(Record):
    """What the plan gave the service (bytes, cores; VRAM per GPU where it runs on GPUs)."""

    memory_limit: float | None
    memory_reservation: float | None
    cpus: float | None
    vram_per_gpu: float | None = None

    def to_json(self) -> Json:
        """The fields; `vram_per_gpu` only where the plan has one."""
        planned = super().to_json()
        if self.vram_per_gpu is None:
            del planned["vram_per_gpu"]
        return planned

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlannedLimits:
        return cls(*(number(data.get(k)) for k in ("memory_limit", "memory_reservation", "cpus", "vram_per_gpu")))


@dataclass(frozen=True)
class EarlierKill(Record):
    """An OOM kill an earlier calibrate run of the same stack saw: the limit it killed at."""

    limit: int  # bytes
    created: str  # when that run's file was written (ISO 8601)
    file: str  # that file's name

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EarlierKill | None:
        """The kill, or None where it names no positive whole limit."""
        limit = data.get("limit")
        if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
            return None
        return cls(limit, _text(data.get("created")), _text(data.get("file")))


@dataclass(frozen=True)
class OomRecord(Record):
    """The OOM kills of one service in this run, and those of earlier runs carried into it."""

    events: int = 0
    event_times: tuple[float | None, ...] = ()
    killed: bool = False
    containers: tuple[str, ...] = ()
    limit_at_kill: float | None = None
    restarts: int = 0
    earlier: tuple[EarlierKill, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OomRecord:
        return cls(
            events=_count(data.get("events")),
            event_times=_numbers(data.get("event_times")),
            killed=bool(data.get("killed")),
            containers=_texts(data.get("containers")),
            limit_at_kill=number(data.get("limit_at_kill")),
            restarts=_count(data.get("restarts")),
            earlier=tuple(k for k in _records(data.get("earlier"), EarlierKill.from_json) if k is not None),
        )


@dataclass(frozen=True)
class GpuMemory(Record):
    """A service's GPU memory (NVML): the most one of its containers held on one GPU, and per GPU
    (by index, as text; None where it was not read)."""

    peak: float | None
    per_gpu: Mapping[str, float | None]
    read_from: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GpuMemory:
        per_gpu = {str(k): number(v) for k, v in mapping(data.get("per_gpu")).items()}
        return cls(number(data.get("peak")), per_gpu, _text(data.get("read_from")))


@dataclass(frozen=True)
class GpuDevice(Record):
    """A GPU of the machine the run read."""

    index: int
    name: str
    total: float | None  # bytes

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GpuDevice:
        return cls(_count(data.get("index")), _text(data.get("name")), number(data.get("total")))


@dataclass(frozen=True)
class ContainerEnd(Record):
    """How a container was when the run last saw it."""

    status: str
    exit_code: int | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ContainerEnd:
        code = number(data.get("exit_code"))
        return cls(_text(data.get("status")), int(code) if code is not None else None)


@dataclass(frozen=True)
class Series(Record):
    """The raw samples of one container, in time order (each list one value a sample)."""

    container: str
    t: tuple[float | None, ...]
    phase: tuple[str, ...]
    working_set: tuple[float | None, ...]
    usage: tuple[float | None, ...]
    limit: tuple[float | None, ...]
    cpu: tuple[float | None, ...]
    pids: tuple[float | None, ...]
    throttled: tuple[float | None, ...]
    high_water: tuple[float | None, ...]
    leak: LeakVerdict | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Series:
        return cls(
            container=_text(data.get("container")),
            t=_numbers(data.get("t")),
            phase=_texts(data.get("phase")),
            working_set=_numbers(data.get("working_set")),
            usage=_numbers(data.get("usage")),
            limit=_numbers(data.get("limit")),
            cpu=_numbers(data.get("cpu")),
            pids=_numbers(data.get("pids")),
            throttled=_numbers(data.get("throttled")),
            high_water=_numbers(data.get("high_water")),
            leak=_optional(data.get("leak"), LeakVerdict.from_json),
        )


@dataclass(frozen=True)
class ServiceRecord(Record):
    """One service's measurements: the summaries sizing reads, and the raw series."""

    containers: tuple[str, ...] = ()
    samples: int = 0
    limit: float | None = None  # the memory limit it ran under (bytes)
    reservation: float | None = None
    cpus_limit: float | None = None
    planned: PlannedLimits | None = None
    memory: Stats | None = None  # working set (bytes)
    memory_high_water: HighWater | None = None  # version 2
    memory_shmem: SharedMemory | None = None
    memory_tmpfs: Mapping[str, TmpfsUse] = field(default_factory=dict)  # by mount target; {}: not read
    cpu: Stats | None = None  # cores
    pids_peak: float | None = None
    throttled_p95: float | None = None
    leak: LeakVerdict | None = None  # of the container that leaks soonest (else the first)
    cooldown: CooldownVerdict | None = None  # of the container that retained the most
    oom: OomRecord = OomRecord()
    gpu_memory: GpuMemory | None = None
    state: Mapping[str, ContainerEnd] = field(default_factory=dict)  # by container
    series: tuple[Series, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ServiceRecord:
        return cls(
            containers=_texts(data.get("containers")),
            samples=_count(data.get("samples")),
            limit=number(data.get("limit")),
            reservation=number(data.get("reservation")),
            cpus_limit=number(data.get("cpus_limit")),
            planned=_optional(data.get("planned"), PlannedLimits.from_json),
            memory=_optional(data.get("memory"), Stats.from_json),
            memory_high_water=_optional(data.get("memory_high_water"), HighWater.from_json),
            memory_shmem=_optional(data.get("memory_shmem"), SharedMemory.from_json),
            memory_tmpfs={
                str(k): TmpfsUse.from_json(v)
                for k, v in mapping(data.get("memory_tmpfs")).items()
                if isinstance(v, Mapping)
            },
            cpu=_optional(data.get("cpu"), Stats.from_json),
            pids_peak=number(data.get("pids_peak")),
            throttled_p95=number(data.get("throttled_p95")),
            leak=_optional(data.get("leak"), LeakVerdict.from_json),
            cooldown=_optional(data.get("cooldown"), CooldownVerdict.from_json),
            oom=OomRecord.from_json(mapping(data.get("oom"))),
            gpu_memory=_optional(data.get("gpu_memory"), GpuMemory.from_json),
            state={str(k): ContainerEnd.from_json(mapping(v)) for k, v in mapping(data.get("state")).items()},
            series=_records(data.get("series"), Series.from_json),
        )


@dataclass(frozen=True)
class PhaseRecord(Record):
    name: str  # active, drain, cooldown
    interval: float
    start: float  # seconds since the run started
    end: float
    ticks: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PhaseRecord:
        return cls(
            name=_text(data.get("name")),
            interval=number(data.get("interval")) or 0.0,
            start=number(data.get("start")) or 0.0,
            end=number(data.get("end")) or 0.0,
            ticks=_count(data.get("ticks")),
        )


@dataclass(frozen=True)
class CommandRun(Record):
    """The command a run measured under (its argv masked), and how it ended."""

    argv: tuple[str, ...]
    exit_code: int | None  # None: it did not end (stopped, or the run was interrupted)
    seconds: float
    stopped: str | None = None  # why composegen ended it, when it did

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CommandRun:
        code = number(data.get("exit_code"))
        stopped = data.get("stopped")
        return cls(
            _texts(data.get("argv")),
            int(code) if code is not None else None,
            number(data.get("seconds")) or 0.0,
            str(stopped) if stopped else None,
        )


@dataclass(frozen=True)
class RunRecord(Record):
    """How the run went: when, how long, its phases and command, and the statistics' settings."""

    started: str = ""
    seconds: float = 0.0
    interval: float | None = None
    ticks: int = 0
    phases: tuple[PhaseRecord, ...] = ()
    command: CommandRun | None = None
    leak_horizon_seconds: float | None = None
    confidence: float | None = None
    warmup_fraction: float | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunRecord:
        return cls(
            started=_text(data.get("started")),
            seconds=number(data.get("seconds")) or 0.0,
            interval=number(data.get("interval")),
            ticks=_count(data.get("ticks")),
            phases=_records(data.get("phases"), PhaseRecord.from_json),
            command=_optional(data.get("command"), CommandRun.from_json),
            leak_horizon_seconds=number(data.get("leak_horizon_seconds")),
            confidence=number(data.get("confidence")),
            warmup_fraction=number(data.get("warmup_fraction")),
        )


@dataclass(frozen=True)
class MeasurementsFile(Record):
    """A whole measurements file."""

    composegen: str  # the version that wrote it
    created: str  # ISO 8601, UTC
    partial: bool  # the run was interrupted or failed: `partial_reason` says why
    partial_reason: str | None
    profile: str
    root: str  # the stack: its folder, compose files and project name
    compose_files: tuple[str, ...]
    project: str
    engine_version: str
    engine_api_version: str
    run: RunRecord
    services: Mapping[str, ServiceRecord]
    gpus: tuple[GpuDevice, ...] = ()  # the GPUs read (none: no GPU memory was read)
    gpu_note: str | None = None  # why GPU memory was not read, where that matters
    stress: Mapping[str, Any] | None = None  # `composegen stress`'s block, as written
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> Json:
        return {
            "schema": SCHEMA,
            "schema_version": self.schema_version,
            "composegen": self.composegen,
            "created": self.created,
            "partial": self.partial,
            "partial_reason": self.partial_reason,
            "profile": self.profile,
            "stack": {"root": self.root, "compose_files": list(self.compose_files), "project": self.project},
            "engine": {"version": self.engine_version, "api_version": self.engine_api_version},
            "run": self.run.to_json(),
            "gpus": [d.to_json() for d in self.gpus] or None,
            "gpu_note": self.gpu_note,
            "services": {name: s.to_json() for name, s in self.services.items()},
            **({"stress": dict(self.stress)} if self.stress is not None else {}),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MeasurementsFile:
        """A file's JSON, read leniently (the caller checks `schema` and `schema_version` first:
        `is_measurements`, `sizing.measured.parse_measurements`)."""
        stack, engine = mapping(data.get("stack")), mapping(data.get("engine"))
        reason = data.get("partial_reason")
        stress, note = data.get("stress"), data.get("gpu_note")
        version = data.get("schema_version")
        return cls(
            composegen=_text(data.get("composegen")),
            created=_text(data.get("created")),
            partial=bool(data.get("partial")),
            partial_reason=str(reason) if reason else None,
            profile=_text(data.get("profile")),
            root=str(stack.get("root")),
            compose_files=_texts(stack.get("compose_files")),
            project=_text(stack.get("project")),
            engine_version=_text(engine.get("version")),
            engine_api_version=_text(engine.get("api_version")),
            run=RunRecord.from_json(mapping(data.get("run"))),
            gpus=_records(data.get("gpus"), GpuDevice.from_json),
            gpu_note=str(note) if note else None,
            services={str(k): ServiceRecord.from_json(mapping(v)) for k, v in mapping(data.get("services")).items()},
            stress=stress if isinstance(stress, Mapping) else None,
            schema_version=version if isinstance(version, int) and not isinstance(version, bool) else 0,
        )


def is_measurements(data: object) -> bool:
    """Whether parsed JSON is a measurements file (of any version)."""
    return isinstance(data, Mapping) and data.get("schema") == SCHEMA
