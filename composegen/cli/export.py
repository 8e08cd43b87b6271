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
    """The files written (stdout), then what the user should know about them (stderr)."""
    for path in paths:
        typer.echo(str(path))
    for note in notes:
        typer.echo(f"composegen: {note}", err=True)


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
        from composegen.export.k8s import export_k8s, k8s_json, secret_note, stale_files, stream_text, write_manifests
        from composegen.render.overlay import plan, read_files
        from composegen.writer import refuse_empty_output

        refuse_empty_output(output)
        if output == "-" and fmt is OutputFormat.json:
            raise InputError("--format json reports the files written", fix="write them into a folder: -o k8s/")
        planned = plan(profile, project, Path.cwd())
        exported = export_k8s(planned)
        written: list[Path] = []
        stale: list[Path] = []
        if output == "-":
            typer.echo(stream_text(exported), nl=False)
        else:
            written = write_manifests(
                exported, Path(output), force=force, inputs=read_files(planned), root=planned.project.root
            )
            stale = stale_files(Path(output), written)
        if fmt is OutputFormat.json:
            _echo_json(k8s_json(exported, [str(p) for p in written], [str(p) for p in stale]))
            return EXIT_OK
        notes = [f"not mapped: {n.service}: {n.what}: {n.why}" for n in exported.unmapped]
        notes += [f"warning: {p} is from an earlier export of a service the stack no longer has" for p in stale]
        notes += [note for note in [secret_note(exported)] if note]
        _print_written(written, notes)
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
        from composegen.export.env_tiers import export_tiers, tiers_json, write_tiers
        from composegen.render.overlay import plan, read_files

        planned = plan(profile, project, Path.cwd())
        names = [t.strip() for t in tiers.split(",") if t.strip()] if tiers is not None else None
        exported = export_tiers(planned, names, output)
        written = write_tiers(exported, force=force, inputs=read_files(planned), root=planned.project.root)
        if fmt is OutputFormat.json:
            _echo_json(tiers_json(exported, [str(p) for p in written]))
            return EXIT_OK
        _print_written(written, [f"warning: {w}" for w in exported.warnings])
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
        from composegen.export.alerts import PLATFORMS, alert_rules, rules_json, rules_text
        from composegen.export.output import write_export
        from composegen.render.overlay import plan, read_files
        from composegen.writer import refuse_empty_output

        refuse_empty_output(output)
        planned = plan(profile, project, Path.cwd())
        chosen = next(p for p in PLATFORMS if p == platform.value)
        rules = alert_rules(planned.stack, planned.profile.profile.monitoring, planned.base.name or "default", chosen)
        text = rules_text(rules, planned.profile.profile.name, planned.digest)
        if output != "-":
            write_export(Path(output), text, force=force, inputs=read_files(planned), root=planned.project.root)
        if fmt is OutputFormat.json:
            _echo_json(rules_json(rules, None if output == "-" else output))
            return EXIT_OK
        typer.echo(text if output == "-" else output, nl=output != "-")
        for item in rules.skipped:
            typer.echo(f"composegen: no {item.what} for {item.service}: {item.why}", err=True)
        return EXIT_OK

    run(body)


def register(app: typer.Typer) -> None:
    """Add `composegen export` and its commands to `app`."""
    app.add_typer(export_app, name="export")
