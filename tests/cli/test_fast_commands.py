"""`render`, `explain`, `plan` and `export k8s` parsed without typer (composegen.cli.table) must mean exactly
what typer parses; tests/lint/test_lint_cli_fast.py checks the same of `lint`.

The console script parses a plainly valid command line of these commands itself (importing typer
costs more than a small render) and hands anything else to the typer app. So: each typer command
declares exactly the options and argument of its table; every command line the fast parser accepts,
typer parses to the same values; every one typer refuses, the fast parser leaves to typer; and a run
on the fast path prints what the typer path prints, without importing typer.
"""

from __future__ import annotations

import random
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import typer

from composegen.cli import app as typer_app
from composegen.cli.entry import FAST_COMMANDS, fast_body
from composegen.cli.export_options import K8S
from composegen.cli.lint_options import LINT
from composegen.cli.plan_options import PLAN
from composegen.cli.render_options import EXPLAIN, RENDER
from composegen.cli.table import Command, parse_args
from composegen.cli.typed import typer_command

COMMANDS = {("render",): RENDER, ("explain",): EXPLAIN, ("export", "k8s"): K8S, ("plan",): PLAN, ("lint",): LINT}
IDS = [" ".join(words) for words in COMMANDS]


@cache
def _typer_command(words: tuple[str, ...]) -> Any:
    command: Any = typer.main.get_command(typer_app.app)
    for word in words:
        command = command.commands[word]  # a click group's commands
    return command


def _typer_values(words: tuple[str, ...], args: list[str]) -> dict[str, Any] | None:
    """What the body of the typer command generated from the table gets from `ARGS` (None: typer
    refuses them, or prints the help)."""
    got: list[dict[str, Any]] = []
    recording = COMMANDS[words]._replace(body=lambda **parsed: got.append(parsed) or 0)
    app = typer.Typer()
    app.command(words[-1])(typer_command(recording))
    app.command("other")(lambda: None)  # (a group: the command is not the whole app)
    try:
        typer.main.get_command(app).main([words[-1], *args], prog_name="composegen", standalone_mode=False)
    except Exception:  # a usage error
        return None
    return got[0] if got else None


def test_the_entry_point_parses_exactly_these_commands() -> None:
    assert set(FAST_COMMANDS) == set(COMMANDS)
    for words, command in COMMANDS.items():
        body = fast_body([*words, *_required(command)])
        assert body is not None and body.func is command.body  # type: ignore[attr-defined]  # a partial
    assert fast_body(["export", "alerts", "--profile", "prod"]) is None
    assert fast_body(["export", "env", "--profile", "prod"]) is None


@pytest.mark.parametrize(("words", "command"), COMMANDS.items(), ids=IDS)
def test_typer_declares_exactly_the_table(words: tuple[str, ...], command: Command) -> None:
    typer_command = _typer_command(words)
    assert typer_command.help == command.help
    params = [p for p in typer_command.params if p.param_type_name == "option"]
    assert [p.name for p in params] == [o.dest for o in command.options]  # the order of the help
    for opt, param in zip(command.options, params, strict=True):
        assert param.opts == list(opt.flags), opt.dest
        assert param.secondary_opts == []
        assert param.help == opt.help
        assert param.is_flag == (opt.takes == "flag"), opt.dest
        assert param.multiple == (opt.takes == "many"), opt.dest
        assert param.required == opt.required, opt.dest
    arguments = [p for p in typer_command.params if p.param_type_name == "argument"]
    if command.argument is None:
        assert arguments == []
    else:
        (argument,) = arguments
        assert (argument.name, argument.help) == (command.argument.dest, command.argument.help)
        assert argument.nargs == (-1 if command.argument.many else 1)


def _required(command: Command) -> list[str]:
    """Values for the options a command requires."""
    return [part for opt in command.options if opt.required for part in (opt.flags[0], "out")]


@pytest.mark.parametrize(("words", "command"), COMMANDS.items(), ids=IDS)
def test_typer_takes_exactly_the_tables_choices(words: tuple[str, ...], command: Command) -> None:
    for opt in command.options:
        for choice in opt.choices:
            args = [*_required(command), opt.flags[0], choice]
            taken = _typer_values(words, args)
            assert taken is not None and taken == parse_args(command, args), choice
        if opt.choices:
            assert _typer_values(words, [*_required(command), opt.flags[0], "bogus"]) is None


EXAMPLES = {
    ("render",): [
        [],
        ["--profile", "prod"],
        ["-p", "prod", "-o", "-", "--format", "json"],
        ["--profile=dev", "--output=o.yml", "--force", "--check", "--target", "swarm"],
        ["--check-all", "a.yml", "b.yml", "--project", "composegen.yaml"],
        ["-p", "prod", "--docker-version", "24.0", "--measurements", "m.json", "--format", "text", "--format=json"],
        ["-p", "prod", "--", "--force"],  # after --, paths
    ],
    ("explain",): [
        ["--profile", "prod"],
        ["-p", "prod", "postgres", "--format", "json"],
        ["web", "--profile=prod", "--project", "p.yaml", "--measurements", "m.json", "--docker-version", "24"],
    ],
    ("export", "k8s"): [
        ["--profile", "prod", "-o", "k8s"],
        ["-p", "prod", "--output", "-"],
        ["-o", "k8s/", "--profile=prod", "--force", "--format", "json", "--project", "composegen.yaml"],
    ],
    ("plan",): [
        ["--profile", "prod"],
        ["-p", "prod", "--host", "64g/16", "--host=256g/32+4gpu", "--agents", "500", "--step=50"],
        ["-p", "agent-scale", "--per-agent", "128m/0.1", "--format", "json", "--measurements", "m.json"],
    ],
}
REFUSED = {
    ("render",): [["--format", "xml"], ["-p"], ["--force=yes"], ["--target", "Swarm"], ["--help"], ["-pprod"]],
    ("explain",): [[], ["web"], ["-p", "prod", "a", "b"], ["--profile", "--format", "json"], ["-p", "prod", "-"]],
    ("export", "k8s"): [["--profile", "prod"], ["-o", "k8s"], ["-p", "prod", "-o", "k8s", "extra"], ["-o", "-o"]],
    ("plan",): [["-p", "x", "--agents", "0"], ["-p", "x", "--step", "05"], ["-p", "x", "--agents", "1_0"], ["x"]],
}


