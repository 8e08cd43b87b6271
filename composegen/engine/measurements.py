"""What calibrate measured, as the versioned JSON measurements file that `render --measurements` reads.

`Recorder` collects ticks as they come; `document()` turns them, at any moment, into the file's
content: per service the summaries (memory working set and CPU percentiles, the cgroup's
high-water mark, peak pids, the leak verdict, what cooldown released, OOM kills, and the OOM kills
of earlier runs carried from the file this one replaces) and the raw samples they were computed
from. A run that was interrupted or failed is written the same way, with `partial: true` and the
reason.
The format is declared once, in `composegen.sizing.measurements_file` (`MeasurementsFile`, schema
version `SCHEMA_VERSION`): this module builds those records and writes their JSON;
`composegen.sizing.measured` reads the same records back.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from composegen import __version__
from composegen.engine.client import EngineError
from composegen.engine.compare import EngineInfo
from composegen.engine.gpu import Device, by_name, planned_vram, raise_peaks
from composegen.engine.sampler import ContainerState, OomEvent, Sample, Tick
from composegen.engine.statistics import (
    CONFIDENCE,
    LEAK_HORIZON,
    WARMUP_FRACTION,
    Leak,
    cooldown_verdict,
    fit_window,
    leak_verdict,
    summarize,
)
from composegen.errors import InputError
from composegen.masking import mask_argv
from composegen.sizing.measurements_file import (
    CommandRun,
    ContainerEnd,
    EarlierKill,
    GpuDevice,
    GpuMemory,
    HighWater,
    MeasurementsFile,
    OomRecord,
    PhaseRecord,
    PlannedLimits,
    RunRecord,
    ServiceRecord,
    SharedMemory,
    TmpfsUse,
    is_measurements,
)
from composegen.sizing.measurements_file import Series as SeriesRecord
from composegen.sizing.model import StackPlan
from composegen.units import human_bytes

if TYPE_CHECKING:
    from docker import DockerClient

    from composegen.render.overlay import Planned


class MeasuringRun(NamedTuple):
    output: Path  # the measurements file, absolute
    client: DockerClient
    engine: EngineInfo
    planned: Planned  # planned for the engine's Docker version
    inputs: list[Path]  # the stack's own files: never written over


def start_measuring(profile: str, project: Path | None, cwd: Path, output: Path) -> MeasuringRun:
    """The first steps of a run that writes a measurements file (calibrate, stress): the output,
    refused if it is one of the stack's own files (before the engine: a run never writes over what
    it reads); then the engine, and the stack planned for its Docker version."""
    from composegen.engine.client import connect, engine_info
    from composegen.render.overlay import plan, read_files
    from composegen.writer import refuse_an_input

    output = output if output.is_absolute() else cwd / output
    inputs = read_files(plan(profile, project, cwd))
    refuse_an_input(output, inputs)
    client = connect()
    engine = engine_info(client)
    return MeasuringRun(output, client, engine, plan(profile, project, cwd, docker_version=engine.version), inputs)


@dataclass(frozen=True)
class CommandRecord:
    argv: tuple[str, ...]
    exit_code: int | None  # None: it did not end (stopped, or the run was interrupted)
    seconds: float
    stopped: str = ""  # why composegen ended it, when it did


#: Earlier kills kept per service: the highest limits (sizing uses the highest one).
EARLIER_KEPT = 10


def carried_kills(text: str, where: Path, root: Path) -> tuple[dict[str, list[EarlierKill]], str]:
    """The OOM kills a measurements file (its own and those it carried) holds per service, to carry
    into the next run of the stack at `root`, and a line saying what was carried. ValueError when
    the text is no measurements file of that stack.

    A kill is a fact about the service at that limit however long ago it was seen: usage-history
    recommenders keep it too (VPA records the OOM bump as a peak in its history; KRR sizes at
    least 1.25 × the OOMKilled limit; facts/sizing.md §Recommenders)."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise ValueError(f"{where.name} is not JSON") from None
    if not is_measurements(data):
        raise ValueError(f"{where.name} is not a composegen measurements file")
    read = MeasurementsFile.from_json(data)
    if read.root != str(root):
        raise ValueError(f"{where.name} measured another stack ({read.root})")
    found: dict[str, list[EarlierKill]] = {}
    for service, entry in read.services.items():
        oom = entry.oom
        kills = list(oom.earlier)
        limit = oom.limit_at_kill
        if oom.killed and limit is not None and limit > 0 and limit == int(limit):
            kills.append(EarlierKill(int(limit), read.created, where.name))
        by_limit: dict[int, EarlierKill] = {}
        for kill in kills:
            by_limit.setdefault(kill.limit, kill)  # the first run that saw a kill at that limit
        if by_limit:
            found[str(service)] = sorted(by_limit.values(), key=lambda k: -k.limit)[:EARLIER_KEPT]
    if not found:
        return {}, f"{where.name} saw no OOM kills: none carried"
    listed = ", ".join(f"{s} at {', '.join(human_bytes(k.limit) for k in ks)}" for s, ks in sorted(found.items()))
    return found, f"carried OOM kills of earlier runs from {where.name}: {listed} (--fresh forgets them)"


