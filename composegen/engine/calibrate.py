"""`composegen calibrate`: start the stack as verify does, sample every container while it runs (for a
duration, or while a command runs), and write what was measured as a measurements file that
`composegen render --measurements` sizes from.

The run has up to three phases, each sampled at its own interval: `active` (the duration, or the
command's run), then optionally `drain` (in-flight work finishing) and `cooldown` (does memory come
back down?). The stack runs under a project name of its own and is always taken down. The file is
written atomically before the teardown; a run that is interrupted (Ctrl-C, SIGTERM) or fails keeps
what it measured, written with `partial: true` and the reason.

The OOM kills of earlier runs of the stack are carried into the new file (from `--previous`, else
from the file the run replaces; `--fresh` carries none), so that a recommendation is never back at
or below a limit that killed a service: a spike that ends with the container's exit leaves no
sample and no high-water mark to read once the container is gone, only the kill an earlier run saw.

Where this machine has an NVIDIA GPU and nvidia-ml-py (the `gpu` extra), each service's peak GPU
memory (per GPU, the most one of its containers held) is recorded beside its RAM
(composegen.engine.gpu), with its planned VRAM per GPU; elsewhere the file says why not (`gpu_note`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from composegen.engine.gpu import by_gpu_text, open_meter, wants_gpus
from composegen.engine.live import Display, NullDisplay, Row, short_name
from composegen.engine.measurements import (
    CommandRecord,
    Recorder,
    RunInfo,
    carried_kills,
    check_output,
    document,
    partial_reason,
    start_measuring,
    write_json_atomic,
)
from composegen.engine.plots import PlotsUnavailable, plot_measurements
from composegen.engine.project import ComposeProject, project_name, running, shielded
from composegen.engine.sampler import Sampler
from composegen.engine.statistics import LEAK_HORIZON
from composegen.engine.verify import default_wait
from composegen.errors import InputError
from composegen.render.overlay import render_planned
from composegen.sizing.measured import idle_run
from composegen.sizing.measurements_file import EarlierKill, GpuMemory, MeasurementsFile, PhaseRecord, PlannedLimits
from composegen.units import format_duration, human_bytes

#: Seconds sampled without a command when --duration is not given.
DEFAULT_DURATION = 600.0
DEFAULT_INTERVAL = 2.0
#: The engine collects stats once a second: a shorter interval only repeats readings.
MIN_INTERVAL = 0.5
#: Seconds a command gets to end after SIGTERM before it is killed.
COMMAND_GRACE = 5.0


@dataclass(frozen=True)
class Phase:
    name: str  # active, drain, cooldown
    duration: float | None  # seconds; None: until the command ends
    interval: float


@dataclass(frozen=True)
class CalibrateRequest:
    profile: str
    project: Path | None
    cwd: Path
    output: Path
    duration: float | None = None  # active phase; without a command default DEFAULT_DURATION, with one a maximum
    interval: float = DEFAULT_INTERVAL
    drain: float = 0.0
    drain_interval: float | None = None
    cooldown: float = 0.0
    cooldown_interval: float | None = None
    command: tuple[str, ...] = ()
    extra_files: tuple[Path, ...] = ()
    project_name: str | None = None
    timeout: float | None = None  # up --wait
    horizon: float = LEAK_HORIZON
    plots: Path | None = None
    live: bool | None = None  # None: on a terminal, and only without a command (it owns the terminal)
    previous: Path | None = None  # carry its OOM kills (default: the output file, when there is one)
    fresh: bool = False  # carry no OOM kills of earlier runs
    force: bool = False  # overwrite an output that is not a measurements file

    def phases(self) -> list[Phase]:
        active = self.duration if self.duration is not None else (None if self.command else DEFAULT_DURATION)
        phases = [Phase("active", active, self.interval)]
        if self.drain > 0:
            phases.append(Phase("drain", self.drain, self.drain_interval or self.interval))
        if self.cooldown > 0:
            phases.append(Phase("cooldown", self.cooldown, self.cooldown_interval or self.interval))
        return phases


@dataclass
class CalibrateReport:
    path: Path
    document: dict[str, Any]
    plots: list[Path] = field(default_factory=list)
    plot_message: str = ""

    @property
    def measured(self) -> MeasurementsFile:
        """The document, as the measurements file's records."""
        return MeasurementsFile.from_json(self.document)

    @property
    def partial(self) -> bool:
        return self.measured.partial

    @property
    def oom_services(self) -> list[str]:
        return [name for name, s in self.measured.services.items() if s.oom.killed]

    @property
    def ok(self) -> bool:
        """Complete, the command (if any) succeeded, and nothing was OOM-killed."""
        measured = self.measured
        command = measured.run.command
        failed = command is not None and command.exit_code != 0
        return not measured.partial and not failed and not any(s.oom.killed for s in measured.services.values())

    def text(self) -> str:
        return summary_text(self.document, self.path, self.plots, self.plot_message)


