"""The typer app: every command, its options and help. Commands parse options, call one function,
and map the result to an exit code.

The console script enters at `composegen.cli.main`, which runs `composegen lint` without importing
this module when the command line is plainly valid (see there); the lint options are declared once,
in `composegen.cli.LINT_OPTIONS`, for both. Imports of the heavy parts happen inside the commands,
so `--help` and `--version` pay for none of them.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from composegen import __version__
from composegen.cli.entry import LINT_FILES_HELP, LINT_OPTIONS, PROJECT_HELP, lint_command, run
from composegen.errors import EXIT_FINDINGS, EXIT_OK

app = typer.Typer(
    name="composegen",
    help="Right-sized, validated docker-compose overlays from what your stack runs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich's formatter costs `--help` ~0.1 s of imports
)
profiles_app = typer.Typer(help="The bundled profiles.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(profiles_app, name="profiles")

T = TypeVar("T")


class Format(str, Enum):
    text = "text"
    json = "json"


ProfileOpt = Annotated[str, typer.Option("--profile", "-p", help="A bundled profile name, or a path to your own.")]
DockerVersionOpt = Annotated[
    str | None,
    typer.Option(
        "--docker-version",
        help="The Docker Engine the stack runs on, when older than 25: leaves out what it refuses "
        "(healthcheck.start_interval).",
    ),
]
ProjectOpt = Annotated[Path | None, typer.Option("--project", help=PROJECT_HELP)]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"composegen {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Right-sized, validated docker-compose overlays from what your stack runs."""


@app.command()
def render(
    profile: Annotated[
        str | None, typer.Option("--profile", "-p", help="A bundled profile name, or a path to your own.")
    ] = None,
    project: ProjectOpt = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write here; `-` for stdout.")] = None,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if the file on disk differs (drift).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite a file composegen did not generate.")] = False,
    docker_version: DockerVersionOpt = None,
    measurements: Annotated[
        Path | None,
        typer.Option("--measurements", help="A file `composegen calibrate` wrote: measured values replace estimates."),
    ] = None,
    check_all: Annotated[
        bool,
        typer.Option(
            "--check-all",
            help="Exit 1 if any overlay composegen generated (beside composegen.yaml, or of the projects of "
            "PATHS) is out of date; the profile is read from each file's header.",
        ),
    ] = False,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="With --check-all: files whose projects to check (pre-commit).")
    ] = None,
    target: Annotated[
        LintTarget | None,
        typer.Option(
            "--target",
            help="compose: an overlay for `docker compose` (docker-compose.PROFILE.yml); swarm: a stack file that "
            "stands alone, for `docker stack deploy -c` (docker-stack.PROFILE.yml), with what Swarm ignores left "
            "out and listed. Default: the profile's target.",
        ),
    ] = None,
    fmt: Annotated[
        Format, typer.Option("--format", help="text or json (the file written, warnings, what Swarm leaves out).")
    ] = Format.text,
) -> None:
    """Write the overlay for PROFILE: docker-compose.PROFILE.yml beside the first base file
    (with --target swarm, the stack file docker-stack.PROFILE.yml)."""

    def check_every_overlay() -> int:
        from composegen.render.check import check_all as do_check_all

        states = do_check_all(list(paths or ()), project, Path.cwd())
        for state in states:
            if state.ok:
                typer.echo(f"{state.path} is up to date")
            else:
                typer.echo(f"composegen: {state.path}: {state.message}", err=True)
        return EXIT_OK if all(s.ok for s in states) else EXIT_FINDINGS

    def body() -> int:
        from composegen.errors import InputError

        if check_all:
            return check_every_overlay()
        if paths:
            raise InputError("render takes no file arguments", fix="name files only with --check-all")
        if profile is None:
            raise InputError("missing option --profile", fix="name a profile: composegen render --profile dev")
        from composegen.render.overlay import default_output, read_files, render_planned
        from composegen.render.overlay import plan as do_plan
        from composegen.render.writer import refuse_empty_output, text_on_disk, write_atomic

        cwd = Path.cwd()
        refuse_empty_output(output)
        chosen_out = None if output is None or output == "-" else Path(output)
        planned = do_plan(profile, project, cwd, docker_version, measurements)
        chosen = target.value if target is not None else planned.profile.profile.target
        notes: list[dict[str, Any]] = []
        out = chosen_out or default_output(planned, chosen)
        if chosen == "swarm":
            from composegen.render.swarm import render_swarm_planned

            swarm = render_swarm_planned(planned, out)
            text, notes = swarm.text, [n.as_json() for n in swarm.notes]
            lines = [f"swarm: {n.text()}" for n in swarm.notes]
        else:
            text, lines = render_planned(planned, out), []
        warnings = list(planned.stack.warnings)
        report: dict[str, Any] = {"target": chosen, "output": None if output == "-" else str(out)}
        report.update(warnings=warnings, notes=notes, base_notes=list(planned.stack.base_notes))
        base_notes = [f"note: {n}" for n in planned.stack.base_notes]

        def say_notes() -> None:
            if fmt is Format.text:
                for line in [f"warning: {w}" for w in warnings] + base_notes + lines:
                    typer.echo(f"composegen: {line}", err=True)

        if not check or output == "-":  # --check: one line when up to date, the notes only when it differs
            say_notes()
        status = EXIT_OK
        if output == "-":
            report["text"] = text
            if fmt is Format.text:
                sys.stdout.write(text)
        elif check:
            current = text_on_disk(out)
            report["up_to_date"] = current == text
            if current != text:
                say_notes()
                state = "missing" if current is None else "out of date"
                again = f"composegen render --profile {profile}" + (" --target swarm" if chosen == "swarm" else "")
                typer.echo(f"composegen: {out} is {state}: run `{again}`", err=True)
                status = EXIT_FINDINGS
            elif fmt is Format.text:
                typer.echo(f"{out} is up to date")
        else:
            write_atomic(out, text, force=force, inputs=read_files(planned), root=planned.project.root)
            report["written"] = True
            if fmt is Format.text:
                typer.echo(str(out))
        if fmt is Format.json:
            typer.echo(json.dumps(report, indent=2))
        return status

    run(body)


