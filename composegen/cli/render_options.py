"""The commands `composegen render` and `composegen explain`, declared once (`RENDER`, `EXPLAIN`) for
typer (composegen.cli.render) and for the fast path (composegen.cli.table), and their bodies, which
print with `echo` rather than typer's, so that a plainly valid command line runs without typer."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from composegen.cli.common_options import DOCKER_VERSION, FORMAT, MEASUREMENTS, PROFILE, PROJECT
from composegen.cli.lint_options import LINT_TARGETS
from composegen.cli.run import echo
from composegen.cli.table import Arg, Command, Opt
from composegen.errors import EXIT_FINDINGS, EXIT_OK

if TYPE_CHECKING:
    from composegen.render.run import RenderOutcome


def render_command(
    *,
    profile: str | None,
    project: Path | None,
    output: str | None,
    check: bool,
    force: bool,
    docker_version: str | None,
    measurements: Path | None,
    check_all: bool,
    paths: list[Path] | None,
    target: str | None,
    fmt: str,
) -> int:
    """The `render` command: parsed options -> the exit code."""
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
        target=target,
    )
    text_format = fmt == "text"
    outcome = render_stack(request, _say if text_format else _quiet)
    status = _print_rendered(outcome, profile, text_format)
    if not text_format:
        echo(json.dumps(outcome.as_json(), indent=2))
    return status


def _say(line: str) -> None:
    echo(f"composegen: {line}", err=True)


def _quiet(line: str) -> None:
    """--format json: the notes are in the JSON report."""


def _check_every_overlay(paths: list[Path] | None, project: Path | None) -> int:
    """`render --check-all`: each overlay up to date (stdout) or not (stderr); exit 1 if any is not."""
    from composegen.render.check import check_all

    states = check_all(list(paths or ()), project, Path.cwd())
    for state in states:
        if state.ok:
            echo(f"{state.path} is up to date")
        else:
            echo(f"composegen: {state.path}: {state.message}", err=True)
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
        echo(f"composegen: {outcome.out} is {state}: run `{again}`", err=True)
        return EXIT_FINDINGS
    if text_format:
        echo(f"{outcome.out} is up to date" if outcome.checked else str(outcome.out))
    return EXIT_OK


def explain_command(
    *,
    profile: str,
    service: str | None,
    project: Path | None,
    fmt: str,
    docker_version: str | None,
    measurements: Path | None,
) -> int:
    """The `explain` command: parsed options -> the exit code."""
    from composegen.explain import ExplainRequest, explain_stack

    request = ExplainRequest(profile, project, Path.cwd(), service, docker_version, measurements)
    outcome = explain_stack(request, _say)
    if fmt == "json":
        _write_pieces([*outcome.json_pieces(), "\n"])  # what echo(json.dumps(...)) wrote
    else:
        echo(outcome.text())
    return EXIT_OK


def _write_pieces(pieces: list[str]) -> None:
    """Write `pieces` to stdout a few thousand at a time: a stack's JSON can be hundreds of MB, and
    one string of it (and its bytes, encoded) would double the memory it takes."""
    step = 4096
    for start in range(0, len(pieces), step):
        sys.stdout.write("".join(pieces[start : start + step]))
    sys.stdout.flush()


RENDER = Command(
    """Write the overlay for PROFILE: docker-compose.PROFILE.yml beside the first base file
(with --target swarm, the stack file docker-stack.PROFILE.yml).""",
    (
        PROFILE._replace(required=False),  # render --check-all names none: the body asks for it
        PROJECT,
        Opt("output", ("--output", "-o"), "Write here; `-` for stdout."),
        Opt("check", ("--check",), "Exit 1 if the file on disk differs (drift).", "flag"),
        Opt("force", ("--force",), "Overwrite a file composegen did not generate.", "flag"),
        DOCKER_VERSION,
        MEASUREMENTS,
        Opt(
            "check_all",
            ("--check-all",),
            "Exit 1 if any overlay composegen generated (beside composegen.yaml, or of the projects of "
            "PATHS) is out of date; the profile is read from each file's header.",
            "flag",
        ),
        Opt(
            "target",
            ("--target",),
            "compose: an overlay for `docker compose` (docker-compose.PROFILE.yml); swarm: a stack file that "
            "stands alone, for `docker stack deploy -c` (docker-stack.PROFILE.yml), with what Swarm ignores left "
            "out and listed. Default: the profile's target.",
            choices=LINT_TARGETS,
        ),
        FORMAT._replace(help="text or json (the file written, warnings, what Swarm leaves out)."),
    ),
    Arg("paths", "With --check-all: files whose projects to check (pre-commit).", many=True, path=True),
    render_command,
)

EXPLAIN = Command(
    "Say why each service got the numbers it got, step by step.",
    (PROFILE, PROJECT, FORMAT, DOCKER_VERSION, MEASUREMENTS),
    Arg("service", "One service; all of them when left out."),
    explain_command,
)