def _mib(value: float | None) -> str:
    return human_bytes(value) if value else "-"


def summary_text(doc: dict[str, Any], path: Path, plots: Sequence[Path] = (), plot_message: str = "") -> str:
    """The table of what was measured, one line a service, and the verdicts under it."""
    header = ("SERVICE", "SAMPLES", "P50", "P90", "P95", "PEAK", "LIMIT", "CPU P95", "LEAK", "OOM")
    measured = MeasurementsFile.from_json(doc)
    rows: list[tuple[str, ...]] = []
    notes: list[str] = []
    for name, s in measured.services.items():
        memory, cpu, leak, oom = s.memory, s.cpu, s.leak, s.oom
        mark = s.memory_high_water.bytes if s.memory_high_water else None
        peak = memory.peak if memory else None
        rows.append(
            (
                name,
                str(s.samples),
                _mib(memory.p50 if memory else None),
                _mib(memory.p90 if memory else None),
                _mib(memory.p95 if memory else None),
                _mib(max(peak or 0, mark or 0)),
                _mib(s.limit),
                f"{cpu.p95 * 100:.1f}%" if cpu and cpu.p95 is not None else "-",
                "LEAK" if leak and leak.leak else "no",
                "KILLED" if oom.killed else "no",
            )
        )
        if mark and mark > 1.1 * (peak or 0):
            notes.append(
                f"{name}: the cgroup's high-water mark {human_bytes(mark)} is above every sample "
                f"({_mib(peak)}): a spike between two samples"
            )
        if leak and leak.reason:
            notes.append(f"{name}: {leak.reason}")
        if oom.killed:
            at = f" at the {human_bytes(oom.limit_at_kill)} limit" if oom.limit_at_kill else ""
            notes.append(f"{name}: OOM-killed{at} ({oom.events} oom events, {oom.restarts} restarts)")
        if oom.earlier:
            notes.append(
                f"{name}: OOM-killed at the {human_bytes(max(k.limit for k in oom.earlier))} limit in an earlier "
                "run: render keeps the limit above it"
            )
        if s.gpu_memory:
            notes.append(gpu_line(name, s.gpu_memory, s.planned))
        cooldown = s.cooldown
        if cooldown:
            share = cooldown.retained_fraction
            kept = f", {share:.0%} of the growth kept" if share is not None else ""
            released = human_bytes(cooldown.released or 0)
            notes.append(f"{name}: after cooldown {cooldown.verdict}: {released} released{kept}")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in [header, *rows]]
    services = measured.services.values()
    if services and all(s.samples and not s.memory_high_water for s in services):
        notes.append(
            "no high-water marks: the engine's stats have none (cgroup v2) and the cgroup fs is not readable "
            "here: a spike between two samples is not measured"
        )
    if measured.gpu_note:
        notes.append(measured.gpu_note)
    lines += notes
    command = measured.run.command
    if command is not None:
        stopped = f", {command.stopped}" if command.stopped else ""
        lines.append(f"command {' '.join(command.argv)}: exit {command.exit_code}{stopped}")
    idle = idle_run(measured)
    if idle:
        lines.append(idle)
    if measured.partial:
        lines.append(f"calibrate: PARTIAL run ({measured.partial_reason}): what was measured is kept")
    lines += [f"plot: {p}" for p in plots]
    if plot_message:
        lines.append(plot_message)
    lines.append(
        f"calibrate: {measured.run.ticks} samplings over {format_duration(measured.run.seconds)} written to {path}"
    )
    lines.append(f"next: composegen render --profile {measured.profile} --measurements {path}")
    return "\n".join(lines)


def gpu_line(name: str, gpu: GpuMemory, planned: PlannedLimits | None) -> str:
    """`app: VRAM peak GPU 0 11.9 GiB (planned 14.0 GiB per GPU)`, and whether it went above the plan."""
    used = {int(g): None if b is None else int(b) for g, b in gpu.per_gpu.items()}
    line = f"{name}: VRAM peak {by_gpu_text(used)}"
    vram = planned.vram_per_gpu if planned else None
    if vram:
        peak = gpu.peak or 0
        line += f" (planned {human_bytes(vram)} per GPU" + (": ABOVE the plan)" if peak > vram else ")")
    return line