@pytest.mark.parametrize(("words", "args"), [(w, a) for w, cases in EXAMPLES.items() for a in cases])
def test_the_fast_parser_reads_what_typer_reads(words: tuple[str, ...], args: list[str]) -> None:
    fast = parse_args(COMMANDS[words], args)
    assert fast is not None
    assert fast == _typer_values(words, args)


@pytest.mark.parametrize(("words", "args"), [(w, a) for w, cases in REFUSED.items() for a in cases])
def test_what_typer_refuses_goes_to_typer(words: tuple[str, ...], args: list[str]) -> None:
    fast = parse_args(COMMANDS[words], args)
    typer_result = _typer_values(words, args)
    if typer_result is None:
        assert fast is None
    elif fast is not None:
        assert fast == typer_result


def _tokens(command: Command) -> list[str]:
    """Tokens to draw command lines from: each flag, alone and with a value attached, each choice,
    values of every kind, and what typer refuses or reads its own way."""
    tokens = ["a.yml", "b", "-", "", "--", "--help", "-x", "--bogus", "bogus", "-pprod", "-o-", "0", "1", "07", "12"]
    for opt in command.options:
        tokens += [*opt.flags, f"{opt.flags[0]}=", f"{opt.flags[0]}=v", *opt.choices]
        tokens += [f"{opt.flags[0]}={choice}" for choice in opt.choices]
    return tokens


@pytest.mark.parametrize(("words", "command"), COMMANDS.items(), ids=IDS)
def test_random_command_lines_parse_alike(words: tuple[str, ...], command: Command) -> None:
    rng = random.Random(5)
    tokens = _tokens(command)
    accepted = 0
    for _ in range(1500):
        args = [rng.choice(tokens) for _ in range(rng.randint(0, 5))]
        if rng.random() < 0.7:  # most with what the command requires, so that some are valid
            args = [*_required(command), *args]
        fast = parse_args(command, args)
        if fast is None:
            continue  # typer parses it (or refuses it), whatever it is
        accepted += 1
        assert fast == _typer_values(words, args), args
    assert accepted > 100


PROBE = """
import sys
from composegen.cli import main
try:
    main(sys.argv[1:])
except SystemExit as done:
    code = done.code
loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("typer", "click"))
print("\\0" + str(code) + " " + " ".join(loaded))
"""
THROUGH_TYPER = "import sys; from composegen.cli.app import app; app(args=sys.argv[1:], prog_name='composegen')"


def _run(code: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    "args",
    [
        ["render", "--profile", "prod", "-o", "-"],
        ["render", "--profile", "prod", "--format", "json", "--force"],
        ["render", "--profile", "prod", "--check"],
        ["render"],
        ["render", "--check-all"],
        ["explain", "--profile", "prod"],
        ["explain", "--profile", "prod", "--format", "json", "web"],
        ["explain", "--profile", "prod", "nosuch"],
        ["export", "k8s", "--profile", "prod", "-o", "k8s"],
        ["export", "k8s", "--profile", "prod", "-o", "-"],
        ["export", "k8s", "--profile", "prod", "-o", "-", "--format", "json"],
        ["plan", "--profile", "prod", "--host", "8g/4"],
        ["plan", "--profile", "prod", "--format", "json", "--agents", "3"],
    ],
    ids=" ".join,
)
def test_the_fast_path_prints_what_typer_prints_without_typer(tmp_path: Path, args: list[str]) -> None:
    outputs = []
    for name, code in (("fast", PROBE), ("typer", THROUGH_TYPER)):
        folder = tmp_path / name  # the same name in both: paths in the output differ only by it
        (folder / "p").mkdir(parents=True)
        (folder / "p" / "docker-compose.yml").write_text("services:\n  web:\n    image: nginx:1.27.1\n")
        done = _run(code, args, folder / "p")
        files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
        outputs.append((done, files))
    (fast, fast_files), (slow, slow_files) = outputs
    fast_out, code_and_loaded = fast.stdout.rsplit("\0", 1)
    code, *loaded = code_and_loaded.split()
    assert loaded == []  # no typer (nor click) on the fast path
    assert int(code) == slow.returncode
    assert fast_out.replace("/fast/", "/typer/") == slow.stdout.replace("/fast/", "/typer/")
    assert fast.stderr.replace("/fast/", "/typer/") == slow.stderr.replace("/fast/", "/typer/")
    assert fast_files == slow_files
