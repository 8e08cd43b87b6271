"""`composegen lint` (through typer: help, usage errors, and whatever the fast path leaves) and
`composegen rules`.

The typer `lint` command is generated (composegen.cli.typed) from `LINT` (composegen.cli.lint_options),
the one declaration its fast path reads too.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from composegen.cli.lint_options import LINT
from composegen.cli.run import run
from composegen.cli.typed import typer_command
from composegen.errors import EXIT_OK


def rules(
    code: Annotated[str | None, typer.Argument(help="One rule, by code or name: its documentation.")] = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="The full reference (docs/rules.md).")] = False,
) -> None:
    """List the lint rules: code, name, default severity, whether --fix fixes it; or explain one."""

    def body() -> int:
        from composegen.lint.docs import rules_help

        sys.stdout.write(rules_help(code, markdown))
        return EXIT_OK

    run(body)


def register(app: typer.Typer) -> None:
    """Add `lint` and `rules` to `app`."""
    app.command("lint")(typer_command(LINT))
    app.command("rules")(rules)
