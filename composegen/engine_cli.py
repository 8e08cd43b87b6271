"""The commands that run on a real Docker Engine (verify; calibrate and watch later): registered on
the app by `register`. Each imports the engine code, and with it the docker SDK, only when it runs.

The option aliases live here, not in cli.py: typer reads a command's annotations from its own
module, and cli.py imports this module while it is still being built.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

ProfileOpt = Annotated[str, typer.Option("--profile", "-p", help="A bundled profile name, or a path to your own.")]
ProjectOpt = Annotated[
    Path | None,
    typer.Option("--project", help="The stack description (default: ./composegen.yaml, else the compose files here)."),
]


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


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
    fmt: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = OutputFormat.text,
) -> None:
    """Start the stack with the PROFILE overlay on a real engine and check what each container got.

    Exit 1 on any mismatch or unhealthy service. The stack is always taken down, on Ctrl-C too.
    """
    from composegen.cli import run

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


def register(app: typer.Typer) -> None:
    """Add the engine commands to `app`."""
    app.command()(verify)