@dataclass
class Series:
    """The samples of one container, in time order, with the phase of each."""

    container: str
    service: str
    samples: list[Sample] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)

    def values(self, phases: Sequence[str] | None = None) -> tuple[list[float], list[float]]:
        """(t, working set) of the samples in `phases` (all when None)."""
        picked = [(s.t, float(s.working_set)) for s, p in zip(self.samples, self.phases, strict=True)]
        if phases is not None:
            picked = [v for v, p in zip(picked, self.phases, strict=True) if p in phases]
        return [t for t, _ in picked], [w for _, w in picked]


@dataclass
class Recorder:
    """Everything a calibrate run saw, tick by tick."""

    horizon: float = LEAK_HORIZON
    confidence: float = CONFIDENCE
    warmup_fraction: float = WARMUP_FRACTION
    series: dict[str, Series] = field(default_factory=dict)
    states: dict[str, ContainerState] = field(default_factory=dict)  # the last state of each container
    first_restarts: dict[str, int] = field(default_factory=dict)
    oom_killed: set[str] = field(default_factory=set)  # containers seen with State.OOMKilled
    limit_at_kill: dict[str, int] = field(default_factory=dict)
    earlier: dict[str, list[EarlierKill]] = field(default_factory=dict)  # by service: kills of earlier runs
    ooms: list[OomEvent] = field(default_factory=list)
    phases: list[PhaseRecord] = field(default_factory=list)
    ticks: int = 0
    gpu_peaks: dict[str, dict[int, int | None]] = field(default_factory=dict)  # container -> GPU -> bytes
    gpu_devices: dict[int, Device] = field(default_factory=dict)  # the GPUs as last read
    gpu_ticks: int = 0  # ticks with a GPU reading
    gpu_note: str = ""  # why GPU memory was not read (composegen.engine.gpu), "" when it was

    def add(self, tick: Tick, phase: str) -> None:
        self.ticks += 1
        if tick.gpu is not None:
            self.gpu_ticks += 1
            self.gpu_devices.update((d.index, d) for d in tick.gpu.devices)
            names = {state.id: state.name for state in tick.containers}
            for name, used in by_name(tick.gpu, names).items():
                raise_peaks(self.gpu_peaks.setdefault(name, {}), used)
        for state in tick.containers:
            self.states[state.name] = state
            self.first_restarts.setdefault(state.name, state.restart_count)
            if state.oom_killed and state.name not in self.oom_killed:
                self.oom_killed.add(state.name)
                if state.memory_limit:
                    self.limit_at_kill.setdefault(state.name, state.memory_limit)
        for sample in tick.samples:
            series = self.series.setdefault(sample.container, Series(sample.container, sample.service))
            series.samples.append(sample)
            series.phases.append(phase)
        for event in tick.ooms:
            self.ooms.append(event)
            killed = self.states.get(event.container)
            if killed is not None and killed.memory_limit:
                self.limit_at_kill.setdefault(event.container, killed.memory_limit)

    def services(self) -> list[str]:
        names = {s.service for s in self.states.values()} | {s.service for s in self.series.values()}
        return sorted(n for n in names if n)

    def containers_of(self, service: str) -> list[str]:
        names = {s.name for s in self.states.values() if s.service == service}
        names |= {s.container for s in self.series.values() if s.service == service}
        return sorted(names)

    def leak(self, series: Series) -> Leak:
        ts, ws = series.values(["active"])
        start = fit_window(ts, self.warmup_fraction)
        state = self.states.get(series.container)
        limit = state.memory_limit if state is not None else None
        if limit is None and series.samples:
            limit = series.samples[-1].limit
        return leak_verdict(ts[start:], ws[start:], limit, horizon=self.horizon, confidence=self.confidence)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _planned(stack: StackPlan | None, service: str) -> PlannedLimits | None:
    plan = stack.service(service) if stack is not None else None
    if plan is None:
        return None
    vram = planned_vram(plan)
    return PlannedLimits(
        memory_limit=plan.memory_limit.value,
        memory_reservation=plan.memory_reservation.value if plan.memory_reservation else None,
        cpus=plan.cpus.value if plan.cpus else None,
        vram_per_gpu=round(vram) if vram is not None else None,
    )


