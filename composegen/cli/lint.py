"""`composegen lint` (through typer: help, usage errors, and whatever the fast path leaves) and
`composegen rules`.

The typer `lint` command is generated from `LINT_OPTIONS` (composegen.cli.lint_options), the one
declaration its fast path reads too: each entry becomes a parameter of the command's signature,
with the type, flags, help and choices the entry gives.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from composegen.cli.lint_options import LINT_FILES_HELP, LINT_OPTIONS, Opt, lint_command
from composegen.cli.options import choices, plain
from composegen.cli.run import run
from composegen.errors import EXIT_OK

_VALUE_TYPES: dict[tuple[str, bool], Any] = {
    ("one", False): str | None,
    ("one", True): Path | None,
    ("many", False): list[str] | None,
    ("many", True): list[Path] | None,
}


def _parameter(opt: Opt) -> inspect.Parameter:
    """One entry of LINT_OPTIONS as a parameter typer reads."""
    option = typer.Option(*opt.flags, help=opt.help)
    if opt.takes == "flag":
        value_type: Any = bool
    elif opt.choices:
        value_type = choices(opt.dest, opt.choices) | None
    else:
        value_type = _VALUE_TYPES[opt.takes, opt.path]
    default = False if opt.takes == "flag" else None
    return inspect.Parameter(
        opt.dest, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[value_type, option]
    )


def lint(**parsed: Any) -> None:
    """Lint compose files for what kills containers: limits, healthchecks, security, hygiene.

    With no files: the stack of composegen.yaml, else what `docker compose` would read here.
    Exit 0 when clean, 1 on findings at or above --fail-on, 2 when a file cannot be read.
    """
    run(lambda: lint_command(**plain(parsed)))


_FILES = inspect.Parameter(
    "files",
    inspect.Parameter.KEYWORD_ONLY,
    default=None,
    annotation=Annotated[list[Path] | None, typer.Argument(help=LINT_FILES_HELP)],
)
_SIGNATURE = inspect.Signature([_FILES, *map(_parameter, LINT_OPTIONS)], return_annotation=None)
lint.__signature__ = _SIGNATURE  # type: ignore[attr-defined]  # typer reads the generated signature
lint.__annotations__ = {p.name: p.annotation for p in _SIGNATURE.parameters.values()} | {"return": None}


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
    app.command()(lint)
    app.command("rules")(rules)
