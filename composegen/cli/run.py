"""A command body to an exit code, the same way for every command (and the lint fast path): user
errors become one line and exit 2, never a traceback; and `echo`, typer's way to print a line. No
typer here (but to print to a stream set to ASCII): the fast paths of composegen.cli.table use it."""

from __future__ import annotations

import codecs
import os
import sys
from collections.abc import Callable
from typing import NoReturn

from composegen.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, ComposegenError


def echo(message: str = "", *, nl: bool = True, err: bool = False) -> None:
    """What `typer.echo(message, nl=nl, err=err)` writes for a str, without importing typer: the
    message (and a newline), ANSI styles left out where the stream is no terminal, then a flush."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:  # no stream to write to (pythonw): typer writes nothing either
        return
    if codecs.lookup(stream.encoding or "ascii").name == "ascii":
        import typer  # typer rewraps a stream set to ASCII as UTF-8 (with replacements): its way

        typer.echo(message, nl=nl, err=err)
        return
    text = message + "\n" if nl else message
    if "\x1b" in text and not stream.isatty():
        import re

        text = re.sub(r"\033\[[;?0-9]*[a-zA-Z]", "", text)  # the styles typer strips
    stream.write(text)
    stream.flush()


def run_command(action: Callable[[], int]) -> int:
    """Run a command body and return its exit code: user errors become one line and exit 2."""
    try:
        return action()
    except ComposegenError as err:
        from composegen.masking import mask  # lazy: only needed once something went wrong

        echo(f"composegen: {mask(err.one_line())}", err=True)  # an error may quote a value: never a password
        return err.exit_code
    except BrokenPipeError:  # `composegen explain | head`: the reader left, nothing to report
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        echo("composegen: interrupted", err=True)
        return EXIT_INTERRUPTED
    except Exception as err:  # a bug: say so in one line, unless asked for the traceback
        if isinstance(err, OSError) and err.filename is not None:  # about a path the user gave
            from composegen.masking import mask
            from composegen.paths import os_error

            echo(f"composegen: {mask(os_error(err, err.filename, 'use it').one_line())}", err=True)
            return EXIT_USAGE
        if os.environ.get("COMPOSEGEN_DEBUG"):
            raise
        from composegen.masking import mask

        echo(
            f"composegen: internal error: {type(err).__name__}: {mask(str(err))} "
            "(set COMPOSEGEN_DEBUG=1 for the traceback, and please report it)",
            err=True,
        )
        return EXIT_INTERNAL


def run(action: Callable[[], int]) -> NoReturn:
    """Run a typer command's body: `run_command`, then exit through typer with its code."""
    import typer  # a typer command is running: typer is imported already

    raise typer.Exit(run_command(action))