def gpu_summary(recorder: Recorder, containers: Sequence[str]) -> GpuMemory | None:
    """A service's peak GPU memory: the most any of its containers held on one GPU, and per GPU
    (None where no container of it held memory on a GPU, or GPU memory was not read)."""
    per_gpu: dict[int, int | None] = {}
    for name in containers:
        for index, used in recorder.gpu_peaks.get(name, {}).items():
            if used is None:
                per_gpu.setdefault(index, None)
            else:
                per_gpu[index] = max(per_gpu.get(index) or 0, used)
    if not per_gpu:
        return None
    known = [b for b in per_gpu.values() if b is not None]
    return GpuMemory(
        peak=max(known) if known else None,
        per_gpu={str(g): per_gpu[g] for g in sorted(per_gpu)},
        read_from="nvml",
    )


def _series_record(series: Series, leak: Leak) -> SeriesRecord:
    s = series.samples
    return SeriesRecord(
        container=series.container,
        t=tuple(round(x.t, 3) for x in s),
        phase=tuple(series.phases),
        working_set=tuple(x.working_set for x in s),
        usage=tuple(x.usage for x in s),
        limit=tuple(x.limit for x in s),
        cpu=tuple(None if x.cpu is None else round(x.cpu, 5) for x in s),
        pids=tuple(x.pids for x in s),
        throttled=tuple(None if x.throttled is None else round(x.throttled, 4) for x in s),
        high_water=tuple(x.high_water for x in s),
        leak=leak.record(),
    )


def tmpfs_use(samples: Sequence[Sample]) -> dict[str, TmpfsUse]:
    """Per tmpfs target, what it held at the sample of the peak (the highest working set of the
    samples that read it) and the most of any sample."""
    if not samples:
        return {}
    at_peak = dict(max(samples, key=lambda x: x.working_set).tmpfs)
    most: dict[str, int] = {}
    for sample in samples:
        for target, used in sample.tmpfs:
            most[target] = max(most.get(target, 0), used)
    return {t: TmpfsUse(at_peak.get(t), most[t]) for t in sorted(most)}


