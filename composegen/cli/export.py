"""`composegen export k8s|env|alerts`: the derived numbers for other engines and monitors (issue 5).

Registered on the app by `register`; each command imports its heavy parts only when it runs.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from composegen.cli.options import FormatOpt, OutputFormat, ProfileOpt, ProjectOpt
from composegen.cli.run import run

export_app = typer.Typer(
    help="The derived numbers for Kubernetes, per-tier .env files and Prometheus alert rules.",
    no_args_is_help=True,
)

ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite files that no composegen export wrote.")]


class AlertPlatform(str, Enum):
    compose = "compose"
    kubernetes = "kubernetes"


def _echo_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2))


def _print_written(paths: list[Path], notes: list[str]) -> None:
    """The files written (stdout), then what the user should know about them (stderr): each as
    one write (a line each was 22,000 writes for `export k8s` of 7,500 services)."""
    if paths:
        typer.echo("\n".join(map(str, paths)))
    if notes:
        typer.echo("\n".join(f"composegen: {note}" for note in notes), err=True)


@export_app.command("k8s")
def k8s(
    profile: ProfileOpt,
    output: Annotated[
        str, typer.Option("--output", "-o", help="A folder for one file per service; `-` for one stream on stdout.")
    ],
    project: ProjectOpt = None,
    force: ForceOpt = False,
    fmt: FormatOpt = OutputFormat.text,
) -> None:
    """Kubernetes manifests for the PROFILE plan: Deployments (StatefulSets for databases), Services,
    HorizontalPodAutoscalers. What has no Kubernetes form is listed, never dropped silently."""

    def body() -> int:
        from composegen.errors import EXIT_OK, InputError
        from composegen.export.run import ExportRequest, export_k8s_files

        if output == "-" and fmt is OutputFormat.json:
            raise InputError("--format json reports the files written", fix="write them into a folder: -o k8s/")
        outcome = export_k8s_files(ExportRequest(profile, project, Path.cwd(), output, force))
        if fmt is OutputFormat.json:
            _echo_json(outcome.as_json())
            return EXIT_OK
        if outcome.stream is not None:
            typer.echo(outcome.stream, nl=False)
        _print_written(outcome.written, outcome.notes())
        return EXIT_OK

    run(body)


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
            _echo_json(outcome.as_json())
            return EXIT_OK
        _print_written(outcome.written, outcome.notes())
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
            _echo_json(outcome.as_json())
            return EXIT_OK
        typer.echo(outcome.text if outcome.to_stdout else outcome.output, nl=not outcome.to_stdout)
        for note in outcome.notes():
            typer.echo(f"composegen: {note}", err=True)
        return EXIT_OK

    run(body)


def register(app: typer.Typer) -> None:
    """Add `composegen export` and its commands to `app`."""
    app.add_typer(export_app, name="export")
