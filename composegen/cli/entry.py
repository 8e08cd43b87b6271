"""The command line entry point: `composegen lint` straight from argv, everything else through typer.

A plainly valid `composegen lint ...` is parsed here without importing typer (see
composegen.cli.lint_options, where its options are declared once for both); anything else goes to
the typer app in composegen.cli.app, whose command groups live one per module in composegen.cli.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from composegen.cli.run import run_command


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


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if argv is None and args[:1] and args[0] in ONE_SHOT:
        # The cyclic collector would walk every live object again each time the heap grows, to
        # free nothing: a third of a large render's time. (Not from Python: a caller's process lives on.)
        import gc

        gc.disable()
    if args[:1] == ["lint"]:
        from composegen.cli.lint_options import lint_command, parse_lint_args

        parsed = parse_lint_args(args[1:])
        if parsed is not None:
            code = run_command(lambda: lint_command(**parsed))
            if argv is not None:  # called from Python, not as the command: return to the caller
                sys.exit(code)
            exit_now(code)
    from composegen.cli.app import app

    if argv is None:
        app(prog_name="composegen")
    else:
        app(args=args, prog_name="composegen")