def rows_of(recorder: Recorder, project: str = "") -> list[Row]:
    rows: list[Row] = []
    for name, state in sorted(recorder.states.items()):
        series = recorder.series.get(name)
        last = series.samples[-1] if series and series.samples else None
        # the high-water mark holds what happened between two samples
        peak = max((max(s.working_set, s.high_water or 0) for s in series.samples), default=None) if series else None
        status = "OOM-killed" if name in recorder.oom_killed else state.status
        rows.append(
            Row(
                container=short_name(name, project),
                service=state.service,
                working_set=last.working_set if last and state.running else None,
                limit=state.memory_limit,
                peak=peak,
                cpu=last.cpu if last and state.running else None,
                pids=last.pids if last and state.running else None,
                state=status,
                vram=_vram(recorder.gpu_peaks.get(name)),
            )
        )
    return rows


def _vram(peaks: dict[int, int | None] | None) -> int | None:
    """A container's peak bytes on the GPU where it held the most (None: none read)."""
    known = [b for b in (peaks or {}).values() if b is not None]
    return max(known) if known else None


class Command:
    """The command calibrate samples during: started at the active phase, ended if it outlives it."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], cwd: Path) -> None:
        self.argv = tuple(argv)
        self.started = time.monotonic()
        try:
            self.process: subprocess.Popen[bytes] = subprocess.Popen(list(argv), env=env, cwd=cwd)
        except OSError as err:
            raise InputError(f"could not run {argv[0]}: {err.strerror or err}", fix="check the command") from None
        self.stopped = ""
        self.ended: float | None = None

    def done(self) -> bool:
        if self.process.poll() is not None:
            if self.ended is None:
                self.ended = time.monotonic()
            return True
        return False

    def stop(self, why: str) -> None:
        if self.done():
            return
        self.stopped = why
        self.process.terminate()
        try:
            self.process.wait(COMMAND_GRACE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.ended = time.monotonic()

    def record(self) -> CommandRecord:
        code = self.process.poll()
        end = self.ended if self.ended is not None else time.monotonic()
        return CommandRecord(self.argv, code, end - self.started, self.stopped)


def run_phase(
    phase: Phase,
    sampler: Sampler,
    recorder: Recorder,
    display: Display,
    done: Callable[[], bool] = lambda: False,
) -> None:
    """Sample at the phase's interval until its duration is up or `done()` (then once more)."""
    start = sampler.now()
    end = start + phase.duration if phase.duration is not None else float("inf")
    display.phase(phase.name, phase.duration)
    ticks = 0
    next_at = start
    try:
        while True:
            tick = sampler.tick()
            recorder.add(tick, phase.name)
            ticks += 1
            display.update(rows_of(recorder, sampler.project), sampler.now() - start)
            if sampler.now() >= end or done():
                break
            interval = sampler.pace(phase.interval)
            next_at = max(next_at + interval, sampler.now() - interval)
            while (now := sampler.now()) < min(next_at, end) and not done():
                time.sleep(min(0.1, min(next_at, end) - now))
    finally:
        recorder.phases.append(PhaseRecord(phase.name, phase.interval, start, sampler.now(), ticks))


def _check(request: CalibrateRequest) -> None:
    for phase in request.phases():
        if phase.interval < MIN_INTERVAL:
            raise InputError(
                f"{phase.name} interval {phase.interval:g}s is below {MIN_INTERVAL:g}s",
                fix="the engine collects stats once a second: sample every 0.5s or more",
            )
    out = request.output if request.output.is_absolute() else request.cwd / request.output
    check_output(out, request.output, force=request.force)
    previous = previous_file(request)
    if previous is not None and not previous.is_file():
        raise InputError("the --previous file does not exist", where=str(previous), fix="check the path")
    if request.command:
        program = request.command[0]
        if os.sep not in program and shutil.which(program) is None:
            raise InputError(f"command {program!r} is not on PATH", fix="check the command after --")


