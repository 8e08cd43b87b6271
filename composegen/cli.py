"""The command line: typer commands that parse options, call one function, and map to an exit code.

Imports of the heavy parts happen inside the commands, so `--help` and `--version` pay for none
of them.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from composegen import __version__
from composegen.errors import EXIT_FINDINGS, EXIT_OK, ComposegenError

app = typer.Typer(
    name="composegen",
    help="Right-sized, validated docker-compose overlays from what your stack runs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
profiles_app = typer.Typer(help="The bundled profiles.", no_args_is_help=True)
app.add_typer(profiles_app, name="profiles")

T = TypeVar("T")
EXIT_INTERNAL = 3


class Format(str, Enum):
    text = "text"
    json = "json"


ProfileOpt = Annotated[str, typer.Option("--profile", "-p", help="A bundled profile name, or a path to your own.")]
ProjectOpt = Annotated[
    Path | None,
    typer.Option("--project", help="The stack description (default: ./composegen.yaml, else the compose files here)."),
]


def run(action: Callable[[], int]) -> None:
    """Run a command body: user errors become one line and exit 2, never a traceback."""
    try:
        code = action()
    except ComposegenError as err:
        typer.echo(f"composegen: {err.one_line()}", err=True)
        raise typer.Exit(err.exit_code) from None
    except BrokenPipeError:  # `composegen explain | head`: the reader left, nothing to report
        sys.stderr.close()
        raise typer.Exit(EXIT_OK) from None
    except KeyboardInterrupt:
        typer.echo("composegen: interrupted", err=True)
        raise typer.Exit(130) from None
    except Exception as err:  # a bug: say so in one line, unless asked for the traceback
        if os.environ.get("COMPOSEGEN_DEBUG"):
            raise
        typer.echo(
            f"composegen: internal error: {type(err).__name__}: {err} "
            "(set COMPOSEGEN_DEBUG=1 for the traceback, and please report it)",
            err=True,
        )
        raise typer.Exit(EXIT_INTERNAL) from None
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"composegen {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Right-sized, validated docker-compose overlays from what your stack runs."""


@app.command()
def render(
    profile: ProfileOpt,
    project: ProjectOpt = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write here; `-` for stdout.")] = None,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if the file on disk differs (drift).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite a file composegen did not generate.")] = False,
) -> None:
    """Write the overlay for PROFILE: docker-compose.PROFILE.yml beside the first base file."""

    def body() -> int:
        from composegen.render.overlay import render as do_render
        from composegen.render.writer import write_atomic

        cwd = Path.cwd()
        out = None if output is None or output == "-" else Path(output)
        result = do_render(profile, project, cwd, out)
        for warning in result.planned.stack.warnings:
            typer.echo(f"composegen: warning: {warning}", err=True)
        if output == "-":
            sys.stdout.write(result.text)
            return EXIT_OK
        if check:
            current = result.output.read_text(encoding="utf-8") if result.output.is_file() else None
            if current != result.text:
                state = "missing" if current is None else "out of date"
                typer.echo(
                    f"composegen: {result.output} is {state}: run `composegen render --profile {profile}`", err=True
                )
                return EXIT_FINDINGS
            typer.echo(f"{result.output} is up to date")
            return EXIT_OK
        write_atomic(result.output, result.text, force=force)
        typer.echo(str(result.output))
        return EXIT_OK

    run(body)


@app.command()
def explain(
    profile: ProfileOpt,
    service: Annotated[str | None, typer.Argument(help="One service; all of them when left out.")] = None,
    project: ProjectOpt = None,
    fmt: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
) -> None:
    """Say why each service got the numbers it got, step by step."""

    def body() -> int:
        from composegen import explain as ex
        from composegen.errors import InputError
        from composegen.render.overlay import plan

        planned = plan(profile, project, Path.cwd())
        stack = planned.stack
        if service is not None:
            chosen = stack.service(service)
            if chosen is None:
                names = ", ".join(s.name for s in stack.services)
                raise InputError(f"no service {service!r} in the stack", fix=f"choose one of: {names}")
            typer.echo(json.dumps(ex.service_json(chosen), indent=2) if fmt is Format.json else ex.service_text(chosen))
            return EXIT_OK
        if fmt is Format.json:
            typer.echo(json.dumps(ex.stack_json(stack), indent=2))
        else:
            typer.echo(ex.stack_text(stack))
            for s in stack.services:
                typer.echo("\n" + ex.service_text(s))
        return EXIT_OK

    run(body)


@profiles_app.command("list")
def profiles_list() -> None:
    """List the bundled profiles."""

    def body() -> int:
        from composegen.profiles.loader import bundled_profiles, load_profile

        for name in bundled_profiles():
            loaded = load_profile(name, Path.cwd())
            typer.echo(f"{name:<14} {loaded.profile.description}")
        return EXIT_OK

    run(body)


@profiles_app.command("show")
def profiles_show(name: Annotated[str, typer.Argument(help="A bundled profile name, or a path.")]) -> None:
    """Show a profile with everything it extends resolved."""

    def body() -> int:
        from composegen.profiles.loader import load_profile

        loaded = load_profile(name, Path.cwd())
        typer.echo(f"# {' extends '.join(loaded.files)}")
        typer.echo(json.dumps(loaded.profile.model_dump(mode="json"), indent=2))
        return EXIT_OK

    run(body)


class SchemaKind(str, Enum):
    project = "project"
    profile = "profile"


@app.command()
def schema(kind: Annotated[SchemaKind, typer.Argument(help="project (composegen.yaml) or profile.")]) -> None:
    """Print the JSON Schema of composegen.yaml or of a profile (for editors)."""

    def body() -> int:
        from composegen.profiles.schema import schema_text

        sys.stdout.write(schema_text(kind.value))
        return EXIT_OK

    run(body)


def main() -> None:
    app(prog_name="composegen")


def _register_more_commands() -> None:
    """Commands that live in their own modules (each imports its heavy parts lazily)."""
    from composegen.engine_cli import register

    register(app)


_register_more_commands()
