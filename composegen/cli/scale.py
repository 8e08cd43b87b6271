"""`composegen stress` and `composegen scale` on a real engine (issue 6).

Registered on the app by `register`; each command imports its heavy parts only when it runs.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from composegen.cli.options import FormatOpt, OutputFormat, ProfileOpt, ProjectOpt, seconds
from composegen.cli.run import run

if TYPE_CHECKING:
    from composegen.engine.lines import LineOptions

HostMemoryOpt = Annotated[
    str | None,
    typer.Option(
        "--host-memory",
        help="Memory the stack may use on the host, e.g. 6g (default: composegen.yaml host.memory − "
        "host.reserve, else the engine's total).",
    ),
]
HostCpusOpt = Annotated[
    float | None,
    typer.Option(
        "--host-cpus", help="Cores the stack may use (default: composegen.yaml host.cpus, else the engine's)."
    ),
]
MemoryLineOpt = Annotated[
    float | None,
    typer.Option("--memory-line", help="A container's line, share of its memory limit (default: the profile's "
                 "critical line, 0.9)."),
]  # fmt: skip
CpuLineOpt = Annotated[
    float | None,
    typer.Option("--cpu-line", help="A container's line, share of its CPU limit: 0.9 of 1.5 cores is 1.35."),
]
HostLineOpt = Annotated[
    float | None, typer.Option("--host-line", help="The host's line, share of the host budget (memory and CPU).")
]
IntervalOpt = Annotated[str, typer.Option("--interval", help="Time between samples while a step settles.")]
ProjectNameOpt = Annotated[str | None, typer.Option("--project-name", help="The compose project.")]
TimeoutOpt = Annotated[
    float | None,
    typer.Option("--timeout", min=1, help="Seconds `up --wait` may take per step (default: from the healthchecks)."),
]
PlotOpt = Annotated[Path | None, typer.Option("--plot", help="Where to write the PNG chart of the steps.")]
LiveOpt = Annotated[bool | None, typer.Option("--live/--no-live", help="The live table (default: on a terminal).")]


class Strategy(str, Enum):
    gradual = "gradual"
    immediate = "immediate"


def _bytes(text: str | None, what: str) -> float | None:
    from composegen.units import parse_bytes

    return None if text is None else float(parse_bytes(text, what=what))


def _limits(
    host_memory: str | None,
    host_cpus: float | None,
    memory_line: float | None,
    cpu_line: float | None,
    host_line: float | None,
) -> LineOptions:
    from composegen.engine.lines import LineOptions

    return LineOptions(_bytes(host_memory, "--host-memory"), host_cpus, memory_line, cpu_line, host_line)


def _log(line: str) -> None:
    typer.echo(f"composegen: {line}", err=True)


def stress(
    profile: ProfileOpt,
    service: Annotated[str, typer.Option("--service", "-s", help="The service to add replicas of.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The measurements file to write (JSON).")],
    step: Annotated[int, typer.Option("--step", help="Replicas added per step.")] = 5,
    settle: Annotated[str, typer.Option("--settle", help="How long each step settles, sampled.")] = "20s",
    maximum: Annotated[int, typer.Option("--max", help="Stop adding at this many replicas.")] = 500,
    project: ProjectOpt = None,
    host_memory: HostMemoryOpt = None,
    host_cpus: HostCpusOpt = None,
    memory_line: MemoryLineOpt = None,
    cpu_line: CpuLineOpt = None,
    host_line: HostLineOpt = None,
    interval: IntervalOpt = "2s",
    project_name: ProjectNameOpt = None,
    timeout: TimeoutOpt = None,
    plot: PlotOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an output file that is not a measurements file.")
    ] = False,
    fmt: FormatOpt = OutputFormat.text,
    live: LiveOpt = None,
) -> None:
    """Find the most replicas of SERVICE the host carries: add them STEP at a time from none until a line is crossed.

    The stack starts under a project of its own with the PROFILE overlay and no replicas of SERVICE
    (the baseline); each step scales it with compose v2, settles, samples every container, and stops
    at the first container memory or CPU line, host line, OOM kill or restart. Writes a measurements
    file (`render --measurements` reads it) with the ceiling, what stopped it, the memory and CPU per
    added replica (a fitted line with its spread) and every step; a PNG chart beside it. The stack is
    always taken down; an interrupted run keeps what it measured.
    """

    def body() -> int:
        from composegen.engine.live import display
        from composegen.engine.stress import StressRequest
        from composegen.engine.stress import stress as do_stress
        from composegen.errors import EXIT_FINDINGS, EXIT_OK

        request = StressRequest(
            profile=profile,
            project=project,
            cwd=Path.cwd(),
            service=service,
            output=output,
            step=step,
            settle=seconds(settle, "--settle") or 0.0,
            interval=seconds(interval, "--interval") or 0.0,
            maximum=maximum,
            limits=_limits(host_memory, host_cpus, memory_line, cpu_line, host_line),
            project_name=project_name,
            timeout=timeout,
            plot=plot,
            force=force,
        )
        report = do_stress(request, _log, display(f"composegen stress: {service}", live))
        typer.echo(json.dumps(report.as_json(), indent=2) if fmt is OutputFormat.json else report.text())
        return EXIT_FINDINGS if report.partial else EXIT_OK

    run(body)


def scale(
    target: Annotated[str, typer.Argument(help="SERVICE=COUNT, e.g. agent=200.", show_default=False)],
    profile: ProfileOpt,
    strategy: Annotated[
        Strategy, typer.Option("--strategy", help="gradual (in steps) or immediate (at once).")
    ] = Strategy.gradual,
    step: Annotated[
        int | None, typer.Option("--step", help="Replicas per step (default: the profile's agents.update_parallelism).")
    ] = None,
    settle: Annotated[
        str | None, typer.Option("--settle", help="How long each step settles (default: agents.update_delay).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the steps with the plan's totals; start nothing.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="With immediate: scale even where the plan says the host is too small.")
    ] = False,
    project: ProjectOpt = None,
    host_memory: HostMemoryOpt = None,
    host_cpus: HostCpusOpt = None,
    memory_line: MemoryLineOpt = None,
    cpu_line: CpuLineOpt = None,
    host_line: HostLineOpt = None,
    interval: IntervalOpt = "2s",
    project_name: Annotated[
        str | None,
        typer.Option("--project-name", help="The running stack's compose project (default: as compose names it)."),
    ] = None,
    timeout: TimeoutOpt = None,
    plot: PlotOpt = None,
    fmt: FormatOpt = OutputFormat.text,
    live: LiveOpt = None,
) -> None:
    """Move a running stack's SERVICE to COUNT replicas, in steps, stopping before the host gives out.

    After each step (compose v2 `up --scale --no-recreate --wait`) it waits for health, settles and
    samples every container; at a line crossed, an OOM kill or a restart it stops and goes back to
    the last good count. Exit 0 when COUNT was reached, 1 when it stopped short.
    """

    def body() -> int:
        from composegen.engine.live import display
        from composegen.engine.scale import ScaleRequest, parse_target
        from composegen.engine.scale import scale as do_scale
        from composegen.errors import EXIT_FINDINGS, EXIT_OK

        service, count = parse_target(target)
        request = ScaleRequest(
            profile=profile,
            project=project,
            cwd=Path.cwd(),
            service=service,
            target=count,
            strategy=strategy.value,
            step=step,
            settle=seconds(settle, "--settle"),
            interval=seconds(interval, "--interval") or 0.0,
            dry_run=dry_run,
            force=force,
            limits=_limits(host_memory, host_cpus, memory_line, cpu_line, host_line),
            project_name=project_name,
            timeout=timeout,
            plot=plot,
        )
        shown = display(f"composegen scale: {service}", False if dry_run else live)
        report = do_scale(request, _log, shown)
        typer.echo(json.dumps(report.as_json(), indent=2) if fmt is OutputFormat.json else report.text())
        return EXIT_OK if report.dry_run or report.reached else EXIT_FINDINGS

    run(body)


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command()(stress)
    app.command()(scale)