def service_summary(recorder: Recorder, service: str, stack: StackPlan | None) -> ServiceRecord:
    containers = recorder.containers_of(service)
    series = [recorder.series[c] for c in containers if c in recorder.series]
    memory = [float(x.working_set) for s in series for x in s.samples]
    cpu = [x.cpu for s in series for x in s.samples if x.cpu is not None]
    pids = [x.pids for s in series for x in s.samples if x.pids is not None]
    throttle = [x.throttled for s in series for x in s.samples if x.throttled is not None]
    states = [recorder.states[c] for c in containers if c in recorder.states]
    leaks = {s.container: recorder.leak(s) for s in series}
    leaking = sorted((c for c, v in leaks.items() if v.leak), key=lambda c: leaks[c].time_to_limit or float("inf"))
    worst = leaking[0] if leaking else (series[0].container if series else None)
    cooldowns = []
    for s in series:
        _, active = s.values(["active", "drain"])
        _, cool = s.values(["cooldown"])
        verdict = cooldown_verdict(active, cool)
        if verdict is not None:
            cooldowns.append((s.container, verdict))
    cooldowns.sort(key=lambda cv: -(cv[1].retained_fraction or 0.0))
    oom_events = [e for e in recorder.ooms if e.service == service]
    killed = sorted({c for c in containers if c in recorder.oom_killed} | {e.container for e in oom_events})
    limits = sorted({st.memory_limit for st in states if st.memory_limit})
    reservations = sorted({st.memory_reservation for st in states if st.memory_reservation})
    mem, cores, throttled = summarize(memory), summarize(cpu), summarize(throttle)
    marks = [x for s in series for x in s.samples if x.high_water is not None]
    shared = [x for s in series for x in s.samples if x.shmem is not None]
    # the sample of the peak (of the highest working set; of those, the least shmem)
    at_peak = min(shared, key=lambda x: (-x.working_set, x.shmem or 0)) if shared else None
    mounts = [x for s in series for x in s.samples if x.tmpfs]
    return ServiceRecord(
        containers=tuple(containers),
        samples=len(memory),
        limit=limits[-1] if limits else None,
        reservation=reservations[-1] if reservations else None,
        cpus_limit=max((st.nano_cpus or 0 for st in states), default=0) / 1e9 or None,
        planned=_planned(stack, service),
        memory=mem.record() if mem else None,
        # the highest the cgroup's usage got, between samples too (less inactive file cache)
        memory_high_water=HighWater(
            max(x.high_water or 0 for x in marks), tuple(sorted({x.high_water_from for x in marks}))
        )
        if marks
        else None,
        # tmpfs and shared memory pages (memory.stat shmem): the peak holds what a tmpfs used then
        memory_shmem=SharedMemory(at_peak.shmem, max(x.shmem or 0 for x in shared)) if at_peak is not None else None,
        # what each tmpfs held (statvfs through the container's root), which shmem cannot tell apart
        memory_tmpfs=tmpfs_use(mounts),
        cpu=cores.record() if cores else None,
        pids_peak=max(pids) if pids else None,
        throttled_p95=throttled.p95 if throttled else None,
        leak=leaks[worst].record(worst) if worst is not None else None,
        cooldown=cooldowns[0][1].record(cooldowns[0][0]) if cooldowns else None,
        oom=OomRecord(
            events=len(oom_events),
            event_times=tuple(round(e.t, 3) for e in oom_events),
            killed=bool(killed),
            containers=tuple(killed),
            limit_at_kill=max((recorder.limit_at_kill.get(c, 0) for c in killed), default=0) or None,
            restarts=sum(max(0, st.restart_count - recorder.first_restarts.get(st.name, 0)) for st in states),
            earlier=tuple(recorder.earlier.get(service, ())),
        ),
        # bytes on each GPU (NVML, per process, summed per container): the highest one container held
        gpu_memory=gpu_summary(recorder, containers),
        state={st.name: ContainerEnd(st.status, st.exit_code) for st in states},
        series=tuple(_series_record(s, leaks[s.container]) for s in series),
    )


@dataclass(frozen=True)
class RunInfo:
    """What a calibrate run was, besides what it measured."""

    profile: str
    root: Path
    compose_files: tuple[str, ...]
    project: str
    engine: EngineInfo
    started: float  # epoch seconds
    seconds: float
    interval: float
    command: CommandRecord | None = None
    partial_reason: str = ""

    @classmethod
    def of(
        cls,
        planned: Planned,
        project: str,
        engine: EngineInfo,
        started: tuple[float, float],
        interval: float,
        partial_reason: str = "",
        command: CommandRecord | None = None,
    ) -> RunInfo:
        """The run of `planned` as project `project`, started at `started` (epoch, monotonic)."""
        return cls(
            profile=planned.profile.profile.name,
            root=planned.project.root,
            compose_files=tuple(str(p) for p in planned.project.compose_paths()),
            project=project,
            engine=engine,
            started=started[0],
            seconds=time.monotonic() - started[1],
            interval=interval,
            command=command,
            partial_reason=partial_reason,
        )


