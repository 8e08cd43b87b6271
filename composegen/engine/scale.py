"""`composegen scale SERVICE=N`: move a running stack's service to N replicas, in steps (`gradual`,
the profile's `agents.update_parallelism` at a time unless --step says otherwise) or at once
(`immediate`, which needs --force when the plan says N does not fit the host).

Each step is a real compose v2 `up -d --no-recreate --scale SERVICE=N --wait` on the stack's own
files (composegen.yaml's compose files and the overlay beside them, docker-compose.PROFILE.yml),
then a settle (the profile's `agents.update_delay` unless --settle) while every container is
sampled, judged against the lines as stress judges (`lines.judge`). The first step that crosses a
line or sees an OOM kill, a restart or a service that does not become healthy stops the scale, and
the service goes back to the last good count. Every step is logged with what was measured.

`--dry-run` prints the steps with the plan's totals at each (memory limits, reservations, cpus
against the host) and starts nothing.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from composegen.engine.client import EngineError, connect, engine_info
from composegen.engine.lines import Breach, HostBudget, LineOptions, Lines
from composegen.engine.live import Display, NullDisplay
from composegen.engine.measurements import Recorder
from composegen.engine.plots import PlotsUnavailable, plot_steps
from composegen.engine.project import ComposeProject, interruptible
from composegen.engine.ramp import Expected, Step, expected_totals, fits_up_to, marginals, scale_counts
from composegen.engine.sampler import Sampler
from composegen.engine.stepper import Stepper, check_timing
from composegen.engine.stress import check_service, resolve_limits
from composegen.engine.verify import default_wait
from composegen.errors import InputError
from composegen.profiles.models import MAX_REPLICAS
from composegen.render.overlay import Planned, default_output, plan, render_planned
from composegen.sizing.agent import tier_for
from composegen.units import human_bytes

STRATEGIES = ("gradual", "immediate")
DEFAULT_INTERVAL = 2.0


@dataclass(frozen=True)
class ScaleRequest:
    profile: str
    project: Path | None
    cwd: Path
    service: str
    target: int
    strategy: str = "gradual"
    step: int | None = None  # default: the profile's agents.update_parallelism
    settle: float | None = None  # default: the profile's agents.update_delay
    interval: float = DEFAULT_INTERVAL
    dry_run: bool = False
    force: bool = False
    limits: LineOptions = field(default_factory=LineOptions)
    project_name: str | None = None
    timeout: float | None = None
    plot: Path | None = None  # default: scale-SERVICE.png here (not on a dry run)


def parse_target(text: str) -> tuple[str, int]:
    """`agent=200` -> ("agent", 200)."""
    service, sep, count = text.partition("=")
    count = count.strip()
    if not sep or not service or not (count.isascii() and count.isdigit()):  # not "²", a digit to isdigit
        raise InputError(f"cannot read {text!r} as SERVICE=COUNT", fix="write it as agent=200")
    if len(count.lstrip("0")) > len(str(MAX_REPLICAS)) or int(count) > MAX_REPLICAS:  # no int() of 10^6 digits
        shown = count if len(count) <= 20 else f"a {len(count)}-digit number"
        raise InputError(
            f"{service.strip()}={shown}: COUNT is over {MAX_REPLICAS:,} replicas",
            fix=f"scale to at most {MAX_REPLICAS:,}",
        )
    return service.strip(), int(count)


@dataclass
class ScaleReport:
    project: str
    service: str
    strategy: str
    start: int
    target: int
    counts: list[int]
    lines: Lines
    budget: HostBudget
    expected: list[Expected] = field(default_factory=list)
    dry_run: bool = False
    steps: list[Step] = field(default_factory=list)
    final: int | None = None
    stopped_by: Breach | None = None
    stopped_at: int | None = None
    interrupted: bool = False
    plot: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def reached(self) -> bool:
        return not self.dry_run and self.final == self.target and self.stopped_by is None and not self.interrupted

    def block(self) -> dict[str, Any]:
        """The steps in the shape `plots.plot_steps` draws (the same as stress's)."""
        return {
            "service": self.service,
            "lines": self.lines.as_json(),
            "host": self.budget.as_json(),
            "marginal": {k: m.as_json() for k, m in marginals(self.steps).items()},
            "steps": [s.as_json(self.lines) for s in self.steps],
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "service": self.service,
            "strategy": self.strategy,
            "dry_run": self.dry_run,
            "from": self.start,
            "target": self.target,
            "counts": self.counts,
            "expected": [e.as_json() for e in self.expected],
            "reached": self.reached,
            "final": self.final,
            "stopped_at": self.stopped_at,
            "stopped_by": self.stopped_by.as_json() if self.stopped_by else None,
            "interrupted": self.interrupted,
            "plot": str(self.plot) if self.plot else None,
            "notes": self.notes,
            **{k: v for k, v in self.block().items() if k != "service"},
        }

    def text(self) -> str:
        if self.dry_run:
            head = f"scale {self.service} {self.start} -> {self.target} ({self.strategy}), dry run: nothing started"
            rows = [f"  {e.replicas:>5} replicas: {e.text()}" for e in self.expected]
            return "\n".join([head, *rows, *self.notes])
        lines = [f"scale {self.service} on {self.project}: {self.start} -> {self.target} ({self.strategy})"]
        for s in self.steps:
            lines.append(f"  {s.replicas:>5} replicas: {s.line_text(self.lines, self.budget, self.project)}")
        if self.reached:
            lines.append(f"scale: {self.service} is at {self.final} replicas, every service healthy")
        elif self.stopped_by is not None:
            lines.append(
                f"scale: stopped at {self.stopped_at} ({self.stopped_by.message}); back to {self.final} replicas"
            )
        elif self.interrupted:
            lines.append(f"scale: interrupted; {self.service} left at {self.final} replicas")
        lines += self.notes
        if self.plot is not None:
            lines.append(f"chart: {self.plot}")
        return "\n".join(lines)


def _check(request: ScaleRequest) -> None:
    """The options, checked before anything talks to the engine."""
    if request.strategy not in STRATEGIES:
        raise InputError(f"unknown strategy {request.strategy!r}", fix="use gradual or immediate")
    if request.target < 0:
        raise InputError(f"a negative count {request.target}", fix="write it as agent=200")
    if request.step is not None and request.step < 1:
        raise InputError(f"--step {request.step} is below 1", fix="move at least one replica per step")
    check_timing(request.interval, request.settle)
    request.limits.check()


def tier_note(planned: Planned, service: str, target: int) -> str | None:
    """For agents sized by the profile's tiers: when the tier for the target count differs from the
    one the overlay was rendered with, say so (new replicas get the overlay's limits, not the
    tier's: compose scales the service as it is declared)."""
    inputs = next((i for i in planned.inputs if i.name == service), None)
    profile = planned.profile.profile
    if inputs is None or inputs.role != "agent" or inputs.spec.memory is not None or not profile.agents.tiers:
        return None
    per_replica = inputs.spec.agents_per_replica
    rendered_agents = inputs.spec.agents or 1
    rendered, _ = tier_for(rendered_agents, profile)
    wanted, source = tier_for(target * per_replica, profile)
    if (wanted.memory, wanted.cpus) == (rendered.memory, rendered.cpus):
        return None
    return (
        f"at {target * per_replica} agents the tier is {human_bytes(wanted.memory)} and {wanted.cpus:g} cores per "
        f"agent ({source}); the overlay is sized for {rendered_agents} agents ({human_bytes(rendered.memory)}, "
        f"{rendered.cpus:g} cores): set agents: {target * per_replica} for {service} in composegen.yaml and "
        "re-render to size the replicas for that count"
    )


def _steps(request: ScaleRequest, planned: Planned, start: int) -> list[int]:
    if request.strategy == "immediate":
        return scale_counts(start, request.target, None)
    step = request.step or planned.profile.profile.agents.update_parallelism
    return scale_counts(start, request.target, step)


@contextmanager
def _files(planned: Planned, log: Callable[[str], None]) -> Iterator[tuple[Path, ...]]:
    """The stack's compose files: the base files and the overlay beside them (what `docker
    compose -f ... -f docker-compose.PROFILE.yml up` ran), else a freshly rendered one."""
    overlay = default_output(planned)
    if overlay.is_file():
        yield (*planned.project.compose_paths(), overlay)
        return
    log(f"no {overlay.name} beside the compose files: scaling with a freshly rendered overlay")
    with tempfile.TemporaryDirectory(prefix="composegen-scale-") as tmp:
        rendered = Path(tmp) / overlay.name
        rendered.write_text(render_planned(planned, rendered), encoding="utf-8")
        yield (*planned.project.compose_paths(), rendered)


def scale(request: ScaleRequest, log: Callable[[str], None], shown: Display | None = None) -> ScaleReport:
    """Scale (or, with dry_run, plan the steps); see the module docstring."""
    _check(request)
    client: Any = None
    try:
        client = connect()
        version: str | None = engine_info(client).version
    except EngineError:
        if not request.dry_run:
            raise
        version = None
    planned = plan(request.profile, request.project, request.cwd, docker_version=version)
    check_service(planned, request.service)
    budget, lines = resolve_limits(planned, client, request.limits)
    name = request.project_name or planned.base.name
    start, notes, states = 0, [], []
    if client is not None:
        with Sampler(client, name) as sampler:
            states = sampler.containers()
        start = sum(1 for s in states if s.service == request.service and s.running)
    else:
        notes.append("no engine answers: the steps are counted from 0 replicas")
    counts = _steps(request, planned, start)
    report = ScaleReport(
        name, request.service, request.strategy, start, request.target, counts, lines, budget, notes=notes
    )
    report.expected = [expected_totals(planned.stack, request.service, n, budget) for n in counts]
    room = fits_up_to(planned.stack, request.service, budget)
    if room is not None:
        report.notes.append(
            f"the plan's memory limits fit up to {room} replicas of {request.service} in the host budget "
            f"({budget.source})"
        )
    tier = tier_note(planned, request.service, request.target)
    if tier:
        report.notes.append(tier)
    if request.dry_run:
        report.dry_run = True
        return report
    target_fit = expected_totals(planned.stack, request.service, request.target, budget)
    if request.strategy == "immediate" and not target_fit.fits and not request.force:
        raise InputError(
            f"{request.service}={request.target} does not fit the host by the plan: {target_fit.text()}",
            fix="scale with --strategy gradual (it stops at the first line crossed), or pass --force",
        )
    if not states:
        raise InputError(
            f"no containers of compose project {name!r} on this engine",
            fix="start the stack first (docker compose up -d), or name its project with --project-name",
        )
    settle = request.settle if request.settle is not None else planned.profile.profile.agents.update_delay
    wait = request.timeout if request.timeout is not None else default_wait(planned.stack)
    display = shown or NullDisplay()
    with _files(planned, log) as files, Sampler(client, name) as sampler:
        project = ComposeProject(name, files, log=log)
        stepper = Stepper(
            project, sampler, Recorder(), request.service, lines, budget, settle, request.interval, wait,
            display, log, report.steps,
        )  # fmt: skip
        log(f"scale {request.service} on {name}: {start} -> {request.target} in {len(counts)} steps {counts}")
        _walk(stepper, report, counts, start)
        if report.interrupted:  # mid-step: count what is there
            report.final = sum(1 for c in sampler.containers() if c.service == request.service and c.running)
    plot = request.plot or Path(f"scale-{request.service}.png")
    plot = plot if plot.is_absolute() else request.cwd / plot
    try:
        report.plot = plot_steps(report.block(), plot, f"composegen scale: {request.service}")
    except PlotsUnavailable as err:
        report.notes.append(f"warning: {err}")
    return report


def _walk(stepper: Stepper, report: ScaleReport, counts: list[int], start: int) -> None:
    """The steps, and the way back to the last good count when one crosses a line."""
    good = start
    try:
        with interruptible(), stepper.display:
            if stepper.step(start, "current").breaches:
                report.final = start
                report.stopped_at, report.stopped_by = start, stepper.steps[-1].breaches[0]
                report.notes.append("the stack is over a line already: nothing was scaled")
                return
            for index, count in enumerate(counts, 1):
                step = stepper.step(count, f"step {index}/{len(counts)}")
                if step.breaches:
                    report.stopped_at, report.stopped_by = count, step.breaches[0]
                    stepper.log(f"{step.breaches[0].message}: back to {good} replicas")
                    stepper.step(good, "back")
                    report.final = good
                    return
                good = count
            report.final = good
    except KeyboardInterrupt:
        report.interrupted = True
        report.final = good
