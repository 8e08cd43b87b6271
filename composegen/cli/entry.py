"""The command line entry point: lint, render, explain, plan and export k8s straight from argv,
everything else through typer.

A plainly valid command line of the commands in `FAST_COMMANDS` is parsed here without importing
typer (see composegen.cli.table: each command is declared once, as a table, for both); anything else
goes to the typer app in composegen.cli.app, whose command groups live one per module in
composegen.cli.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from composegen.cli.run import run_command
from composegen.cli.table import Command, parse_args


def exit_now(code: int) -> NoReturn:
    """Exit with `code` once the output is flushed, without tearing the interpreter down: freeing
    every module and object (and a last garbage collection) costs a tenth of a small lint run.
    mypy ends the same way. If flushing fails, exit the usual way, which reports it."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)
    os._exit(code)


#: Commands that read their input, write their output and exit: all they build lives to the end.
ONE_SHOT = frozenset({"lint", "render", "explain", "plan", "export"})

#: The commands parsed here when their command line is plainly valid: their words, and the module
#: and name of their table (composegen.cli.table), imported only for that command.
FAST_COMMANDS = {
    ("lint",): ("composegen.cli.lint_options", "LINT"),
    ("render",): ("composegen.cli.render_options", "RENDER"),
    ("explain",): ("composegen.cli.render_options", "EXPLAIN"),
    ("export", "k8s"): ("composegen.cli.export_options", "K8S"),
    ("plan",): ("composegen.cli.plan_options", "PLAN"),
}


def fast_body(args: Sequence[str]) -> Callable[[], int] | None:
    """The body of `composegen ARGS` with its options parsed, when typer need not parse them."""
    for words, (module, name) in FAST_COMMANDS.items():
        if tuple(args[: len(words)]) == words:
            command: Command = getattr(importlib.import_module(module), name)
            parsed = parse_args(command, args[len(words) :])
            return None if parsed is None else functools.partial(command.body, **parsed)
    return None


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if argv is None and args[:1] and args[0] in ONE_SHOT:
        # The cyclic collector would walk every live object again each time the heap grows, to
        # free nothing: a third of a large render's time. (Not from Python: a caller's process lives on.)
        import gc

        gc.disable()
    body = fast_body(args)
    if body is not None:
        code = run_command(body)
        if argv is not None:  # called from Python, not as the command: return to the caller
            sys.exit(code)
        exit_now(code)
    from composegen.cli.app import app

    if argv is None:
        try:
            app(prog_name="composegen")
        except SystemExit as done:
            # (freeing what a one-shot command built: a tenth of a second after an export of
            # 7,500 services, whose manifests are freed one object at a time)
            if args[:1] and args[0] in ONE_SHOT and isinstance(done.code, int):
                exit_now(done.code)
            raise
    else:
        app(args=args, prog_name="composegen")
