"""`composegen stress`: find the most replicas of one service the host carries.

The stack starts (as calibrate starts it: the rendered overlay, a project of its own) with none of
the service's replicas: that baseline is measured first. Then replicas are added a batch at a time
with the real compose v2 (`up -d --no-recreate --scale SERVICE=N --wait`); each batch settles while
every container is sampled, and the step is judged against the lines (`lines.judge`: a container's
memory or CPU line, the host's, an OOM kill, a restart, a failed start). The first step that
crosses one ends the ramp: the count before it is the ceiling.

What it writes is a measurements file (`measurements.document`, read by
`composegen.sizing.measured`), so `render --measurements` sizes from it, with a `stress` block:
the ceiling, what stopped the ramp (container and metric), the marginal memory and CPU per added
replica as fitted lines with their spread, and every step. An interrupted or failed run keeps what
it measured (`partial: true`). The stack is always taken down.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from composegen.engine.client import EngineError
from composegen.engine.lines import Breach, HostBudget, LineOptions, Lines, budget_from, lines_from
from composegen.engine.live import Display, NullDisplay, short_name
from composegen.engine.measurements import (
    Recorder,
    RunInfo,
    check_output,
    document,
    partial_reason,
    start_measuring,
    write_json_atomic,
)
from composegen.engine.plots import PlotsUnavailable, plot_steps
from composegen.engine.project import ComposeProject, project_name, running, shielded
from composegen.engine.ramp import Step, fits_up_to, marginals, ramp_counts
from composegen.engine.sampler import Sampler
from composegen.engine.stepper import Stepper, check_timing
from composegen.engine.verify import default_wait
from composegen.errors import InputError
from composegen.render.overlay import Planned, render_planned
from composegen.units import human_bytes

#: The most replicas a ramp adds when --max is not given: it ends at the first line crossed anyway.
DEFAULT_MAXIMUM = 500
DEFAULT_SETTLE = 20.0
DEFAULT_INTERVAL = 2.0


@dataclass(frozen=True)
class StressRequest:
    profile: str
    project: Path | None
    cwd: Path
    service: str
    output: Path
    step: int = 5
    settle: float = DEFAULT_SETTLE
    interval: float = DEFAULT_INTERVAL
    maximum: int = DEFAULT_MAXIMUM
    limits: LineOptions = field(default_factory=LineOptions)  # the budget and lines the flags give
    project_name: str | None = None
    timeout: float | None = None  # up --wait, per step
    plot: Path | None = None  # default: the output beside it, .png
    force: bool = False  # overwrite an output that is not a measurements file


@dataclass
class StressReport:
    path: Path
    document: dict[str, Any]
    plot: Path | None = None
    plot_message: str = ""

    @property
    def stress(self) -> dict[str, Any]:
        block: dict[str, Any] = self.document.get("stress") or {}
        return block

    @property
    def partial(self) -> bool:
        return bool(self.document.get("partial"))

    def as_json(self) -> dict[str, Any]:
        return {
            "output": str(self.path),
            "plot": str(self.plot) if self.plot else None,
            "partial": self.partial,
            "partial_reason": self.document.get("partial_reason"),
            **{k: v for k, v in self.stress.items() if k != "steps"},
            "steps": [{k: v for k, v in s.items() if k != "containers"} for s in self.stress.get("steps") or ()],
        }

    def text(self) -> str:
        project = str((self.document.get("stack") or {}).get("project") or "")
        text = stress_text(
            self.stress, self.path, self.partial, self.document.get("partial_reason"), self.plot, project
        )
        return text + (f"\n{self.plot_message}" if self.plot_message else "")


def _check(request: StressRequest) -> None:
    """The options, checked before anything talks to the engine."""
    if request.step < 1:
        raise InputError(f"--step {request.step} is below 1", fix="add at least one replica per step")
    if request.maximum < request.step:
        raise InputError(f"--max {request.maximum} is below --step {request.step}", fix="raise --max")
    check_timing(request.interval, request.settle)
    request.limits.check()
    out = request.output if request.output.is_absolute() else request.cwd / request.output
    check_output(out, request.output, force=request.force)


def check_service(planned: Planned, service: str) -> None:
    if planned.stack.service(service) is None:
        names = ", ".join(s.name for s in planned.stack.services)
        raise InputError(f"no service {service!r} in the stack", fix=f"choose one of: {names}")


def engine_budget(client: Any) -> tuple[float | None, float | None]:
    """MemTotal and NCPU from `docker info`."""
    import docker.errors

    try:
        info = client.info()
    except docker.errors.DockerException as err:
        raise EngineError(f"the engine did not answer docker info: {err}") from None
    memory, cpus = info.get("MemTotal"), info.get("NCPU")
    return (float(memory) if memory else None, float(cpus) if cpus else None)


def resolve_limits(planned: Planned, client: Any, options: LineOptions) -> tuple[HostBudget, Lines]:
    """The host budget and the lines a run judges against (`client` None: no engine to ask)."""
    known = client is None or (options.host_memory is not None and options.host_cpus is not None)
    engine_memory, engine_cpus = (None, None) if known else engine_budget(client)
    budget = budget_from(
        options.host_memory,
        options.host_cpus,
        planned.project.project.host,
        engine_memory,
        engine_cpus,
        planned.project.host_source,
    )
    monitoring = planned.profile.profile.monitoring
    critical = monitoring.critical if monitoring else None
    return budget, lines_from(critical, options.memory_line, options.cpu_line, options.host_line)


def stopped_by(steps: list[Step]) -> tuple[int | None, Breach | None]:
    """The count of the step that crossed a line, and the breach named first."""
    for step in steps:
        if step.breaches:
            return step.replicas, step.breaches[0]
    return None, None


def ceiling(steps: list[Step]) -> int | None:
    """The most replicas of the last step before the first breach (None: the baseline crossed)."""
    good = None
    for step in steps:
        if step.breaches:
            break
        good = step.replicas
    return good


def stress_block(
    request: StressRequest, steps: list[Step], budget: HostBudget, lines: Lines, planned: Planned
) -> dict[str, Any]:
    """The `stress` block of the measurements file."""
    at, breach = stopped_by(steps)
    best = ceiling(steps)
    fits = fits_up_to(planned.stack, request.service, budget)
    plan_ = planned.stack.service(request.service)
    return {
        "service": request.service,
        "step": request.step,
        "settle_seconds": request.settle,
        "interval": request.interval,
        "maximum": request.maximum,
        "lines": lines.as_json(),
        "host": budget.as_json(),
        "planned": {
            "memory_limit": plan_.memory_limit.value if plan_ else None,
            "cpus": plan_.cpus.value if plan_ and plan_.cpus else None,
            "fits_by_limits": fits,
        },
        "ceiling": {
            "replicas": best,
            "reached": breach is not None,  # False: no line crossed up to the last step
            "stopped_at": at,
            "stopped_by": breach.as_json() if breach else None,
        },
        "marginal": {name: m.as_json() for name, m in marginals(steps).items()},
        "steps": [s.as_json(lines) for s in steps],
    }


def stress(request: StressRequest, log: Callable[[str], None], shown: Display | None = None) -> StressReport:
    """Ramp the service up until a line is crossed; write the measurements (also when interrupted:
    then the KeyboardInterrupt is raised again once the file is written and the stack is down)."""
    _check(request)
    output, client, engine, planned, inputs = start_measuring(
        request.profile, request.project, request.cwd, request.output
    )
    check_service(planned, request.service)
    budget, lines = resolve_limits(planned, client, request.limits)
    name = request.project_name or project_name(planned.project.root.name, "stress")
    wait = request.timeout if request.timeout is not None else default_wait(planned.stack)
    recorder = Recorder()
    display = shown or NullDisplay()
    started_wall, started = time.time(), time.monotonic()
    partial = ""
    steps: list[Step] = []
    doc: dict[str, Any] = {}

    def write() -> None:
        nonlocal doc
        run = RunInfo.of(planned, name, engine, (started_wall, started), request.interval, partial)
        doc = document(recorder, run, planned.stack)
        doc["stress"] = stress_block(request, steps, budget, lines, planned)
        with shielded():
            write_json_atomic(output, doc, inputs)
        log(f"measurements written to {output}" + (f" (partial: {partial})" if partial else ""))

    log(
        f"stress {request.service}: {request.step} replicas a step up to {request.maximum}, settle "
        f"{request.settle:g}s; lines: memory {lines.memory:.0%} and CPU {lines.cpu:.0%} of each container's "
        f"limits, host {lines.host_memory:.0%} of {_budget_text(budget)}"
    )
    with tempfile.TemporaryDirectory(prefix="composegen-stress-") as tmp:
        overlay = Path(tmp) / f"docker-compose.{planned.profile.profile.name}.yml"
        overlay.write_text(render_planned(planned, overlay), encoding="utf-8")
        files = (*planned.project.compose_paths(), overlay)
        try:
            with running(ComposeProject(name, files, log=log), client) as project, Sampler(client, name) as sampler:
                stepper = Stepper(
                    project, sampler, recorder, request.service, lines, budget, request.settle, request.interval,
                    wait, display, log, steps,
                )  # fmt: skip
                try:
                    with display:
                        counts = ramp_counts(request.step, request.maximum)
                        for count in counts:
                            label = "baseline" if count == 0 else f"step {len(steps)}/{len(counts) - 1}"
                            if stepper.step(count, label).breaches:
                                break
                except BaseException as err:
                    partial = partial_reason(err)
                    raise  # running() takes the stack down, as after an interruption
                finally:
                    write()
        except KeyboardInterrupt:
            if not doc:
                partial = "interrupted"
                write()
            raise
    report = StressReport(output, doc)
    plot = request.plot or output.with_suffix(".png")
    plot = plot if plot.is_absolute() else request.cwd / plot
    try:
        plot_steps(report.stress, plot, f"composegen stress: {request.service}")
        report.plot = plot
    except PlotsUnavailable as err:
        report.plot_message = f"warning: {err}"
    return report


def _budget_text(budget: HostBudget) -> str:
    memory = human_bytes(budget.memory) if budget.memory else "no memory budget"
    cpus = f"{budget.cpus:g} cores" if budget.cpus else "no CPU budget"
    return f"{memory} and {cpus} ({budget.source})"


def stress_text(
    block: dict[str, Any], path: Path, partial: bool, reason: object, plot: Path | None, project: str = ""
) -> str:
    """What a stress run found, for a person."""
    lines: list[str] = []
    header = (
        "STEP",
        "REPLICAS",
        "UP",
        "SETTLED",
        "SAMPLINGS",
        "STACK MEMORY",
        "STACK CPU",
        "CLOSEST TO ITS LINE",
        "VERDICT",
    )
    rows: list[tuple[str, ...]] = []
    for s in block.get("steps") or ():
        closest = s.get("closest_to_its_line")
        rows.append(
            (
                str(s["index"]),
                str(s["replicas"]),
                "failed" if s.get("healthy_after_seconds") is None else f"{s['healthy_after_seconds']:.1f}s",
                f"{s.get('settle_seconds', 0.0):.1f}s",
                f"{s.get('ticks', 0)} in {s.get('sample_seconds', 0.0):.2f}s",
                human_bytes(s["memory_total"]),
                "unknown" if s["cpu_total"] is None else f"{s['cpu_total']:.2f}",
                f"{short_name(closest['container'], project)} {closest['share_of_line']:.0%}" if closest else "-",
                "ok" if s["ok"] else s["breaches"][0]["kind"],
            )
        )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines += ["  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in [header, *rows]]
    service = block.get("service")
    top = block.get("ceiling") or {}
    if top.get("reached") and top.get("replicas") is None:
        lines.append(
            f"ceiling: none: with no replicas of {service} the stack is over a line already "
            f"({top['stopped_by']['message']})"
        )
    elif top.get("reached"):
        stop = top["stopped_by"]
        lines.append(
            f"ceiling: {top['replicas']} replicas of {service} (stopped at {top['stopped_at']}: {stop['message']})"
        )
    elif rows:
        lines.append(f"ceiling: not reached: no line crossed up to {block['steps'][-1]['replicas']} replicas")
    for m in (block.get("marginal") or {}).values():
        lines.append(_marginal_text(m))
    if partial:
        lines.append(f"stress: PARTIAL run ({reason}): what was measured is kept")
    if plot is not None:
        lines.append(f"chart: {plot}")
    lines.append(f"stress: written to {path}")
    return "\n".join(lines)


def _marginal_text(m: dict[str, Any]) -> str:
    low, high = m["ci"]
    conf = f"{m['confidence']:.0%} CI"
    if m["unit"] == "bytes":
        return (
            f"per added replica, {m['what']}: {human_bytes(m['per_replica'])} ({conf} {human_bytes(max(0.0, low))} "
            f"to {human_bytes(high)}, residual spread {human_bytes(m['residual_sd'])}, {m['steps']} steps)"
        )
    return (
        f"per added replica, {m['what']}: {m['per_replica']:.3f} cores ({conf} {low:.3f} to {high:.3f}, "
        f"residual spread {m['residual_sd']:.3f}, {m['steps']} steps)"
    )
