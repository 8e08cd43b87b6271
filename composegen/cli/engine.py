"""The commands that run on a real Docker Engine (verify, calibrate, watch): registered on the app by
`register`. Each imports the engine code, and with it the docker SDK, only when it runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from composegen.cli.options import FormatOpt, OutputFormat, ProfileOpt, ProjectOpt, seconds
from composegen.cli.run import run


def verify(
    profile: ProfileOpt,
    project: ProjectOpt = None,
    files: Annotated[
        list[Path] | None,
        typer.Option(
            "--file",
            "-f",
            help="A compose file applied after the overlay (repeatable), as `docker compose -f` would: "
            "what it changes shows up as a mismatch.",
        ),
    ] = None,
    project_name: Annotated[
        str | None,
        typer.Option("--project-name", help="The compose project to run as (default: composegen-verify-DIR-HEX)."),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", min=1, help="Seconds `up --wait` may take (default: from the healthchecks)."),
    ] = None,
    fmt: FormatOpt = OutputFormat.text,
) -> None:
    """Start the stack with the PROFILE overlay on a real engine and check what each container got,
    and what each database server runs with (the settings composegen wrote, asked of the server).

    Exit 1 on any mismatch or unhealthy service. The stack is always taken down, on Ctrl-C too.
    """

    def body() -> int:
        from composegen.engine.verify import VerifyRequest, report_json
        from composegen.engine.verify import verify as do_verify
        from composegen.errors import EXIT_FINDINGS, EXIT_OK

        request = VerifyRequest(
            profile=profile,
            project=project,
            cwd=Path.cwd(),
            extra_files=tuple(files or ()),
            project_name=project_name,
            timeout=timeout,
        )
        report = do_verify(request, lambda line: typer.echo(f"composegen: {line}", err=True))
        typer.echo(report_json(report) if fmt is OutputFormat.json else report.text())
        return EXIT_OK if report.ok else EXIT_FINDINGS

    run(body)


def calibrate(
    profile: ProfileOpt,
    output: Annotated[Path, typer.Option("--output", "-o", help="The measurements file to write (JSON).")],
    command: Annotated[
        list[str] | None,
        typer.Argument(
            help="After `--`: a command to sample during (its exit code is recorded); the stack's project "
            "is in its COMPOSE_PROJECT_NAME and COMPOSE_FILE.",
            show_default=False,
        ),
    ] = None,
    project: ProjectOpt = None,
    duration: Annotated[
        str | None,
        typer.Option("--duration", help="How long to sample (default 10m); with a COMMAND, the most it may run."),
    ] = None,
    interval: Annotated[str, typer.Option("--interval", help="Time between samples (0.5s or more).")] = "2s",
    drain: Annotated[str, typer.Option("--drain", help="A drain phase after the active one (e.g. 30s).")] = "0s",
    drain_interval: Annotated[
        str | None, typer.Option("--drain-interval", help="Time between samples while draining.")
    ] = None,
    cooldown: Annotated[
        str,
        typer.Option("--cooldown", help="A cooldown phase at the end: is memory released or retained? (e.g. 1m)"),
    ] = "0s",
    cooldown_interval: Annotated[
        str | None, typer.Option("--cooldown-interval", help="Time between samples in cooldown.")
    ] = None,
    leak_horizon: Annotated[
        str,
        typer.Option("--leak-horizon", help="A growing slope is a leak only if it reaches the limit within this."),
    ] = "24h",
    plots: Annotated[
        Path | None, typer.Option("--plots", help="Write a PNG per service into this folder (needs matplotlib).")
    ] = None,
    files: Annotated[
        list[Path] | None,
        typer.Option("--file", "-f", help="A compose file applied after the overlay (repeatable)."),
    ] = None,
    project_name: Annotated[
        str | None,
        typer.Option("--project-name", help="The compose project to run as (default: composegen-calibrate-DIR-HEX)."),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", min=1, help="Seconds `up --wait` may take (default: from the healthchecks)."),
    ] = None,
    live: Annotated[
        bool | None,
        typer.Option("--live/--no-live", help="The live table (default: on a terminal, when no COMMAND runs)."),
    ] = None,
    previous: Annotated[
        Path | None,
        typer.Option(
            "--previous",
            help="Carry the OOM kills this earlier measurements file saw (default: the --output file, if any).",
        ),
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Carry no OOM kills of earlier runs: start the history over.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an output file that is not a measurements file.")
    ] = False,
) -> None:
    """Start the stack with the PROFILE overlay, sample every container, and write what was measured.

    Working set, the cgroup's high-water mark, CPU and pids per container; OOM kills, and those of
    earlier runs (a recommendation stays above a limit that killed a service); per service
    p50/p90/p95/peak, a leak verdict.

    `composegen render --measurements FILE` sizes from the file. Exit 1 when the command failed, a
    container was OOM-killed or the run is partial. The stack is always taken down; an interrupted
    run keeps what it measured, marked partial.
    """

    def body() -> int:
        from composegen.engine.calibrate import CalibrateRequest
        from composegen.engine.calibrate import calibrate as do_calibrate
        from composegen.engine.live import display
        from composegen.engine.statistics import LEAK_HORIZON
        from composegen.errors import EXIT_FINDINGS, EXIT_OK

        argv = tuple(command or ())
        request = CalibrateRequest(
            profile=profile,
            project=project,
            cwd=Path.cwd(),
            output=output,
            duration=seconds(duration, "--duration"),
            interval=seconds(interval, "--interval") or 0.0,
            drain=seconds(drain, "--drain") or 0.0,
            drain_interval=seconds(drain_interval, "--drain-interval"),
            cooldown=seconds(cooldown, "--cooldown") or 0.0,
            cooldown_interval=seconds(cooldown_interval, "--cooldown-interval"),
            command=argv,
            extra_files=tuple(files or ()),
            project_name=project_name,
            timeout=timeout,
            horizon=seconds(leak_horizon, "--leak-horizon") or LEAK_HORIZON,
            plots=plots,
            previous=previous,
            fresh=fresh,
            force=force,
        )
        shown = display("composegen calibrate", live if live is not None else (None if not argv else False))
        report = do_calibrate(request, lambda line: typer.echo(f"composegen: {line}", err=True), shown)
        typer.echo(report.text())
        return EXIT_OK if report.ok else EXIT_FINDINGS

    run(body)


def watch(
    profile: ProfileOpt,
    project: ProjectOpt = None,
    auto_adjust: Annotated[
        bool,
        typer.Option(
            "--auto-adjust", help="Raise a container's memory limit by 20% when it crosses the critical line."
        ),
    ] = False,
    interval: Annotated[str, typer.Option("--interval", help="Time between samples (0.5s or more).")] = "2s",
    duration: Annotated[
        str | None, typer.Option("--duration", help="How long to watch (default: until Ctrl-C).")
    ] = None,
    maximum: Annotated[
        str | None,
        typer.Option(
            "--maximum",
            help="Never raise a limit above this (default: the profile's memory.maximum, else twice the limit).",
        ),
    ] = None,
    up: Annotated[
        bool,
        typer.Option(
            "--up", help="Start the stack with the PROFILE overlay first (its own project; taken down after)."
        ),
    ] = False,
    project_name: Annotated[
        str | None,
        typer.Option(
            "--project-name", help="The compose project to watch (default: the stack's, as compose names it)."
        ),
    ] = None,
    files: Annotated[
        list[Path] | None,
        typer.Option("--file", "-f", help="With --up: a compose file applied after the overlay (repeatable)."),
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="text or json (the report at the end).")
    ] = OutputFormat.text,
    live: Annotated[
        bool | None, typer.Option("--live/--no-live", help="The live table (default: on a terminal).")
    ] = None,
) -> None:
    """Watch the running stack's memory against its limits: warning and critical alerts, optional raises.

    Thresholds come from the profile's monitoring block (80% and 90% by default). With --auto-adjust a
    container crossing the critical line gets its limit raised through the Engine API by 20%, never above
    the maximum; every change is logged, and at the end the overlay change that would keep them is
    printed. Exit 1 when the kernel OOM-killed in a container.
    """

    def body() -> int:
        from composegen.engine.live import display
        from composegen.engine.watch import WatchRequest
        from composegen.engine.watch import watch as do_watch
        from composegen.errors import EXIT_FINDINGS, EXIT_OK
        from composegen.units import parse_bytes

        request = WatchRequest(
            profile=profile,
            project=project,
            cwd=Path.cwd(),
            auto_adjust=auto_adjust,
            interval=seconds(interval, "--interval") or 0.0,
            duration=seconds(duration, "--duration"),
            up=up,
            project_name=project_name,
            maximum=parse_bytes(maximum, what="--maximum") if maximum is not None else None,
            extra_files=tuple(files or ()),
        )
        report = do_watch(
            request, lambda line: typer.echo(f"composegen: {line}", err=True), display("composegen watch", live)
        )
        typer.echo(json.dumps(report.as_json(), indent=2) if fmt is OutputFormat.json else report.text())
        return EXIT_FINDINGS if report.ooms else EXIT_OK

    run(body)


def register(app: typer.Typer) -> None:
    """Add the engine commands to `app`."""
    app.command()(verify)
    app.command()(calibrate)
    app.command()(watch)
