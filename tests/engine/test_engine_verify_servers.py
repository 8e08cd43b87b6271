"""`composegen verify` asks the real servers (scripts/servers-image: PostgreSQL 15, Redis 7.0,
MariaDB 10.11) for the settings composegen wrote, and fails when a server runs something else."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engine.leftovers import nothing_left

pytestmark = pytest.mark.engine

RUN_TIMEOUT = 300


def cg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "composegen", *args], cwd=cwd, capture_output=True, text=True, timeout=RUN_TIMEOUT
    )


@pytest.fixture(autouse=True)
def nothing_left_behind(engine: Any) -> Iterator[None]:
    yield from nothing_left(engine, "composegen-verify-", "verify")


def stack(folder: Path, images: dict[str, str]) -> Path:
    folder.mkdir()
    (folder / "docker-compose.yml").write_text(
        "services:\n"
        f"  db:\n    image: {images['postgres']}\n    environment: {{POSTGRES_PASSWORD: secret}}\n"
        f"  cache:\n    image: {images['redis']}\n"
        f"  sql:\n    image: {images['mariadb']}\n    environment: {{MARIADB_ROOT_PASSWORD: secret}}\n"
    )
    (folder / "composegen.yaml").write_text(
        "compose_files: [docker-compose.yml]\n"
        "services:\n  db: {connections: 20}\n  cache: {dataset: 8M}\n  sql: {connections: 10, memory: 512M}\n"
    )
    return folder


def test_verify_reads_each_server_and_fails_on_one_running_other_settings(
    servers_images: dict[str, str], tmp_path: Path
) -> None:
    """One run (each container costs tens of seconds on the vfs engine): MariaDB and Redis run what
    composegen wrote, and the server says so; PostgreSQL is given another command by a later file.
    Its container's limits are all as planned: only the server says that the max_connections and
    the WAL bound composegen planned are not in effect."""
    folder = stack(tmp_path / "servers", servers_images)
    override = folder / "docker-compose.other.yml"
    override.write_text('services:\n  db:\n    command: ["postgres", "-c", "max_connections=50"]\n')
    result = cg("verify", "--profile", "pytest", "--format", "json", "--file", str(override), cwd=folder)
    assert result.returncode == 1, result.stdout + result.stderr
    rows = {(c["service"], c["field"]): c for c in json.loads(result.stdout)["checks"]}
    for key in [
        ("cache", "server maxmemory"),
        ("cache", "server save"),
        ("sql", "server innodb_buffer_pool_size"),
        ("sql", "server max_connections"),
        ("db", "server work_mem"),  # pgtune's 4 MB floor is PostgreSQL's default too
    ]:
        assert rows[key]["status"] == "ok", rows.get(key)
    assert rows[("sql", "server max_connections")]["applied"] == "13"  # not MariaDB's default 151
    failed = {key: (row["planned"], row["applied"]) for key, row in rows.items() if row["status"] == "mismatch"}
    assert failed == {  # PostgreSQL's defaults, but for the override's max_connections
        ("db", "server max_connections"): ("26", "50"),
        ("db", "server shared_buffers"): ("64MB", "128MB"),
        ("db", "server effective_cache_size"): ("192MB", "4GB"),
        ("db", "server maintenance_work_mem"): ("16MB", "64MB"),
        ("db", "server max_wal_size"): ("32MB", "1GB"),
        ("db", "server min_wal_size"): ("32MB", "80MB"),
        ("db", "server jit"): ("off", "on"),
        ("db", "server max_parallel_workers_per_gather"): ("0", "2"),  # 1 core: parallel query off
        ("db", "server max_parallel_maintenance_workers"): ("0", "2"),
    }
