"""The `lint` command's body, typer-free (the fast path runs it): one library call
(`composegen.lint.run.check`), the outcome (its report assembled) printed through the chosen
reporter, the exit code.

Exit 0: nothing at or above --fail-on; 1: findings at or above it; 2: a file or setting that could
not be read (the other files are still linted and reported).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO

from composegen.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from composegen.lint.finding import Severity

if TYPE_CHECKING:
    from composegen.lint.run import LintOptions, LintRun


def exit_code(run: LintRun) -> int:
    if run.errors:
        return EXIT_USAGE
    failing = {s for s in Severity if s.rank >= run.fail_on.rank}
    if any(f.severity in failing for f in run.findings):
        return EXIT_FINDINGS
    return EXIT_OK


def _use_color(options: LintOptions, stream: TextIO, environ: Mapping[str, str]) -> bool:
    if options.color is not None:
        return options.color
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return stream.isatty() and environ.get("TERM") != "dumb"


def main(options: LintOptions, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """The `lint` command: lint, then fix or diff, report, and the exit code."""
    from composegen.yamlio import paused_gc

    with paused_gc():  # a lint run builds a large object graph and frees it at exit
        return _main(options, stdout, stderr)


def _main(options: LintOptions, stdout: TextIO | None, stderr: TextIO | None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    environ = os.environ if options.environ is None else options.environ
    from composegen.lint.run import check, choose_format
    from composegen.report import get_reporter

    fmt = choose_format(options, environ)
    reporter = get_reporter(fmt)  # an unknown format fails before any work
    outcome = check(options._replace(color=_use_color(options, out, environ)))
    run = outcome.run
    for line in outcome.not_fixed:
        err.write(f"composegen: not fixed: {line}\n")
    for line in run.errors:
        err.write(f"composegen: {line}\n")
    if outcome.diff is not None:
        out.write(outcome.diff)
        if run.errors:
            return EXIT_USAGE
        return EXIT_FINDINGS if outcome.changes else EXIT_OK
    if outcome.recorded is not None:
        err.write(f"composegen: recorded {outcome.recorded} findings in the baseline {options.write_baseline}\n")
        return EXIT_USAGE if run.errors else EXIT_OK
    if outcome.report is not None:  # neither --diff nor --write-baseline: check assembled it
        out.write(reporter(outcome.report))
    return exit_code(run)