@app.command()
def explain(
    profile: ProfileOpt,
    service: Annotated[str | None, typer.Argument(help="One service; all of them when left out.")] = None,
    project: ProjectOpt = None,
    fmt: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
    docker_version: DockerVersionOpt = None,
    measurements: Annotated[
        Path | None,
        typer.Option("--measurements", help="A file `composegen calibrate` wrote: measured values replace estimates."),
    ] = None,
) -> None:
    """Say why each service got the numbers it got, step by step."""

    def body() -> int:
        from composegen import explain as ex
        from composegen.errors import InputError
        from composegen.render.overlay import plan

        planned = plan(profile, project, Path.cwd(), docker_version, measurements)
        stack = planned.stack
        for warning in stack.warnings:
            if warning not in stack.fit.problems:  # those are in the text already
                typer.echo(f"composegen: warning: {warning}", err=True)
        if service is not None:
            chosen = stack.service(service)
            if chosen is None:
                names = ", ".join(s.name for s in stack.services)
                raise InputError(f"no service {service!r} in the stack", fix=f"choose one of: {names}")
            typer.echo(json.dumps(ex.service_json(chosen), indent=2) if fmt is Format.json else ex.service_text(chosen))
            return EXIT_OK
        if fmt is Format.json:
            typer.echo(json.dumps(ex.stack_json(stack), indent=2))
        else:
            typer.echo(ex.stack_text(stack))
            for s in stack.services:
                typer.echo("\n" + ex.service_text(s))
        return EXIT_OK

    run(body)


@profiles_app.command("list")
def profiles_list() -> None:
    """List the bundled profiles."""

    def body() -> int:
        from composegen.profiles.loader import bundled_profiles, load_profile

        for name in bundled_profiles():
            loaded = load_profile(name, Path.cwd())
            typer.echo(f"{name:<14} {loaded.profile.description}")
        return EXIT_OK

    run(body)


@profiles_app.command("show")
def profiles_show(name: Annotated[str, typer.Argument(help="A bundled profile name, or a path.")]) -> None:
    """Show a profile with everything it extends resolved."""

    def body() -> int:
        from composegen.profiles.loader import load_profile
        from composegen.profiles.show import readable

        here = Path.cwd() / "composegen.yaml"
        loaded = load_profile(name, Path.cwd(), here if here.is_file() else None)
        typer.echo(f"# {' extends '.join(loaded.files)}")
        typer.echo(json.dumps(readable(loaded.profile), indent=2))
        return EXIT_OK

    run(body)


