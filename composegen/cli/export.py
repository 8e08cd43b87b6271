"""`composegen export k8s|env|alerts`: the derived numbers for other engines and monitors (issue 5).

Registered on the app by `register`; each command imports its heavy parts only when it runs. `export
k8s` is generated (composegen.cli.typed) from `K8S` (composegen.cli.export_options), the declaration
its fast path reads too.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from composegen.cli.export_options import FORCE, K8S, echo_json, print_written
from composegen.cli.options import FormatOpt, OutputFormat, ProfileOpt, ProjectOpt
from composegen.cli.run import echo, run
from composegen.cli.typed import typer_command

export_app = typer.Typer(
    help="The derived numbers for Kubernetes, per-tier .env files and Prometheus alert rules.",
    no_args_is_help=True,
)

ForceOpt = Annotated[bool, typer.Option(*FORCE.flags, help=FORCE.help)]


class AlertPlatform(str, Enum):
    compose = "compose"
    kubernetes = "kubernetes"


export_app.command("k8s")(typer_command(K8S))


@export_app.command("env")
def env(
    profile: ProfileOpt,
    tiers: Annotated[
        str | None,
        typer.Option("--tiers", help="Comma-separated tier names (default: every tier the profile defines)."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The folder to write into (default: beside the first compose file)."),
    ] = None,
    project: ProjectOpt = None,
    force: ForceOpt = False,
    fmt: FormatOpt = OutputFormat.text,
) -> None:
    """An overlay whose limits read ${SERVICE_MEMORY_LIMIT:-default} and one .env.TIER per tier,
    each tier planned by the calculators with that tier's inputs. Use it as
    `docker compose --env-file .env.TIER -f docker-compose.yml -f docker-compose.PROFILE.tiers.yml up`."""

    def body() -> int:
        from composegen.errors import EXIT_OK
        from composegen.export.run import ExportRequest, export_env_tiers

        names = [t.strip() for t in tiers.split(",") if t.strip()] if tiers is not None else None
        request = ExportRequest(profile, project, Path.cwd(), str(output) if output is not None else None, force)
        outcome = export_env_tiers(request, names)
        if fmt is OutputFormat.json:
            echo_json(outcome.as_json())
            return EXIT_OK
        print_written(outcome.written, outcome.notes())
        return EXIT_OK

    run(body)


@export_app.command("alerts")
def alerts(
    profile: ProfileOpt,
    output: Annotated[str, typer.Option("--output", "-o", help="The rules file to write; `-` for stdout.")] = "-",
    project: ProjectOpt = None,
    platform: Annotated[
        AlertPlatform,
        typer.Option(
            "--platform",
            help="compose: cAdvisor on the Docker host; kubernetes: the kubelet's cAdvisor and kube-state-metrics.",
        ),
    ] = AlertPlatform.compose,
    force: ForceOpt = False,
    fmt: FormatOpt = OutputFormat.text,
) -> None:
    """Prometheus alert rules for each service's planned limits: memory warning and critical, CPU,
    OOM kill and a predict_linear leak alert; thresholds from the profile's monitoring block."""

    def body() -> int:
        from composegen.errors import EXIT_OK
        from composegen.export.run import ExportRequest, export_alerts

        outcome = export_alerts(ExportRequest(profile, project, Path.cwd(), output, force), platform.value)
        if fmt is OutputFormat.json:
            echo_json(outcome.as_json())
            return EXIT_OK
        echo(outcome.text if outcome.to_stdout else outcome.output, nl=not outcome.to_stdout)
        for note in outcome.notes():
            echo(f"composegen: {note}", err=True)
        return EXIT_OK

    run(body)


def register(app: typer.Typer) -> None:
    """Add `composegen export` and its commands to `app`."""
    app.add_typer(export_app, name="export")
