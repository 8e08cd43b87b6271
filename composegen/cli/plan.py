"""`composegen plan`: hosts needed, placement and scale-up schedule for a stack (issue 5).

Registered on the app by `register`; each command imports its heavy parts only when it runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from composegen.cli.options import FormatOpt, OutputFormat, ProfileOpt, ProjectOpt
from composegen.cli.run import run


def plan(
    profile: ProfileOpt,
    project: ProjectOpt = None,
    hosts: Annotated[
        list[str] | None,
        typer.Option(
            "--host",
            help="A machine as MEMORY/CPUS[/RESERVE][+Ngpu], e.g. 64g/16 or 256g/32+4gpu (repeat for several "
            "machines; the last size is added while the stack does not fit). Default: composegen.yaml's host.",
        ),
    ] = None,
    agents: Annotated[
        int | None, typer.Option("--agents", min=1, help="Agents of every agent service (default: composegen.yaml).")
    ] = None,
    per_agent: Annotated[
        str | None,
        typer.Option(
            "--per-agent", help="MEMORY/CPUS of one agent, e.g. 128m/0.1, in place of the profile's agent tiers."
        ),
    ] = None,
    step: Annotated[
        int | None,
        typer.Option("--step", min=1, help="Agents added per step of the schedule (default: the profile's)."),
    ] = None,
    measurements: Annotated[
        Path | None,
        typer.Option("--measurements", help="A file `composegen calibrate` wrote: measured values replace estimates."),
    ] = None,
    fmt: FormatOpt = OutputFormat.text,
) -> None:
    """How many hosts the stack needs under PROFILE, which replicas go where, a scale-up schedule,
    and what Docker Desktop must be given.

    Exit 0 when it fits the hosts given, 1 when it needs more, 2 when a single replica is larger
    than every host.
    """

    def body() -> int:
        from composegen.errors import EXIT_FINDINGS, EXIT_OK
        from composegen.plan.capacity import PlanRequest, build_plan
        from composegen.plan.report import text, to_json

        request = PlanRequest(
            profile=profile,
            project=project,
            cwd=Path.cwd(),
            hosts=tuple(hosts or ()),
            agents=agents,
            per_agent=per_agent,
            step=step,
            measurements=measurements,
        )
        result = build_plan(request)
        typer.echo(json.dumps(to_json(result), indent=2) if fmt is OutputFormat.json else text(result), nl=False)
        if fmt is OutputFormat.json:
            typer.echo()
        return EXIT_OK if result.fits else EXIT_FINDINGS

    run(body)


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command("plan")(plan)
