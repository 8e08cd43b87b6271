"""`composegen lint` parsed without typer (composegen.cli.lint_options) must mean exactly what typer parses.

The console script parses a plainly valid `lint` command line itself (importing typer costs more
than a small lint run) and hands anything else to the typer app. So: the typer command declares
exactly the options of `LINT_OPTIONS`; every command line the fast parser accepts, typer parses
to the same options; every one typer refuses, the fast parser leaves to typer.
"""

from __future__ import annotations

import random
import subprocess
import sys
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import typer

from composegen.cli import app as typer_app
from composegen.cli.lint_options import LINT_FILES_HELP, LINT_OPTIONS, lint_options, parse_lint_args
from composegen.lint.run import LintOptions


@cache
def _lint_command() -> Any:
    group = typer.main.get_command(typer_app.app)
    return group.commands["lint"]  # type: ignore[attr-defined]  # the app is a click group


def test_typer_declares_exactly_the_shared_lint_options() -> None:
    params = {p.name: p for p in _lint_command().params}
    assert set(params) == {"files"} | {o.dest for o in LINT_OPTIONS}
    assert params["files"].help == LINT_FILES_HELP
    assert params["files"].nargs == -1
    for opt in LINT_OPTIONS:
        param = params[opt.dest]
        assert param.opts == list(opt.flags), opt.dest
        assert param.secondary_opts == []
        assert param.help == opt.help
        assert param.is_flag == (opt.takes == "flag"), opt.dest
        assert param.multiple == (opt.takes == "many"), opt.dest
    for opt in LINT_OPTIONS:  # typer takes exactly the table's choices
        if opt.choices:
            for choice in opt.choices:
                taken = _typer_options([opt.flags[0], choice])
                assert taken is not None and taken == _fast_options([opt.flags[0], choice]), choice
            assert _typer_options([opt.flags[0], "bogus"]) is None


def _typer_options(args: list[str]) -> LintOptions | None:
    """What the typer command makes of `lint ARGS` (None: it refuses them)."""
    try:
        ctx = _lint_command().make_context("lint", list(args))
    except Exception:  # a usage error, or --help
        return None
    values = {k: (v.value if isinstance(v, Enum) else v) for k, v in ctx.params.items()}
    return lint_options(**values)


def _fast_options(args: list[str]) -> LintOptions | None:
    parsed = parse_lint_args(args)
    return None if parsed is None else lint_options(**parsed)


EXAMPLES = [
    [],
    ["compose.yml"],
    ["a.yml", "b.yml", "--format", "json"],
    ["-f", "a.yml", "-f", "b.yml", "--select", "CG1,CG5", "--select", "CG601", "--ignore", "CG101"],
    ["--file=a.yml", "--format=sarif", "--fail-on", "warning", "--strict", "--usage", "prod", "--target", "swarm"],
    ["--project", "composegen.yaml", "--fix", "--diff", "x.yml"],
    ["--format", "json", "--format", "text", "a.yml"],  # the last one wins
    ["a.yml", "--", "--strict", "-f"],  # after --, files
    ["--baseline", "base.json", "--write-baseline=new.json", "a.yml"],
]
REFUSED = [
    ["--format", "xml"],
    ["--selct", "CG1"],
    ["-f"],
    ["--strict=yes"],
    ["--usage", "Prod"],
    ["--help"],
    ["lint"],  # not refused: a file named lint
]


@pytest.mark.parametrize("args", EXAMPLES)
def test_the_fast_parser_reads_what_typer_reads(args: list[str]) -> None:
    fast = _fast_options(args)
    assert fast is not None
    assert fast == _typer_options(args)


@pytest.mark.parametrize("args", REFUSED)
def test_what_typer_refuses_goes_to_typer(args: list[str]) -> None:
    if _typer_options(args) is None:
        assert parse_lint_args(args) is None
    else:
        assert _fast_options(args) == _typer_options(args)


TOKENS = [
    "a.yml",
    "b.yml",
    "-",
    "",
    "--",
    "-f",
    "--file",
    "--file=c.yml",
    "-fd.yml",
    "--project",
    "--format",
    "json",
    "sarif",
    "xml",
    "--format=github",
    "--format=",
    "--fail-on",
    "info",
    "--strict",
    "--strict=1",
    "--usage",
    "dev",
    "--target",
    "compose",
    "--select",
    "CG1,CG5",
    "--select=CG6",
    "--ignore",
    ",",
    "--fix",
    "--diff",
    "--baseline",
    "--write-baseline=b.json",
    "--help",
    "--selct",
    "-x",
    "-h",
]


def test_random_command_lines_parse_alike() -> None:
    rng = random.Random(3)
    accepted = 0
    for _ in range(1500):
        args = [rng.choice(TOKENS) for _ in range(rng.randint(0, 6))]
        typer_result = _typer_options(args)
        fast = parse_lint_args(args)
        if fast is None:
            continue  # typer parses it (or refuses it), whatever it is
        accepted += 1
        assert lint_options(**fast) == typer_result, args
    assert accepted > 200


def _composegen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "composegen", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_errors_and_exit_codes_match_the_typer_path(tmp_path: Path) -> None:
    (tmp_path / "ok.yml").write_text("services:\n  web:\n    image: nginx:1.27.1\n", encoding="utf-8")
    (tmp_path / "bad.yml").write_text("services:\n  web: [\n", encoding="utf-8")
    fast = _composegen("lint", "--format", "json", "ok.yml", "bad.yml", cwd=tmp_path)
    typer_only = "from composegen.cli.app import app; app(prog_name='composegen')"
    through_typer = subprocess.run(
        [sys.executable, "-c", typer_only, "lint", "--format", "json", "ok.yml", "bad.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (fast.returncode, fast.stdout, fast.stderr) == (
        through_typer.returncode,
        through_typer.stdout,
        through_typer.stderr,
    )
    assert fast.returncode == 2 and fast.stderr.startswith("composegen: bad.yml:")
    usage = _composegen("lint", "--format", "xml", cwd=tmp_path)
    assert usage.returncode == 2 and "Invalid value for '--format'" in usage.stderr
