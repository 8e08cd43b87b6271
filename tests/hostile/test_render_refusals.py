"""`composegen render` refuses exactly what compose v2 refuses, with compose as the oracle: each
case of compose_refusals.yaml is run through compose `config` and through `composegen render`
(and, for a base compose refuses, `composegen lint`). Before, render wrote an overlay over bases
compose refuses (a service with no image and no build, a malformed `${`, an undefined volume, an
included file with keys compose does not know) and carried composegen.yaml values compose
refuses (`pa${ss`, a name that is a space) into the overlay."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from composegen.compose import oracle
from composegen.yamlio import read_document

HERE = Path(__file__).resolve().parent
TABLE = read_document(HERE / "compose_refusals.yaml").data
CASES: list[dict[str, Any]] = TABLE["cases"]
#: The environment both tools see: nothing of the machine running the tests.
CLEAN_ENV = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}


@dataclass(frozen=True)
class Outcome:
    root: Path
    compose: subprocess.CompletedProcess[str]
    render: subprocess.CompletedProcess[str]
    lint: subprocess.CompletedProcess[str] | None


def _composegen(args: list[str], root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "composegen", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**CLEAN_ENV, "PYTHONPATH": str(HERE.parents[1])},
    )


def _run_case(case: dict[str, Any], root: Path) -> Outcome:
    root.mkdir(parents=True)
    for name, text in {**TABLE["defaults"], **(case.get("files") or {})}.items():
        (root / name).write_text(text, encoding="utf-8")
    files = [root / "docker-compose.yml"]
    if case.get("overlay"):
        files.append(root / "overlay.yml")
        files[-1].write_text(case["overlay"], encoding="utf-8")
    compose = oracle.run(oracle.config_args(files, project_dir=root), env=CLEAN_ENV)
    render = _composegen(["render", "--profile", case.get("profile", "dev"), "-o", "-"], root)
    lint = (
        None
        if case.get("overlay") or case.get("environment_decides")
        else _composegen(["lint", "-f", "docker-compose.yml"], root)
    )
    return Outcome(root, compose, render, lint)


@cache
def _outcomes(base: Path) -> dict[str, Outcome]:
    """Every case run once, four at a time (each is two or three processes)."""
    with ThreadPoolExecutor(4) as pool:
        futures = {case["name"]: pool.submit(_run_case, case, base / case["name"]) for case in CASES}
        return {name: future.result() for name, future in futures.items()}


@pytest.fixture(scope="module")
def outcomes(compose_bin: tuple[str, ...], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    return _outcomes(tmp_path_factory.mktemp("refusals"))


@pytest.fixture(scope="module")
def compose_bin() -> tuple[str, ...]:
    return oracle.compose_command()


@pytest.mark.oracle
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_render_refuses_exactly_what_compose_refuses(case: dict[str, Any], outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[case["name"]]
    compose_refuses = outcome.compose.returncode != 0
    if case.get("differs"):
        assert not compose_refuses, "compose now refuses it: drop `differs`"
    render = outcome.render
    assert "Traceback" not in render.stderr
    if case.get("environment_decides"):
        assert compose_refuses, "compose now accepts it: drop `environment_decides`"
        assert render.returncode == 0, render.stderr
        return
    refuse = compose_refuses or bool(case.get("differs"))
    if not refuse:
        assert render.returncode == 0, render.stderr
        assert "where" not in case, "compose accepts it: a case it accepts has no `where`"
        return
    lines = render.stderr.strip().splitlines()
    assert render.returncode == 2, (compose_refuses, outcome.compose.stderr, render.stderr)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"composegen: {outcome.root}/{case['where']}: "), lines[0]
    assert "internal error" not in lines[0] and "composegen bug" not in lines[0]
    assert not render.stdout  # nothing written


@pytest.mark.oracle
@pytest.mark.parametrize(
    "case", [c for c in CASES if not c.get("overlay") and not c.get("environment_decides")], ids=lambda c: c["name"]
)
def test_lint_never_calls_a_base_compose_refuses_clean(case: dict[str, Any], outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[case["name"]]
    assert outcome.lint is not None
    assert "Traceback" not in outcome.lint.stderr
    if outcome.compose.returncode != 0:
        assert outcome.lint.returncode in (1, 2), outcome.lint.stdout
        assert " error " in outcome.lint.stdout or outcome.lint.returncode == 2
