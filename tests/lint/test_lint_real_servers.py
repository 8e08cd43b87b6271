"""What real servers showed, as lint sees it (issue 14, facts/real-servers.md): PostgreSQL 15
with a hand-written 2G limit and a 2G tmpfs data dir was OOM-killed loading data, and composegen's
own pytest overlay held the same server with 1 GB of data and 100 clients. `composegen lint`
flags the first and stays silent on the second."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

KILLED = """\
services:
  db:
    image: postgres:15
    environment: {POSTGRES_PASSWORD: secret}
    tmpfs: [/var/lib/postgresql/data:size=2g]
    mem_limit: 2g
"""
BASE = """\
services:
  db:
    image: postgres:15
    environment: {POSTGRES_PASSWORD: secret}
  cache:
    image: redis:7.0
  sql:
    image: mariadb:10.11
    environment: {MARIADB_ROOT_PASSWORD: secret}
"""
PROJECT = """\
compose_files: [docker-compose.yml]
services:
  db: {dataset: 1G, connections: 100}
  cache: {dataset: 32M}
  sql: {dataset: 200M, connections: 50}
"""


def cg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "composegen", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def findings(result: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    found: list[dict[str, object]] = json.loads(result.stdout)
    return found


def test_lint_flags_the_tmpfs_that_filled_the_limit_on_real_postgres(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(KILLED)
    result = cg("lint", "--format", "json", "docker-compose.yml", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    (kill,) = [f for f in findings(result) if f["code"] == "CG105"]
    assert kill["severity"] == "error"
    assert "filling the tmpfs alone OOM-kills it" in str(kill["message"])


@pytest.mark.parametrize(
    "options",
    [["--usage", "pytest"], ["--select", "CG1,CG2,CG3,CG4"]],  # usage unknown: the base's hygiene aside
    ids=["pytest", "resources"],
)
def test_lint_is_silent_on_composegens_overlay_for_the_same_servers(tmp_path: Path, options: list[str]) -> None:
    (tmp_path / "docker-compose.yml").write_text(BASE)
    (tmp_path / "composegen.yaml").write_text(PROJECT)
    rendered = cg("render", "--profile", "pytest", cwd=tmp_path)
    assert rendered.returncode == 0, rendered.stderr
    args = ["lint", "--format", "json", "-f", "docker-compose.yml", "-f", "docker-compose.pytest.yml"]
    result = cg(*args, *options, cwd=tmp_path)
    loud = [f for f in findings(result) if f["severity"] != "info"]
    assert loud == [], result.stdout
    assert result.returncode == 0
