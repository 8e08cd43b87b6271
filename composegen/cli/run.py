"""A command body to an exit code, the same way for every command (and the lint fast path): user
errors become one line and exit 2, never a traceback. No typer here: the lint fast path uses it."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import NoReturn

from composegen.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, ComposegenError


def echo_err(message: str) -> None:
    """What `typer.echo(message, err=True)` does with a plain line."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def run_command(action: Callable[[], int]) -> int:
    """Run a command body and return its exit code: user errors become one line and exit 2."""
    try:
        return action()
    except ComposegenError as err:
        from composegen.masking import mask  # lazy: only needed once something went wrong

        echo_err(f"composegen: {mask(err.one_line())}")  # an error may quote a value: never a password
        return err.exit_code
    except BrokenPipeError:  # `composegen explain | head`: the reader left, nothing to report
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        echo_err("composegen: interrupted")
        return EXIT_INTERRUPTED
    except Exception as err:  # a bug: say so in one line, unless asked for the traceback
        if isinstance(err, OSError) and err.filename is not None:  # about a path the user gave
            from composegen.masking import mask
            from composegen.paths import os_error

            echo_err(f"composegen: {mask(os_error(err, err.filename, 'use it').one_line())}")
            return EXIT_USAGE
        if os.environ.get("COMPOSEGEN_DEBUG"):
            raise
        from composegen.masking import mask

        echo_err(
            f"composegen: internal error: {type(err).__name__}: {mask(str(err))} "
            "(set COMPOSEGEN_DEBUG=1 for the traceback, and please report it)"
        )
        return EXIT_INTERNAL


def run(action: Callable[[], int]) -> NoReturn:
    """Run a typer command's body: `run_command`, then exit through typer with its code."""
    import typer  # a typer command is running: typer is imported already

    raise typer.Exit(run_command(action))
