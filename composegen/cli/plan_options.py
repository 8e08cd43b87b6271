"""The command `composegen plan`, declared once (`PLAN`) for typer (composegen.cli.plan) and for the
fast path (composegen.cli.table), and its body, which prints with `echo` rather than typer's, so
that a plainly valid command line runs without typer."""

from __future__ import annotations

import json
from pathlib import Path

from composegen.cli.common_options import FORMAT, MEASUREMENTS, PROFILE, PROJECT
from composegen.cli.run import echo
from composegen.cli.table import Command, Opt


def plan_command(
    *,
    profile: str,
    project: Path | None,
    hosts: list[str] | None,
    agents: int | None,
    per_agent: str | None,
    step: int | None,
    measurements: Path | None,
    fmt: str,
) -> int:
    """The `plan` command: parsed options -> the exit code."""
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
    echo(json.dumps(to_json(result), indent=2) if fmt == "json" else text(result), nl=False)
    if fmt == "json":
        echo()
    return EXIT_OK if result.fits else EXIT_FINDINGS


PLAN = Command(
    """How many hosts the stack needs under PROFILE, which replicas go where, a scale-up schedule,
and what Docker Desktop must be given.

Exit 0 when it fits the hosts given, 1 when it needs more, 2 when a single replica is larger
than every host.""",
    (
        PROFILE,
        PROJECT,
        Opt(
            "hosts",
            ("--host",),
            "A machine as MEMORY/CPUS[/RESERVE][+Ngpu], e.g. 64g/16 or 256g/32+4gpu (repeat for several "
            "machines; the last size is added while the stack does not fit). Default: composegen.yaml's host.",
            "many",
        ),
        Opt("agents", ("--agents",), "Agents of every agent service (default: composegen.yaml).", minimum=1),
        Opt(
            "per_agent",
            ("--per-agent",),
            "MEMORY/CPUS of one agent, e.g. 128m/0.1, in place of the profile's agent tiers.",
        ),
        Opt("step", ("--step",), "Agents added per step of the schedule (default: the profile's).", minimum=1),
        MEASUREMENTS,
        FORMAT,
    ),
    None,
    plan_command,
)
