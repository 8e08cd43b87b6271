"""Typer commands generated from the command tables of composegen.cli.table.

Each entry of a table becomes a parameter of the command's signature, with the type, flags, help,
choices and default the entry gives, in the table's order (the order of the command's help); typer
reads that signature as it reads a written one. The command then runs the table's body with the
values typer parsed, so typer and the fast path run the same code.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from composegen.cli.options import choices, plain
from composegen.cli.run import run
from composegen.cli.table import Arg, Command, Opt

_VALUE_TYPES: dict[tuple[str, bool], Any] = {
    ("one", False): str,
    ("one", True): Path,
    ("many", False): list[str],
    ("many", True): list[Path],
}


def _option(opt: Opt) -> inspect.Parameter:
    """One option of a table as a parameter typer reads."""
    option = typer.Option(*opt.flags, help=opt.help, min=opt.minimum)
    default: Any = None
    if opt.takes == "flag":
        value_type: Any = bool
        default = False
    elif opt.minimum is not None:
        value_type = int
    elif opt.choices:
        value_type = choices(opt.dest, opt.choices)
        default = None if opt.default is None else value_type(opt.default)
    else:
        value_type = _VALUE_TYPES[opt.takes, opt.path]
        default = opt.default
    if opt.required:
        default = inspect.Parameter.empty
    elif default is None:
        value_type = value_type | None
    return inspect.Parameter(
        opt.dest, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[value_type, option]
    )


def _argument(arg: Arg) -> inspect.Parameter:
    """The positional argument of a table as a parameter typer reads."""
    value_type = _VALUE_TYPES["many" if arg.many else "one", arg.path]
    return inspect.Parameter(
        arg.dest,
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[value_type | None, typer.Argument(help=arg.help)],
    )


def typer_command(command: Command) -> Callable[..., None]:
    """`command` as a function typer registers: its help, its options and argument as the signature,
    and a body that runs the table's body with the values typer parsed (each choice as its string)."""

    def parsed_by_typer(**parsed: Any) -> None:
        run(lambda: command.body(**plain(parsed)))

    parameters = [_option(opt) for opt in command.options]
    if command.argument is not None:
        parameters.insert(0, _argument(command.argument))
    signature = inspect.Signature(parameters, return_annotation=None)
    parsed_by_typer.__doc__ = command.help
    parsed_by_typer.__signature__ = signature  # type: ignore[attr-defined]  # typer reads the generated signature
    parsed_by_typer.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": None}
    return parsed_by_typer
