"""`composegen render` and `composegen explain`: the overlay for a profile, and why each number."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from composegen.cli.lint_options import LINT_TARGETS
from composegen.cli.options import (
    DockerVersionOpt,
    MeasurementsOpt,
    OutputFormat,
    ProfileOpt,
    ProjectOpt,
    choices,
)
from composegen.cli.run import run
from composegen.errors import EXIT_FINDINGS, EXIT_OK

if TYPE_CHECKING:
    from composegen.render.run import RenderOutcome

Target = choices("Target", LINT_TARGETS)


def render(
    profile: Annotated[
        str | None, typer.Option("--profile", "-p", help="A bundled profile name, or a path to your own.")
    ] = None,
    project: ProjectOpt = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write here; `-` for stdout.")] = None,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if the file on disk differs (drift).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite a file composegen did not generate.")] = False,
    docker_version: DockerVersionOpt = None,
    measurements: MeasurementsOpt = None,
    check_all: Annotated[
        bool,
        typer.Option(
            "--check-all",
            help="Exit 1 if any overlay composegen generated (beside composegen.yaml, or of the projects of "
            "PATHS) is out of date; the profile is read from each file's header.",
        ),
    ] = False,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="With --check-all: files whose projects to check (pre-commit).")
    ] = None,
    target: Annotated[
        Target | None,  # type: ignore[valid-type]  # an Enum made from LINT_TARGETS
        typer.Option(
            "--target",
            help="compose: an overlay for `docker compose` (docker-compose.PROFILE.yml); swarm: a stack file that "
            "stands alone, for `docker stack deploy -c` (docker-stack.PROFILE.yml), with what Swarm ignores left "
            "out and listed. Default: the profile's target.",
        ),
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="text or json (the file written, warnings, what Swarm leaves out).")
    ] = OutputFormat.text,
) -> None:
    """Write the overlay for PROFILE: docker-compose.PROFILE.yml beside the first base file
    (with --target swarm, the stack file docker-stack.PROFILE.yml)."""

    def body() -> int:
        from composegen.errors import InputError
        from composegen.render.run import RenderRequest, render_stack

        if check_all:
            return _check_every_overlay(paths, project)
        if paths:
            raise InputError("render takes no file arguments", fix="name files only with --check-all")
        if profile is None:
            raise InputError("missing option --profile", fix="name a profile: composegen render --profile dev")
        request = RenderRequest(
            profile=profile,
            project=project,
            cwd=Path.cwd(),
            output=output,
            check=check,
            force=force,
            docker_version=docker_version,
            measurements=measurements,
            target=target.value if target is not None else None,
        )
        text_format = fmt is OutputFormat.text
        outcome = render_stack(request, _say if text_format else _quiet)
        status = _print_rendered(outcome, profile, text_format)
        if not text_format:
            typer.echo(json.dumps(outcome.as_json(), indent=2))
        return status

    run(body)


def _say(line: str) -> None:
    typer.echo(f"composegen: {line}", err=True)


def _quiet(line: str) -> None:
    """--format json: the notes are in the JSON report."""


def _check_every_overlay(paths: list[Path] | None, project: Path | None) -> int:
    """`render --check-all`: each overlay up to date (stdout) or not (stderr); exit 1 if any is not."""
    from composegen.render.check import check_all

    states = check_all(list(paths or ()), project, Path.cwd())
    for state in states:
        if state.ok:
            typer.echo(f"{state.path} is up to date")
        else:
            typer.echo(f"composegen: {state.path}: {state.message}", err=True)
    return EXIT_OK if all(s.ok for s in states) else EXIT_FINDINGS


def _print_rendered(outcome: RenderOutcome, profile: str, text_format: bool) -> int:
    """The render outcome (but its JSON report): the text for stdout, the file written, or whether
    the file on disk is up to date (exit 1 when it is not)."""
    if outcome.to_stdout:
        if text_format:
            sys.stdout.write(outcome.text)
        return EXIT_OK
    if outcome.checked and not outcome.up_to_date:
        state = "missing" if outcome.current is None else "out of date"
        again = f"composegen render --profile {profile}" + (" --target swarm" if outcome.target == "swarm" else "")
        typer.echo(f"composegen: {outcome.out} is {state}: run `{again}`", err=True)
        return EXIT_FINDINGS
    if text_format:
        typer.echo(f"{outcome.out} is up to date" if outcome.checked else str(outcome.out))
    return EXIT_OK


def explain(
    profile: ProfileOpt,
    service: Annotated[str | None, typer.Argument(help="One service; all of them when left out.")] = None,
    project: ProjectOpt = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = OutputFormat.text,
    docker_version: DockerVersionOpt = None,
    measurements: MeasurementsOpt = None,
) -> None:
    """Say why each service got the numbers it got, step by step."""

    def body() -> int:
        from composegen.explain import ExplainRequest, explain_stack

        request = ExplainRequest(profile, project, Path.cwd(), service, docker_version, measurements)
        outcome = explain_stack(request, lambda line: typer.echo(f"composegen: {line}", err=True))
        if fmt is OutputFormat.json:
            _write_pieces([*outcome.json_pieces(), "\n"])  # what typer.echo(json.dumps(...)) wrote
        else:
            typer.echo(outcome.text())
        return EXIT_OK

    run(body)


def _write_pieces(pieces: list[str]) -> None:
    """Write `pieces` to stdout a few thousand at a time: a stack's JSON can be hundreds of MB, and
    one string of it (and its bytes, encoded) would double the memory it takes."""
    step = 4096
    for start in range(0, len(pieces), step):
        sys.stdout.write("".join(pieces[start : start + step]))
    sys.stdout.flush()


def register(app: typer.Typer) -> None:
    """Add `render` and `explain` to `app`."""
    app.command()(render)
    app.command()(explain)
