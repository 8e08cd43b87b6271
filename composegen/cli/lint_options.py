"""The options of `composegen lint`, declared once, and the fast parser that reads them without typer.

A lint run must start in well under a tenth of a second, and importing typer (with the pydantic it
coerces options through) costs more than that. So the entry point parses `composegen lint ...`
itself with `parse_lint_args`, from the table `LINT_OPTIONS`, when the command line is plainly
valid: known options, values among their choices. Anything else (`--help`, an unknown or misspelt
option, a missing value, a wrong choice) goes to the typer command, which composegen.cli.lint
generates from the same table, and so prints the same help and the same usage errors.
tests/lint/test_lint_cli_fast.py checks that both parse every command line alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from composegen.lint.run import LintOptions


class Opt(NamedTuple):
    """One option of a command: where its value goes, its flags, its help, and what it takes."""

    dest: str
    flags: tuple[str, ...]
    help: str
    takes: str = "one"  # "flag": no value; "one": a value, the last one given wins; "many": repeatable
    choices: tuple[str, ...] = ()
    path: bool = False  # the value is a file name (a Path), not a word


PROJECT_HELP = "The stack description (default: ./composegen.yaml, else the compose files here)."
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


def parse_lint_args(args: Sequence[str]) -> dict[str, Any] | None:
    """`composegen lint ARGS` parsed as click parses it, or None for anything but a plainly valid
    command line (typer then parses it, and says what is wrong)."""
    by_flag = {flag: opt for opt in LINT_OPTIONS for flag in opt.flags}
    parsed: dict[str, Any] = {}
    files: list[Path] = []
    index = 0
    only_arguments = False
    while index < len(args):
        token = args[index]
        index += 1
        if token in ("", "-"):
            return None
        if only_arguments or not token.startswith("-"):
            files.append(Path(token))
            continue
        if token == "--":
            only_arguments = True
            continue
        name, equals, attached = token.partition("=") if token.startswith("--") else (token, "", "")
        opt = by_flag.get(name)
        if opt is None:
            return None
        if opt.takes == "flag":
            if equals:
                return None
            parsed[opt.dest] = True
            continue
        value, index = (attached, index) if equals else _next_value(args, index)
        if not _plainly_valid(opt, value):
            return None
        _keep(parsed, opt, Path(value) if opt.path else value)
    if files:
        parsed["files"] = files
    return parsed


def _next_value(args: Sequence[str], index: int) -> tuple[str, int]:
    """The value after an option that takes one, and where to read on ("" when there is none)."""
    return (args[index], index + 1) if index < len(args) else ("", index)


def _plainly_valid(opt: Opt, value: str) -> bool:
    """A value the fast path takes as it is: given, not an option, among the choices."""
    return bool(value) and not value.startswith("-") and (not opt.choices or value in opt.choices)


def _keep(parsed: dict[str, Any], opt: Opt, value: Any) -> None:
    if opt.takes == "many":
        parsed.setdefault(opt.dest, []).append(value)
    else:
        parsed[opt.dest] = value