def calibrate(request: CalibrateRequest, log: Callable[[str], None], shown: Display | None = None) -> CalibrateReport:
    """Run the stack, measure it, write the measurements file (also when interrupted: then the
    KeyboardInterrupt is raised again after the file is written and the stack is down)."""
    _check(request)
    output, client, engine, planned, inputs = start_measuring(
        request.profile, request.project, request.cwd, request.output
    )
    extra = tuple(p if p.is_absolute() else request.cwd / p for p in request.extra_files)
    for path in extra:
        if not path.is_file():
            raise InputError(f"compose file {path} does not exist", fix="check the --file paths")
    name = request.project_name or project_name(planned.project.root.name, "calibrate")
    wait = request.timeout if request.timeout is not None else default_wait(planned.stack)
    recorder = Recorder(horizon=request.horizon, earlier=earlier_kills(request, output, planned.project.root, log))
    meter = open_meter()
    on_gpus = wants_gpus(planned)
    if meter.note and on_gpus:
        log(meter.note)
    display = shown or NullDisplay()
    started_wall = time.time()
    started = time.monotonic()
    partial = ""
    command: Command | None = None
    doc: dict[str, Any] = {}

    def write() -> None:
        nonlocal doc
        # why GPU memory was not read (or no longer), where that matters: on GPUs, or some was read
        recorder.gpu_note = meter.note if on_gpus or recorder.gpu_ticks else ""
        record = command.record() if command is not None else None
        run = RunInfo.of(planned, name, engine, (started_wall, started), request.interval, partial, record)
        doc = document(recorder, run, planned.stack)
        with shielded():
            write_json_atomic(output, doc, inputs)
        log(f"measurements written to {output}" + (f" (partial: {partial})" if partial else ""))

    with tempfile.TemporaryDirectory(prefix="composegen-calibrate-") as tmp:
        overlay = Path(tmp) / f"docker-compose.{planned.profile.profile.name}.yml"
        overlay.write_text(render_planned(planned, overlay), encoding="utf-8")
        files = (*planned.project.compose_paths(), overlay, *extra)
        env = dict(os.environ)
        env.update(
            COMPOSE_PROJECT_NAME=name,
            COMPOSE_FILE=os.pathsep.join(str(f) for f in files),
            COMPOSEGEN_CALIBRATE="1",
        )
        try:
            with running(ComposeProject(name, files, log=log), client) as project:
                try:
                    log(f"starting {name} on dockerd {engine.version} (up --wait, at most {wait:.0f} s)")
                    up = project.up(wait)
                    with meter, Sampler(client, name, gpu=meter) as sampler:
                        if not up.ok:
                            partial = (
                                f"docker compose up did not finish within {wait + 60:.0f} s"
                                if up.timed_out
                                else f"docker compose up failed (exit {up.returncode}): {up.last_lines(3)}"
                            )
                            recorder.add(sampler.tick(), "startup")  # the state it was left in
                        else:
                            with display:
                                for phase in request.phases():
                                    log(f"{phase.name}: sampling every {phase.interval:g}s{_for(phase, request)}")
                                    if phase.name == "active" and request.command:
                                        command = Command(request.command, env, request.cwd)
                                        run_phase(phase, sampler, recorder, display, command.done)
                                        if not command.done():
                                            limit = format_duration(phase.duration or 0)
                                            command.stop(f"stopped after --duration {limit}")
                                    else:
                                        run_phase(phase, sampler, recorder, display)
                except BaseException as err:
                    partial = partial_reason(err)
                    raise  # running() takes the stack down the way it does after an interruption
                finally:
                    if command is not None and not command.done():
                        command.stop("ended with the run")
                    write()
        except KeyboardInterrupt:
            if not doc:  # interrupted before the measuring began
                partial = "interrupted"
                write()
            raise
    report = CalibrateReport(output, doc)
    if request.plots is not None:
        folder = request.plots if request.plots.is_absolute() else request.cwd / request.plots
        try:
            report.plots = plot_measurements(doc, folder)
        except PlotsUnavailable as err:
            report.plot_message = f"warning: {err}"
    return report


def previous_file(request: CalibrateRequest) -> Path | None:
    """The --previous file, against the working folder (None: not given, or --fresh)."""
    if request.previous is None or request.fresh:
        return None
    return request.previous if request.previous.is_absolute() else request.cwd / request.previous


def earlier_kills(
    request: CalibrateRequest, output: Path, root: Path, log: Callable[[str], None]
) -> dict[str, list[EarlierKill]]:
    """The OOM kills to carry: from --previous (which must be a measurements file of this stack),
    else from the output file when it is one; none with --fresh."""
    if request.fresh:
        return {}
    named = previous_file(request)
    path = named or output
    try:
        return _carry(path, root, log)
    except FileNotFoundError:
        if named is None:
            return {}
        raise InputError("the --previous file does not exist", where=str(path), fix="check the path") from None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        if named is None:  # the output file is replaced whatever it held
            log(f"no earlier OOM kills carried: {err}")
            return {}
        fix = "name a measurements file that calibrate wrote for this stack, or leave --previous out"
        raise InputError(f"--previous: {err}", where=str(path), fix=fix) from None


def _carry(path: Path, root: Path, log: Callable[[str], None]) -> dict[str, list[EarlierKill]]:
    kills, message = carried_kills(path.read_text(encoding="utf-8"), path, root)
    log(message)
    return kills


def _for(phase: Phase, request: CalibrateRequest) -> str:
    if phase.duration is None:
        return f" while {' '.join(request.command)} runs"
    if phase.name == "active" and request.command:
        return f" while {' '.join(request.command)} runs (at most {format_duration(phase.duration)})"
    return f" for {format_duration(phase.duration)}"
