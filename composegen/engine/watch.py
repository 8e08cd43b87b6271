"""`composegen watch`: follow a running stack's containers, their memory against their limits, with a
warning and a critical alert (the profile's monitoring thresholds, 80 % and 90 % by default) and,
with `--auto-adjust`, a raise of a container's memory limit through the Engine API when it
crosses the critical line: by a bounded step (20 %), never above the maximum (the profile's
`memory.maximum`, `--maximum`, else twice the limit the container had when watch first saw it),
each change logged. At the end it prints the overlay change that would make the raises permanent.

It attaches to the stack by its compose project label (the project compose would name it, or
`--project-name`); with `--up` it starts the stack itself, as verify does, under a project of its
own, and takes it down at the end. Where a GPU can be read (composegen.engine.gpu), each container's
peak VRAM per GPU is shown beside its memory.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from composegen.engine.client import EngineError, connect, engine_info
from composegen.engine.gpu import GpuSnapshot, by_gpu_text, open_meter, raise_peaks, wants_gpus
from composegen.engine.gpu import by_name as gpu_by_name
from composegen.engine.live import Display, NullDisplay, Row, short_name
from composegen.engine.project import ComposeProject, interruptible, project_name, running
from composegen.engine.sampler import ContainerState, Sample, Sampler
from composegen.engine.verify import default_wait
from composegen.errors import InputError
from composegen.render.overlay import Planned, plan, render_planned
from composegen.sizing.common import raised_memswap
from composegen.units import MIB, format_bytes, human_bytes
from composegen.yamlio import key, quote

if TYPE_CHECKING:
    from docker import DockerClient

#: The raise when a container crosses the critical line: 20 % of its limit.
STEP = 0.2
#: Without a profile monitoring block: warn at 80 %, critical at 90 % (awesome-prometheus-alerts'
#: working set > 80 % of the limit, facts/sizing.md §Leaks and OOM).
WARN = 0.8
CRITICAL = 0.9
#: Without a maximum anywhere, a container's limit may at most double.
DEFAULT_MAXIMUM_FACTOR = 2.0


@dataclass(frozen=True)
class WatchRequest:
    profile: str
    project: Path | None
    cwd: Path
    auto_adjust: bool = False
    interval: float = 2.0
    duration: float | None = None  # None: until Ctrl-C
    up: bool = False
    project_name: str | None = None
    maximum: int | None = None  # bytes; over the profile's memory.maximum
    step: float = STEP
    extra_files: tuple[Path, ...] = ()  # with --up: compose files after the overlay


@dataclass(frozen=True)
class Alert:
    t: float
    container: str
    service: str
    level: str  # warning, critical, oom, ok (back below the warning line)
    working_set: int | None
    limit: int | None
    message: str


@dataclass(frozen=True)
class Change:
    t: float
    container: str
    service: str
    old_limit: int
    new_limit: int
    old_memswap: int | None
    new_memswap: int | None
    working_set: int
    maximum: int
    message: str


@dataclass
class WatchReport:
    project: str
    warn: float
    critical: float
    auto_adjust: bool
    seconds: float = 0.0
    ticks: int = 0
    alerts: list[Alert] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # raises not made (at the maximum, or the engine said no)
    peaks: dict[str, int] = field(default_factory=dict)  # container -> peak working set
    limits: dict[str, int | None] = field(default_factory=dict)  # container -> last known limit
    services: dict[str, str] = field(default_factory=dict)  # container -> service
    maximums: dict[str, int] = field(default_factory=dict)  # container -> the maximum that applied
    interrupted: bool = False
    interval: float | None = None  # seconds asked between samplings
    achieved: float | None = None  # the mean interval the samplings kept (None: fewer than two)
    read_from: str = ""  # where the last sampling read the containers, in words
    vram_peaks: dict[str, dict[int, int | None]] = field(default_factory=dict)  # container -> GPU -> peak bytes
    gpu_note: str = ""  # why GPU memory was not read (composegen.engine.gpu), "" when it was

    @property
    def ooms(self) -> list[Alert]:
        return [a for a in self.alerts if a.level == "oom"]

    def overlay_change(self) -> str:
        """The overlay fragment that would keep the raised limits: per service the highest limit
        any of its containers was raised to, in whole MiB."""
        raised: dict[str, int] = {}
        for change in self.changes:
            raised[change.service] = max(raised.get(change.service, 0), change.new_limit)
        if not raised:
            return ""
        lines = ["services:"]
        for service in sorted(raised):
            lines += [
                f"  {key(service)}:",
                "    deploy:",
                "      resources:",
                "        limits:",
                f"          memory: {quote(format_bytes(math.ceil(raised[service] / MIB) * MIB))}",
            ]
        return "\n".join(lines) + "\n"

    def as_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "warn": self.warn,
            "critical": self.critical,
            "auto_adjust": self.auto_adjust,
            "seconds": round(self.seconds, 3),
            "ticks": self.ticks,
            "interval": self.interval,
            "interval_achieved": None if self.achieved is None else round(self.achieved, 3),
            "read_from": self.read_from,
            "interrupted": self.interrupted,
            "alerts": [asdict(a) for a in self.alerts],
            "changes": [asdict(c) for c in self.changes],
            "refused": self.refused,
            "containers": {
                name: {
                    "service": self.services.get(name, ""),
                    "peak": self.peaks.get(name),
                    "limit": self.limits.get(name),
                    "maximum": self.maximums.get(name),
                    "vram_peak": {str(g): b for g, b in sorted(self.vram_peaks[name].items())}
                    if self.vram_peaks.get(name)
                    else None,
                }
                for name in sorted(self.services)
            },
            "gpu_note": self.gpu_note or None,
            "overlay": self.overlay_change() or None,
        }

    def text(self) -> str:
        lines = [f"watch: {self.project}, {self.ticks} samplings over {self.seconds:.0f}s"]
        if self.interval is not None and self.achieved is not None:
            held = "held" if self.achieved <= self.interval * 1.1 else "NOT held: a round costs more"
            lines[0] += f", one every {self.achieved:.2f}s (asked {self.interval:g}s: {held})"
        if self.read_from:
            lines[0] += f"; read {self.read_from}"
        for name in sorted(self.services):
            peak, limit = self.peaks.get(name), self.limits.get(name)
            share = f" ({peak / limit:.0%})" if peak is not None and limit else ""
            shown = human_bytes(limit) if limit else "no limit"
            vram = f", VRAM peak {by_gpu_text(self.vram_peaks[name])}" if self.vram_peaks.get(name) else ""
            lines.append(f"  {name}: peak {human_bytes(peak) if peak is not None else '-'} of {shown}{share}{vram}")
        counts = {level: sum(1 for a in self.alerts if a.level == level) for level in ("warning", "critical", "oom")}
        lines.append(
            f"watch: {counts['warning']} warnings, {counts['critical']} critical, {counts['oom']} OOM kill events, "
            f"{len(self.changes)} limits raised"
        )
        if self.gpu_note:
            lines.append(self.gpu_note)
        change = self.overlay_change()
        if change:
            lines += [
                "to keep the raised limits, apply this over the overlay (docker compose -f ... -f this.yml),",
                "or better, declare the services' memory in composegen.yaml, or calibrate and render --measurements:",
                change.rstrip("\n"),
            ]
        return "\n".join(lines)


def thresholds(planned: Planned) -> tuple[float, float]:
    monitoring = planned.profile.profile.monitoring
    return (monitoring.warn, monitoring.critical) if monitoring is not None else (WARN, CRITICAL)


def raised_limit(limit: int, step: float, maximum: int) -> int:
    """limit × (1 + step) in whole MiB, at most `maximum`."""
    return min(maximum, math.ceil(limit * (1.0 + step) / MIB) * MIB)


class Watcher:
    """The alert and raise logic, one sampling at a time."""

    def __init__(
        self,
        client: DockerClient,
        report: WatchReport,
        request: WatchRequest,
        maximum: int | None,
        log: Callable[[str], None],
    ) -> None:
        self.client = client
        self.report = report
        self.request = request
        self.maximum = maximum
        self.log = log
        self.levels: dict[str, str] = {}
        self.at_maximum: set[str] = set()
        self.first_limits: dict[str, int] = {}

    def _alert(self, t: float, sample: Sample | None, state: ContainerState, level: str, message: str) -> None:
        alert = Alert(
            t, state.name, state.service, level, sample.working_set if sample else None, state.memory_limit, message
        )
        self.report.alerts.append(alert)
        self.log(message)

    def maximum_for(self, state: ContainerState) -> int:
        if self.maximum is not None:
            return self.maximum
        first = self.first_limits.get(state.name) or state.memory_limit or 0
        return int(first * DEFAULT_MAXIMUM_FACTOR)

    def observe(
        self, t: float, states: Sequence[ContainerState], samples: Sequence[Sample], gpu: GpuSnapshot | None = None
    ) -> None:
        if gpu is not None:
            for name, held in gpu_by_name(gpu, {state.id: state.name for state in states}).items():
                raise_peaks(self.report.vram_peaks.setdefault(name, {}), held)
        samples_of = {s.container: s for s in samples}
        for state in states:
            self.report.services[state.name] = state.service
            self.report.limits[state.name] = state.memory_limit
            if state.memory_limit:
                self.first_limits.setdefault(state.name, state.memory_limit)
                self.report.maximums[state.name] = self.maximum_for(state)
            sample = samples_of.get(state.name)
            if sample is None:
                continue
            self.report.peaks[state.name] = max(self.report.peaks.get(state.name, 0), sample.working_set)
            limit = state.memory_limit
            if not limit:
                continue
            share = sample.working_set / limit
            level = "critical" if share >= self.report.critical else "warning" if share >= self.report.warn else "ok"
            before = self.levels.get(state.name, "ok")
            if level != before:
                self.levels[state.name] = level
                used = f"{human_bytes(sample.working_set)} of {human_bytes(limit)} ({share:.0%})"
                if level == "ok":
                    self._alert(t, sample, state, "ok", f"ok: {state.name} back below the warning line: {used}")
                else:
                    line = self.report.critical if level == "critical" else self.report.warn
                    self._alert(t, sample, state, level, f"{level}: {state.name} at {used} ≥ {line:.0%}")
            if level == "critical" and self.request.auto_adjust:
                self.raise_limit(t, state, sample)

    def raise_limit(self, t: float, state: ContainerState, sample: Sample) -> None:
        import docker.errors

        limit = state.memory_limit or 0
        maximum = self.maximum_for(state)
        new = raised_limit(limit, self.request.step, maximum)
        if new <= limit:
            if state.name not in self.at_maximum:
                self.at_maximum.add(state.name)
                text = f"not raised: {state.name} is at its maximum {human_bytes(maximum)}"
                self.report.refused.append(text)
                self.log(text)
            return
        swap = raised_memswap(limit, state.memswap_limit, new)
        try:
            container = self.client.containers.get(state.id)
            if swap is None:
                container.update(mem_limit=new)
            else:
                container.update(mem_limit=new, memswap_limit=swap)
        except docker.errors.DockerException as err:
            text = f"not raised: the engine refused {state.name} {format_bytes(new)}: {err}"
            self.report.refused.append(text)
            self.log(text)
            return
        self.report.limits[state.name] = new
        capped = " (its maximum)" if new == maximum else ""
        text = (
            f"raised {state.name} memory limit {format_bytes(limit)} -> {format_bytes(new)}{capped}: working set "
            f"{human_bytes(sample.working_set)} crossed {self.report.critical:.0%}"
        )
        self.report.changes.append(
            Change(
                t, state.name, state.service, limit, new, state.memswap_limit, swap, sample.working_set, maximum, text
            )
        )
        self.log(text)

    def ooms(self, t: float, states: Sequence[ContainerState], events: Sequence[Any]) -> None:
        by_name = {s.name: s for s in states}
        for event in events:
            state = by_name.get(event.container)
            limit = state.memory_limit if state else None
            shown = f" at its {human_bytes(limit)} limit" if limit else ""
            self.report.services.setdefault(event.container, event.service)
            self.report.alerts.append(
                Alert(event.t, event.container, event.service, "oom", None, limit, f"OOM: {event.container}{shown}")
            )
            count = sum(1 for a in self.report.alerts if a.level == "oom" and a.container == event.container)
            if count == 1:  # a shell that survives its killed children can be hit again and again
                self.log(f"critical: the kernel OOM-killed in {event.container}{shown}")
            elif count in (10, 100, 1000):
                self.log(f"critical: {count} OOM kills in {event.container} so far")


def rows(
    report: WatchReport, states: Sequence[ContainerState], samples: Sequence[Sample], levels: dict[str, str]
) -> list[Row]:
    samples_of = {s.container: s for s in samples}
    out = []
    for state in states:
        sample = samples_of.get(state.name)
        vram = [b for b in report.vram_peaks.get(state.name, {}).values() if b is not None]
        out.append(
            Row(
                container=short_name(state.name, report.project),
                service=state.service,
                working_set=sample.working_set if sample else None,
                limit=report.limits.get(state.name, state.memory_limit),
                peak=report.peaks.get(state.name),
                cpu=sample.cpu if sample else None,
                pids=sample.pids if sample else None,
                state="OOM-killed" if state.oom_killed else state.status,
                level=levels.get(state.name, "") if levels.get(state.name) != "ok" else "",
                vram=max(vram) if vram else None,
            )
        )
    return out


def _loop(sampler: Sampler, watcher: Watcher, report: WatchReport, request: WatchRequest, display: Display) -> None:
    end = request.duration if request.duration is not None else math.inf
    display.phase("watch", request.duration)
    next_at = 0.0
    report.interval = request.interval
    while True:
        tick = sampler.tick()
        report.ticks += 1
        report.achieved = sampler.achieved()
        report.read_from = sampler.source(tick)
        watcher.observe(tick.t, tick.containers, tick.samples, tick.gpu)
        watcher.ooms(tick.t, tick.containers, tick.ooms)
        display.update(rows(report, tick.containers, tick.samples, watcher.levels), sampler.now())
        if sampler.now() >= end:
            return
        interval = sampler.pace(request.interval)
        next_at = max(next_at + interval, sampler.now() - interval)
        while (now := sampler.now()) < min(next_at, end):
            time.sleep(min(0.1, min(next_at, end) - now))


def watch(request: WatchRequest, log: Callable[[str], None], shown: Display | None = None) -> WatchReport:
    """Watch until the duration is up or Ctrl-C (which ends it normally, with the report)."""
    if request.interval < 0.5:
        raise InputError(f"interval {request.interval:g}s is below 0.5s", fix="the engine collects stats once a second")
    client = connect()
    engine = engine_info(client)
    planned = plan(request.profile, request.project, request.cwd, docker_version=engine.version)
    warn, critical = thresholds(planned)
    maximum = request.maximum if request.maximum is not None else planned.profile.profile.memory.maximum
    display = shown or NullDisplay()
    started = time.monotonic()

    def follow(name: str, report: WatchReport) -> None:
        watcher = Watcher(client, report, request, maximum, log)
        meter = open_meter()
        on_gpus = wants_gpus(planned)
        if meter.note and on_gpus:
            log(meter.note)
        with meter, Sampler(client, name, gpu=meter) as sampler:
            if not sampler.containers():
                raise InputError(
                    f"no containers of compose project {name!r} on this engine",
                    fix="start the stack, name its project with --project-name, or pass --up",
                )
            shown_max = human_bytes(maximum) if maximum else "twice each container's limit"
            adjust = f"; auto-adjust by {request.step:.0%} up to {shown_max}" if request.auto_adjust else ""
            log(f"watching {name}: warning at {warn:.0%}, critical at {critical:.0%} of the memory limit{adjust}")
            try:
                with interruptible(), display:
                    _loop(sampler, watcher, report, request, display)
            except KeyboardInterrupt:  # Ctrl-C (or SIGTERM) is the usual way to stop watching
                report.interrupted = True
        # why GPU memory was not read (or no longer), where that matters: on GPUs, or some was read
        report.gpu_note = meter.note if on_gpus or report.vram_peaks else ""

    if not request.up:
        name = request.project_name or planned.base.name
        report = WatchReport(name, warn, critical, request.auto_adjust)
        follow(name, report)
        report.seconds = time.monotonic() - started
        return report

    name = request.project_name or project_name(planned.project.root.name, "watch")
    report = WatchReport(name, warn, critical, request.auto_adjust)
    extra = tuple(p if p.is_absolute() else request.cwd / p for p in request.extra_files)
    with tempfile.TemporaryDirectory(prefix="composegen-watch-") as tmp:
        overlay = Path(tmp) / f"docker-compose.{planned.profile.profile.name}.yml"
        overlay.write_text(render_planned(planned, overlay), encoding="utf-8")
        files = (*planned.project.compose_paths(), overlay, *extra)
        with running(ComposeProject(name, files, log=log), client) as project:
            wait = default_wait(planned.stack)
            log(f"starting {name} on dockerd {engine.version} (up --wait, at most {wait:.0f} s)")
            up = project.up(wait)
            if not up.ok:
                raise EngineError(f"docker compose up failed (exit {up.returncode}): {up.last_lines(3)}")
            follow(name, report)
    report.seconds = time.monotonic() - started
    return report