def partial_reason(err: BaseException) -> str:
    """Why a run ended early, for `partial_reason`: Ctrl-C or SIGTERM, the engine, or anything else."""
    if isinstance(err, KeyboardInterrupt):
        return "interrupted"
    if isinstance(err, EngineError):
        return f"the engine failed: {err.message}"
    return f"failed: {type(err).__name__}: {err}"


def document(recorder: Recorder, run: RunInfo, stack: StackPlan | None) -> dict[str, Any]:
    """The measurements file's content (JSON-ready): `measurements_record`'s JSON."""
    return measurements_record(recorder, run, stack).to_json()


def measurements_record(recorder: Recorder, run: RunInfo, stack: StackPlan | None) -> MeasurementsFile:
    """The measurements file of the run."""
    planned = [s.name for s in stack.services] if stack is not None else []
    services = list(dict.fromkeys([*planned, *recorder.services()]))
    command = run.command
    return MeasurementsFile(
        composegen=__version__,
        created=_iso(run.started + run.seconds),
        partial=bool(run.partial_reason),
        partial_reason=run.partial_reason or None,
        profile=run.profile,
        root=str(run.root),
        compose_files=tuple(run.compose_files),
        project=run.project,
        engine_version=run.engine.version,
        engine_api_version=run.engine.api_version,
        run=RunRecord(
            started=_iso(run.started),
            seconds=round(run.seconds, 3),
            interval=run.interval,
            ticks=recorder.ticks,
            phases=tuple(
                PhaseRecord(p.name, p.interval, round(p.start, 3), round(p.end, 3), p.ticks) for p in recorder.phases
            ),
            command=None
            if command is None
            else CommandRun(
                argv=tuple(mask_argv(command.argv)),  # a load command may carry a password: masked
                exit_code=command.exit_code,
                seconds=round(command.seconds, 3),
                stopped=command.stopped or None,
            ),
            leak_horizon_seconds=recorder.horizon,
            confidence=recorder.confidence,
            warmup_fraction=recorder.warmup_fraction,
        ),
        gpus=tuple(GpuDevice(d.index, d.name, d.total) for _, d in sorted(recorder.gpu_devices.items())),
        gpu_note=recorder.gpu_note or None,
        services={name: service_summary(recorder, name, stack) for name in services},
    )


def dumps(value: Any, indent: str = "") -> str:
    """JSON with one key a line, but a list of plain values (the raw samples) on one line."""
    inner = indent + " "
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(str(k))}: {dumps(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        return "[\n" + ",\n".join(inner + dumps(v, inner) for v in value) + "\n" + indent + "]"
    return json.dumps(value, allow_nan=False, separators=(", ", ": "))


def is_measurements_file(path: Path) -> bool:
    """Whether `path` is a measurements file (which a new run may replace)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return False
    return is_measurements(data)


def check_output(output: Path, given: Path, *, force: bool) -> None:
    """The measurements file a run will write, checked before anything talks to the engine: its
    folder exists, and a file already there is a measurements file (or `force` says replace it)."""
    if not output.parent.is_dir():
        raise InputError("the output folder does not exist", where=str(output.parent), fix="create it first")
    if output.exists() and not force and not is_measurements_file(output):
        raise InputError(
            "the output exists and is not a measurements file composegen wrote",
            where=str(given),
            fix="choose another -o, or pass --force to overwrite it",
        )


def write_json_atomic(path: Path, data: dict[str, Any], inputs: Collection[Path] = ()) -> None:
    """Write `data` to `path` atomically (render.writer.write_atomic: temp file, fsync, rename);
    never over one of `inputs`, the files the run read. What it replaces was checked before the
    run started (`check_output`)."""
    from composegen.writer import write_atomic

    write_atomic(path, dumps(data) + "\n", force=True, inputs=inputs)
