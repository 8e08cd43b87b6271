"""The command line entry point: `composegen lint` straight from argv, everything else through typer.

A lint run must start in well under a tenth of a second, and importing typer (with the pydantic it
coerces options through) costs more than that. So `main` parses `composegen lint ...` itself, with
the option table `LINT_OPTIONS` below, when the command line is plainly valid: known options,
values among their choices. Anything else (`--help`, an unknown or misspelt option, a missing
value, a wrong choice, another command) goes to the typer app in `composegen.cli.app`, which declares
the lint command from the same table and so prints the same help and the same usage errors.
tests/lint/test_lint_cli_fast.py checks that both parse every command line alike.

`run_command` maps a command body's result to an exit code the same way for both: user errors
become one line and exit 2, never a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from composegen.errors import EXIT_OK, EXIT_USAGE, ComposegenError

if TYPE_CHECKING:
    from composegen.lint.run import LintOptions

EXIT_INTERNAL = 3


class Opt(NamedTuple):
    """One option of a command: where its value goes, its flags, its help, and what it takes."""

    dest: str
    flags: tuple[str, ...]
    help: str
    takes: str = "one"  # "flag": no value; "one": a value, the last one given wins; "many": repeatable
    choices: tuple[str, ...] = ()


PROJECT_HELP = "The stack description (default: ./composegen.yaml, else the compose files here)."
LINT_FILES_HELP = "Compose files, each linted on its own."
LINT_FORMATS = ("text", "json", "sarif", "github")
FAIL_ON = ("error", "warning", "info")
USAGES = ("dev", "pytest", "prod")
LINT_TARGETS = ("compose", "swarm")

#: The options of `composegen lint` (its arguments: LINT_FILES_HELP), for typer and the fast path.
LINT_OPTIONS = (
    Opt("stack", ("--file", "-f"), "A compose file of one merged stack, as `docker compose -f` (repeat).", "many"),
    Opt("project", ("--project",), PROJECT_HELP),
    Opt("fmt", ("--format",), "text, json, sarif or github (default: github in Actions).", choices=LINT_FORMATS),
    Opt("fail_on", ("--fail-on",), "Exit 1 on findings of this severity or above (default error).", choices=FAIL_ON),
    Opt("strict", ("--strict",), "Exit 1 on warnings too (--fail-on warning).", "flag"),
    Opt("usage", ("--usage",), "How the stack is used: severities follow it.", choices=USAGES),
    Opt("target", ("--target",), "compose (default), or swarm for `docker stack deploy`.", choices=LINT_TARGETS),
    Opt("select", ("--select",), "Only these rules: codes, names or prefixes, comma-separated.", "many"),
    Opt("ignore", ("--ignore",), "Not these rules (comma-separated).", "many"),
    Opt("fix", ("--fix",), "Apply the mechanical fixes in place, then lint again.", "flag"),
    Opt("diff", ("--diff",), "Print what --fix would change; write nothing.", "flag"),
    Opt("baseline", ("--baseline",), "A baseline file: only findings not recorded there count."),
    Opt("write_baseline", ("--write-baseline",), "Record today's findings in this baseline file, and exit 0."),
)
_PATH_OPTIONS = frozenset({"stack", "project", "baseline", "write_baseline"})


def _echo_err(message: str) -> None:
    """What `typer.echo(message, err=True)` does with a plain line."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def run_command(action: Callable[[], int]) -> int:
    """Run a command body and return its exit code: user errors become one line and exit 2."""
    try:
        return action()
    except ComposegenError as err:
        from composegen.masking import mask  # lazy: only needed once something went wrong

        _echo_err(f"composegen: {mask(err.one_line())}")  # an error may quote a value: never a password
        return err.exit_code
    except BrokenPipeError:  # `composegen explain | head`: the reader left, nothing to report
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        _echo_err("composegen: interrupted")
        return 130
    except Exception as err:  # a bug: say so in one line, unless asked for the traceback
        if isinstance(err, OSError) and err.filename is not None:  # about a path the user gave
            from composegen.masking import mask
            from composegen.paths import os_error

            _echo_err(f"composegen: {mask(os_error(err, err.filename, 'use it').one_line())}")
            return EXIT_USAGE
        if os.environ.get("COMPOSEGEN_DEBUG"):
            raise
        from composegen.masking import mask

        _echo_err(
            f"composegen: internal error: {type(err).__name__}: {mask(str(err))} "
            "(set COMPOSEGEN_DEBUG=1 for the traceback, and please report it)"
        )
        return EXIT_INTERNAL


def run(action: Callable[[], int]) -> NoReturn:
    """Run a typer command's body: `run_command`, then exit through typer with its code."""
    import typer  # a typer command is running: typer is imported already

    raise typer.Exit(run_command(action))


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
    """The parsed `lint` command line as the options `composegen.lint.run.main` takes."""
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
    from composegen.lint.run import main as lint_main

    return lint_main(lint_options(**parsed))


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
        if equals:
            value = attached
        elif index < len(args):
            value = args[index]
            index += 1
        else:
            return None
        if not value or value.startswith("-") or (opt.choices and value not in opt.choices):
            return None
        converted: Any = Path(value) if opt.dest in _PATH_OPTIONS else value
        if opt.takes == "many":
            parsed.setdefault(opt.dest, []).append(converted)
        else:
            parsed[opt.dest] = converted
    if files:
        parsed["files"] = files
    return parsed


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
