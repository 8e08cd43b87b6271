"""The typer app: the top-level options and every command group, one module each in composegen.cli.

Each command parses its options, calls one library function, prints what it returns and maps it to
an exit code (composegen.cli.run). The console script enters at composegen.cli.entry.main, which
runs `composegen lint` without importing this module when the command line is plainly valid.
Imports of the heavy parts happen inside the commands, so `--help` and `--version` pay for none.
"""

from __future__ import annotations

from typing import Annotated

import typer

from composegen import __version__
from composegen.cli import engine, export, lint, models, plan, profiles, render, scale
from composegen.errors import EXIT_OK

app = typer.Typer(
    name="composegen",
    help="Right-sized, validated docker-compose overlays from what your stack runs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich's formatter costs `--help` ~0.1 s of imports
)


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


# the order of `composegen --help`: commands as registered, then the groups (profiles, export, models)
for group in (render, lint, profiles, engine, plan, export, scale, models):
    group.register(app)
