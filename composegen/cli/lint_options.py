"""The command `composegen lint`, declared once (`LINT`) for typer and for the fast path.

A lint run must start in well under a tenth of a second, and importing typer (with the pydantic it
coerces options through) costs more than that. So the entry point parses `composegen lint ...`
itself with `parse_lint_args` (composegen.cli.table), from the table `LINT_OPTIONS`, when the
command line is plainly valid. Anything else goes to the typer command, which composegen.cli.lint
generates from the same table, and so prints the same help and the same usage errors.
tests/lint/test_lint_cli_fast.py checks that both parse every command line alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from composegen.cli.common_options import PROJECT_HELP
from composegen.cli.table import Arg, Command, Opt, parse_args

if TYPE_CHECKING:
    from composegen.lint.run import LintOptions


LINT_FILES_HELP = "Compose files, each linted on its own."
LINT_FORMATS = ("text", "json", "sarif", "github")
FAIL_ON = ("error", "warning", "info")
USAGES = ("dev", "pytest", "prod")
LINT_TARGETS = ("compose", "swarm")

#: The options of `composegen lint` (its arguments: LINT_FILES_HELP), for typer and the fast path.
LINT_OPTIONS = (
    Opt(
        "stack",
        ("--file", "-f"),
        "A compose file of one merged stack, as `docker compose -f` (repeat).",
        "many",
        path=True,
    ),
    Opt("project", ("--project",), PROJECT_HELP, path=True),
    Opt("fmt", ("--format",), "text, json, sarif or github (default: github in Actions).", choices=LINT_FORMATS),
    Opt("fail_on", ("--fail-on",), "Exit 1 on findings of this severity or above (default error).", choices=FAIL_ON),
    Opt("strict", ("--strict",), "Exit 1 on warnings too (--fail-on warning).", "flag"),
    Opt("usage", ("--usage",), "How the stack is used: severities follow it.", choices=USAGES),
    Opt("target", ("--target",), "compose (default), or swarm for `docker stack deploy`.", choices=LINT_TARGETS),
    Opt("select", ("--select",), "Only these rules: codes, names or prefixes, comma-separated.", "many"),
    Opt("ignore", ("--ignore",), "Not these rules (comma-separated).", "many"),
    Opt("fix", ("--fix",), "Apply the mechanical fixes in place, then lint again.", "flag"),
    Opt("diff", ("--diff",), "Print what --fix would change; write nothing.", "flag"),
    Opt("baseline", ("--baseline",), "A baseline file: only findings not recorded there count.", path=True),
    Opt(
        "write_baseline",
        ("--write-baseline",),
        "Record today's findings in this baseline file, and exit 0.",
        path=True,
    ),
)


def codes(values: Sequence[str] | None) -> tuple[str, ...]:
    """`--select CG1,CG5 --select CG601` -> ("CG1", "CG5", "CG601")."""
    return tuple(part.strip() for value in values or [] for part in value.split(",") if part.strip())


def lint_options(
    *,
    files: Sequence[Path] | None = None,
    stack: Sequence[Path] | None = None,
    project: Path | None = None,
    fmt: str | None = None,
    fail_on: str | None = None,
    strict: bool = False,
    usage: str | None = None,
    target: str | None = None,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    fix: bool = False,
    diff: bool = False,
    baseline: Path | None = None,
    write_baseline: Path | None = None,
) -> LintOptions:
    """The parsed `lint` command line as the options `composegen.lint.run.check` takes."""
    from composegen.lint.finding import Severity
    from composegen.lint.run import LintOptions

    return LintOptions(
        cwd=Path.cwd(),
        files=tuple(files or ()),
        stack_files=tuple(stack or ()),
        project=project,
        format=fmt,
        fail_on=Severity(fail_on) if fail_on is not None else None,
        strict=strict,
        usage=usage,
        target=target,
        select=codes(select),
        ignore=codes(ignore),
        fix=fix,
        diff=diff,
        baseline=baseline,
        write_baseline=write_baseline,
    )


def lint_command(**parsed: Any) -> int:
    """The `lint` command: parsed options (see `lint_options`) -> the exit code."""
    from composegen.cli.lint_output import main

    return main(lint_options(**parsed))


LINT = Command(
    """Lint compose files for what kills containers: limits, healthchecks, security, hygiene.

With no files: the stack of composegen.yaml, else what `docker compose` would read here.
Exit 0 when clean, 1 on findings at or above --fail-on, 2 when a file cannot be read.""",
    LINT_OPTIONS,
    Arg("files", LINT_FILES_HELP, many=True, path=True),
    lint_command,
)


def parse_lint_args(args: Sequence[str]) -> dict[str, Any] | None:
    """`composegen lint ARGS` parsed as typer parses it, or None for anything but a plainly valid
    command line (typer then parses it, and says what is wrong)."""
    return parse_args(LINT, args)
