"""The command `composegen export k8s`, declared once (`K8S`) for typer (composegen.cli.export) and
for the fast path (composegen.cli.table), its body, and the printing the other export commands share:
with `echo` rather than typer's, so that a plainly valid command line runs without typer."""

from __future__ import annotations

import json
from pathlib import Path

from composegen.cli.common_options import FORMAT, PROFILE, PROJECT
from composegen.cli.run import echo
from composegen.cli.table import Command, Opt
from composegen.errors import EXIT_OK

FORCE = Opt("force", ("--force",), "Overwrite files that no composegen export wrote.", "flag")


def echo_json(data: object) -> None:
    echo(json.dumps(data, indent=2))


def print_written(paths: list[Path], notes: list[str]) -> None:
    """The files written (stdout), then what the user should know about them (stderr): each as
    one write (a line each was 22,000 writes for `export k8s` of 7,500 services)."""
    if paths:
        echo("\n".join(map(str, paths)))
    if notes:
        echo("\n".join(f"composegen: {note}" for note in notes), err=True)


def k8s_command(*, profile: str, output: str, project: Path | None, force: bool, fmt: str) -> int:
    """The `export k8s` command: parsed options -> the exit code."""
    from composegen.errors import InputError
    from composegen.export.run import ExportRequest, export_k8s_files

    if output == "-" and fmt == "json":
        raise InputError("--format json reports the files written", fix="write them into a folder: -o k8s/")
    outcome = export_k8s_files(ExportRequest(profile, project, Path.cwd(), output, force))
    if fmt == "json":
        echo_json(outcome.as_json())
        return EXIT_OK
    if outcome.stream is not None:
        echo(outcome.stream, nl=False)
    print_written(outcome.written, outcome.notes())
    return EXIT_OK


K8S = Command(
    """Kubernetes manifests for the PROFILE plan: Deployments (StatefulSets for databases), Services,
HorizontalPodAutoscalers. What has no Kubernetes form is listed, never dropped silently.""",
    (
        PROFILE,
        Opt(
            "output",
            ("--output", "-o"),
            "A folder for one file per service; `-` for one stream on stdout.",
            required=True,
        ),
        PROJECT,
        FORCE,
        FORMAT,
    ),
    None,
    k8s_command,
)