class LintFormat(str, Enum):  # the choices of each enum: composegen.cli.entry (a test checks they agree)
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"


class Usage(str, Enum):
    dev = "dev"
    pytest = "pytest"
    prod = "prod"


class LintTarget(str, Enum):
    compose = "compose"
    swarm = "swarm"


_LINT = {opt.dest: opt for opt in LINT_OPTIONS}


def _lint_option(dest: str) -> Any:
    """The typer option for one entry of `composegen.cli.LINT_OPTIONS`."""
    return typer.Option(*_LINT[dest].flags, help=_LINT[dest].help)


@app.command()
def lint(
    files: Annotated[list[Path] | None, typer.Argument(help=LINT_FILES_HELP)] = None,
    stack: Annotated[list[Path] | None, _lint_option("stack")] = None,
    project: Annotated[Path | None, _lint_option("project")] = None,
    fmt: Annotated[LintFormat | None, _lint_option("fmt")] = None,
    fail_on: Annotated[FailOn | None, _lint_option("fail_on")] = None,
    strict: Annotated[bool, _lint_option("strict")] = False,
    usage: Annotated[Usage | None, _lint_option("usage")] = None,
    target: Annotated[LintTarget | None, _lint_option("target")] = None,
    select: Annotated[list[str] | None, _lint_option("select")] = None,
    ignore: Annotated[list[str] | None, _lint_option("ignore")] = None,
    fix: Annotated[bool, _lint_option("fix")] = False,
    diff: Annotated[bool, _lint_option("diff")] = False,
    baseline: Annotated[Path | None, _lint_option("baseline")] = None,
    write_baseline: Annotated[Path | None, _lint_option("write_baseline")] = None,
) -> None:
    """Lint compose files for what kills containers: limits, healthchecks, security, hygiene.

    With no files: the stack of composegen.yaml, else what `docker compose` would read here.
    Exit 0 when clean, 1 on findings at or above --fail-on, 2 when a file cannot be read.
    """
    run(
        lambda: lint_command(
            files=files,
            stack=stack,
            project=project,
            fmt=fmt.value if fmt is not None else None,
            fail_on=fail_on.value if fail_on is not None else None,
            strict=strict,
            usage=usage.value if usage is not None else None,
            target=target.value if target is not None else None,
            select=select,
            ignore=ignore,
            fix=fix,
            diff=diff,
            baseline=baseline,
            write_baseline=write_baseline,
        )
    )


@app.command("rules")
def rules_command(
    code: Annotated[str | None, typer.Argument(help="One rule, by code or name: its documentation.")] = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="The full reference (docs/rules.md).")] = False,
) -> None:
    """List the lint rules: code, name, default severity, whether --fix fixes it; or explain one."""

    def body() -> int:
        from composegen.errors import InputError
        from composegen.lint.docs import rule_page, rules_markdown, rules_table
        from composegen.lint.rules import all_rules, by_code_or_name

        if code is not None:
            rule = by_code_or_name(code.strip()) or by_code_or_name(code.strip().upper())
            if rule is None:
                raise InputError(f"no lint rule {code!r}", fix="see `composegen rules` for their codes and names")
            sys.stdout.write(rule_page(rule))
            return EXIT_OK
        sys.stdout.write(rules_markdown(all_rules()) if markdown else rules_table(all_rules()))
        return EXIT_OK

    run(body)


class SchemaKind(str, Enum):
    project = "project"
    profile = "profile"


@app.command()
def schema(kind: Annotated[SchemaKind, typer.Argument(help="project (composegen.yaml) or profile.")]) -> None:
    """Print the JSON Schema of composegen.yaml or of a profile (for editors)."""

    def body() -> int:
        from composegen.profiles.schema import schema_text

        sys.stdout.write(schema_text(kind.value))
        return EXIT_OK

    run(body)


def _register_more_commands() -> None:
    """Commands that live in their own modules (each imports its heavy parts lazily)."""
    from composegen.cli import engine, export, models, plan, scale

    for module in (engine, plan, export, scale, models):
        module.register(app)


_register_more_commands()
