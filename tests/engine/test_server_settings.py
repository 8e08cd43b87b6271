"""verify asks each database server for the settings composegen wrote (composegen.engine.server):
what it asks, how it reads the answer, and planned against applied. Pure: no engine needed (the
engine test is test_engine_verify_servers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from composegen.engine.compare import Check, EngineInfo
from composegen.engine.server import ServerQuery, compare_server, parse_applied, same, server_query
from composegen.engine.verify import VerifyReport
from composegen.render.overlay import plan

BASE = """\
services:
  db:
    image: postgres:15-composegen
    environment: {POSTGRES_PASSWORD: not-printed}
  cache:
    image: redis:7.0-composegen
  sql:
    image: mariadb:10.11-composegen
    environment: {MARIADB_ROOT_PASSWORD: not-printed}
  app:
    image: python:3.11-composegen
    command: gunicorn app:app
  own:
    image: postgres:15-composegen
    command: postgres -c fsync=off
"""
PROJECT = """\
compose_files: [docker-compose.yml]
services:
  db: {connections: 20, memory: 256M}
  cache: {dataset: 8M}
  sql: {connections: 10, memory: 512M}
"""


@pytest.fixture(scope="module")
def queries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ServerQuery | None]:
    folder: Path = tmp_path_factory.mktemp("servers")
    (folder / "docker-compose.yml").write_text(BASE)
    (folder / "composegen.yaml").write_text(PROJECT)
    planned = plan("pytest", None, folder)
    return {s.name: server_query(s) for s in planned.stack.services}


def test_each_database_is_asked_for_what_composegen_wrote(queries: dict[str, ServerQuery | None]) -> None:
    db, cache, sql = queries["db"], queries["cache"], queries["sql"]
    assert db is not None and cache is not None and sql is not None
    assert dict(db.planned)["max_connections"] == "26"  # 20 clients + 6
    assert {"shared_buffers", "work_mem", "max_wal_size", "min_wal_size"} <= dict(db.planned).keys()
    assert dict(cache.planned).keys() == {"maxmemory", "maxmemory-policy", "save", "appendonly"}
    assert dict(cache.planned)["save"] == ""
    # MariaDB on the profile's tmpfs data dir: its redo log too (verify asks the server for it)
    assert dict(sql.planned) == {
        "innodb_buffer_pool_size": "128M",
        "max_connections": "13",
        "innodb_log_file_size": "32M",
    }
    # not a database, or a command composegen did not write (the base's own runs): nothing to ask
    assert queries["app"] is None and queries["own"] is None


def test_the_questions_carry_no_secret(queries: dict[str, ServerQuery | None]) -> None:
    for query in queries.values():
        if query is not None:
            argv = " ".join(query.command())
            assert "not-printed" not in argv
    db, cache = queries["db"], queries["cache"]
    assert db is not None and cache is not None
    assert "'shared_buffers'" in db.command()[-1] and "psql" in db.command()[2]
    assert cache.command()[4:6] == ("redis-cli", "maxmemory")


@pytest.mark.parametrize(
    ("kind", "output", "expected"),
    [
        ("postgres", "max_connections=26\nshared_buffers=64MB\n", {"max_connections": "26", "shared_buffers": "64MB"}),
        (
            "redis",
            "maxmemory\n8388608\nsave\n\nappendonly\nno\n",
            {"maxmemory": "8388608", "save": "", "appendonly": "no"},
        ),
        (
            "mysql",
            "innodb_buffer_pool_size\t134217728\nmax_connections\t151\n",
            {"innodb_buffer_pool_size": "134217728", "max_connections": "151"},
        ),
        ("redis", "", {}),
    ],
)
def test_the_answers_are_read(kind: str, output: str, expected: dict[str, str]) -> None:
    assert parse_applied(kind, output) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "name", "planned", "applied", "ok"),
    [
        ("postgres", "shared_buffers", "64MB", "64MB", True),
        ("postgres", "shared_buffers", "39765kB", "39768kB", True),  # rounded to 8 kB pages
        ("postgres", "shared_buffers", "64MB", "128MB", False),
        ("postgres", "work_mem", "4MB", "4096kB", True),
        ("postgres", "max_wal_size", "1GB", "1GB", True),
        ("postgres", "max_wal_size", "128MB", "1GB", False),  # the default: the bound is not in effect
        ("postgres", "max_connections", "26", "100", False),
        ("mysql", "innodb_buffer_pool_size", "256M", "268435456", True),
        ("mysql", "innodb_buffer_pool_size", "256M", "134217728", False),
        ("mysql", "max_connections", "13", "151", False),  # MariaDB's default: the flag not applied
        ("redis", "maxmemory", "8388608", "8388608", True),
        ("redis", "save", "", "", True),
        ("redis", "save", "", "3600 1 300 100 60 10000", False),
        ("redis", "maxmemory-policy", "noeviction", "allkeys-lru", False),
    ],
)
def test_planned_against_applied(kind: str, name: str, planned: str, applied: str, ok: bool) -> None:
    assert same(kind, name, planned, applied) is ok  # type: ignore[arg-type]


def test_a_row_per_setting_a_mismatch_names_service_and_setting() -> None:
    query = ServerQuery("sql", "mysql", (("innodb_buffer_pool_size", "256M"), ("max_connections", "13")))
    rows = compare_server(query, [{"innodb_buffer_pool_size": "268435456", "max_connections": "151"}])
    assert [(r.field, r.status) for r in rows] == [
        ("server innodb_buffer_pool_size", "ok"),
        ("server max_connections", "mismatch"),
    ]
    report = VerifyReport("p", EngineInfo("20.10.24", "1.41"), tuple(rows))
    assert not report.ok
    assert "verify: sql: server max_connections planned 13, applied 151" in report.text()


def test_a_setting_the_server_does_not_report_is_a_mismatch() -> None:
    query = ServerQuery("db", "postgres", (("max_wal_size", "128MB"),))
    (row,) = compare_server(query, [{}])
    assert (row.applied, row.status) == ("missing", "mismatch")


def test_a_server_that_cannot_be_asked_is_said_not_failed() -> None:
    query = ServerQuery("sql", "mysql", (("max_connections", "13"),))
    (row,) = compare_server(query, [], "the server did not answer (exit 1): Access denied for user 'root'")
    assert row == Check("sql", "server settings", "asked", "unreadable", "n/a", row.note)
    assert "Access denied" in row.note
