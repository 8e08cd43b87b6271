"""Commands declared once, as tables, and the fast parser that reads their command lines without typer.

Importing typer (with the pydantic it coerces options through) and building its parser costs a
quarter of a second of instructions: more than a small lint, render, explain or export does. So the
entry point parses a plainly valid command line of such a command itself, from its table, with
`parse_args`: known options, values among their choices, the required ones given. Anything else
(`--help`, an unknown or misspelt option, a missing value, a wrong choice) goes to the typer command,
which composegen.cli.typed generates from the same table, and so prints the same help and the same
usage errors. The tests in tests/cli/test_fast_commands.py (and tests/lint/test_lint_cli_fast.py)
check that both parse every command line alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple


class Opt(NamedTuple):
    """One option of a command: where its value goes, its flags, its help, and what it takes."""

    dest: str
    flags: tuple[str, ...]
    help: str
    takes: str = "one"  # "flag": no value; "one": a value, the last one given wins; "many": repeatable
    choices: tuple[str, ...] = ()
    path: bool = False  # the value is a file name (a Path), not a word
    default: str | None = None  # the value when the option is not given (a flag's: False)
    required: bool = False
    minimum: int | None = None  # the value is a whole number, at least this


class Arg(NamedTuple):
    """The positional argument of a command: one value, or any number of them (`many`)."""

    dest: str
    help: str
    many: bool = False
    path: bool = False


class Command(NamedTuple):
    """A command declared once: its help, its options (in the order of its help), its positional
    argument if it takes one, and its body: the parsed values (keyword arguments, as `parse_args`
    returns them) to the exit code."""

    help: str
    options: tuple[Opt, ...]
    argument: Arg | None
    body: Callable[..., int]


def parse_args(command: Command, args: Sequence[str]) -> dict[str, Any] | None:
    """`ARGS` parsed as typer parses them, each option and the argument as typer passes them to the
    command (a repeatable one as a list, None when not given; a choice as its string), or None for
    anything but a plainly valid command line (typer then parses it, and says what is wrong)."""
    by_flag = {flag: opt for opt in command.options for flag in opt.flags}
    parsed: dict[str, Any] = {opt.dest: _default(opt) for opt in command.options}
    given: set[str] = set()
    positional: list[str] = []
    index = 0
    only_arguments = False
    while index < len(args):
        token = args[index]
        index += 1
        if token in ("", "-"):
            return None
        if only_arguments or not token.startswith("-"):
            positional.append(token)
            continue
        if token == "--":
            only_arguments = True
            continue
        name, equals, attached = token.partition("=") if token.startswith("--") else (token, "", "")
        opt = by_flag.get(name)
        if opt is None:
            return None
        given.add(opt.dest)
        if opt.takes == "flag":
            if equals:
                return None
            parsed[opt.dest] = True
            continue
        value, index = (attached, index) if equals else _next_value(args, index)
        if not _plainly_valid(opt, value):
            return None
        _keep(parsed, opt, _typed(opt, value))
    if any(opt.required and opt.dest not in given for opt in command.options):
        return None
    return _with_argument(parsed, command.argument, positional)


def _default(opt: Opt) -> Any:
    """What typer passes for an option not given."""
    return False if opt.takes == "flag" else opt.default


def _next_value(args: Sequence[str], index: int) -> tuple[str, int]:
    """The value after an option that takes one, and where to read on ("" when there is none)."""
    return (args[index], index + 1) if index < len(args) else ("", index)


def _plainly_valid(opt: Opt, value: str) -> bool:
    """A value the fast path takes as it is: given, not an option (but `-`, stdout, which click
    takes as a value too), among the choices, a whole number where one is asked for."""
    if opt.minimum is not None:
        return _whole_number(value, opt.minimum)
    plain = value == "-" or (bool(value) and not value.startswith("-"))
    return plain and (not opt.choices or value in opt.choices)


def _whole_number(value: str, minimum: int) -> bool:
    """Digits only, with no leading zero (no question how typer reads them), at least `minimum`."""
    return value.isascii() and value.isdigit() and str(int(value)) == value and int(value) >= minimum


def _typed(opt: Opt, value: str) -> Any:
    """A plainly valid value as typer passes it."""
    if opt.minimum is not None:
        return int(value)
    return Path(value) if opt.path else value


def _keep(parsed: dict[str, Any], opt: Opt, value: Any) -> None:
    if opt.takes == "many":
        parsed[opt.dest] = [*(parsed[opt.dest] or ()), value]
    else:
        parsed[opt.dest] = value


def _with_argument(parsed: dict[str, Any], argument: Arg | None, values: list[str]) -> dict[str, Any] | None:
    """`parsed` with the positional values as the command's argument; None when it takes fewer."""
    if argument is None:
        return None if values else parsed
    if not argument.many and len(values) > 1:
        return None
    typed = [Path(value) for value in values] if argument.path else values
    if not typed:
        parsed[argument.dest] = None
    else:
        parsed[argument.dest] = typed if argument.many else typed[0]
    return parsed
