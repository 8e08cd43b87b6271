"""PostgreSQL sizing: pgtune numbers worked by hand from facts/sizing.md §Databases."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from composegen.compose import oracle
from composegen.sizing import common, postgres
from composegen.sizing.model import ServiceInputs
from composegen.sizing.quantity import explain_lines
from composegen.units import MIB
from tests.conftest import leaves, make_inputs, make_profile

TMPFS = {"tmpfs": {"data_dirs": True}}
#: What composegen writes beside pgtune's settings for a container of fewer than 2 cores (the test
#: profile's default 1): JIT and parallel query off (memory nothing written would bound).
SERIAL = {"jit": "off", "max_parallel_workers_per_gather": "0", "max_parallel_maintenance_workers": "0"}


def pg(image: str | None = "postgres:16", **spec: object) -> ServiceInputs:
    return make_inputs("postgres", image=image, **spec)


def with_base(inputs: ServiceInputs, **fields: object) -> ServiceInputs:
    return inputs._replace(base=inputs.base._replace(**fields))


@pytest.mark.parametrize(
    ("memory", "connections", "expected"),
    [
        # R = 1 GiB, 100 clients (the default) + 1 healthcheck + 2 admin + 3 superuser-reserved =
        # 106 connections: shared_buffers = 1024/4 = 256 MiB; effective_cache_size =
        # 3 × 1024/4 = 768 MiB; maintenance_work_mem = 1024/16 = 64 MiB; work_mem =
        # (1024 − 256) MiB / ((106 + 8) × 3) = 768/342 = 2.25 MiB → pgtune floor 4 MB.
        (
            "1G",
            None,
            {
                "max_connections": "106",
                "shared_buffers": "256MB",
                "effective_cache_size": "768MB",
                "maintenance_work_mem": "64MB",
                "work_mem": "4MB",
            },
        ),
        # R = 16 GiB: 4 GB, 12 GB, 1 GB; work_mem = 12288 MiB / 342 = 12582912 kB / 342
        # = 36792.1 kB → 36792kB.
        (
            "16G",
            None,
            {
                "max_connections": "106",
                "shared_buffers": "4GB",
                "effective_cache_size": "12GB",
                "maintenance_work_mem": "1GB",
                "work_mem": "36792kB",
            },
        ),
        # R = 256 GiB: 256/16 = 16 GB → capped at 8 GB; work_mem = 192 GiB / 342
        # = 201326592 kB / 342 = 588674.2 kB.
        (
            "256G",
            None,
            {
                "max_connections": "106",
                "shared_buffers": "64GB",
                "effective_cache_size": "192GB",
                "maintenance_work_mem": "8GB",
                "work_mem": "588674kB",
            },
        ),
        # R = 4 GiB, 200 clients + 6 = 206 connections: work_mem = 3072 MiB / ((206 + 8) × 3)
        # = 3145728 kB / 642 = 4899.9 kB.
        (
            "4G",
            200,
            {
                "max_connections": "206",
                "shared_buffers": "1GB",
                "effective_cache_size": "3GB",
                "maintenance_work_mem": "256MB",
                "work_mem": "4899kB",
            },
        ),
        # 10 clients + 6 = 16 is below composegen's floor of 20: work_mem = 768 MiB / ((20 + 8) × 3)
        # = 786432 kB / 84 = 9362.3 kB.
        (
            "1G",
            10,
            {
                "max_connections": "20",
                "shared_buffers": "256MB",
                "effective_cache_size": "768MB",
                "maintenance_work_mem": "64MB",
                "work_mem": "9362kB",
            },
        ),
    ],
)
def test_pgtune_settings(memory: str, connections: int | None, expected: dict[str, str]) -> None:
    spec: dict[str, object] = {"memory": memory}
    if connections is not None:
        spec["connections"] = connections
    sizing = postgres.size(pg(**spec), make_profile())
    assert sizing.command is not None
    flags = dict(arg.split("=", 1) for arg in sizing.command[2::2])
    assert flags == expected | SERIAL
    assert sizing.command[0] == "postgres"
    assert set(sizing.command[1::2]) == {"-c"}


@pytest.mark.parametrize(
    ("memory", "cpus", "limits", "shm_mib"),
    [
        ("256M", 1, True, 32),  # maintenance_work_mem 16 MiB + 16 MiB for the statistics
        ("1G", 1, True, 80),  # 64 + 16 MiB
        ("1G", 2, True, 80),  # 2 cores (prod's): parallel query off too (main kept it on: 128 MiB)
        ("512M", 4, True, 48),  # 32 + 16 MiB (main: 96)
        ("16G", 2, True, 1040),  # 1024 + 16 MiB (main: 1088)
        ("256G", 1, True, 8208),  # 8 GiB cap + 16 MiB
        ("1G", 1, False, 80),  # no cpus limit written: every core, parallel query off all the same
    ],
)
def test_parallel_query_is_off_in_every_profile_and_shm_holds_the_statistics(
    memory: str, cpus: float, limits: bool, shm_mib: int
) -> None:
    """What a parallel query holds in /dev/shm is bounded by no setting (the leader builds a
    Parallel Hash there alone when no worker is free; 50 clients filled 80 MiB at 2 cores and their
    queries failed): composegen turns parallel query off whatever the cores, and /dev/shm holds
    maintenance_work_mem (CG110: a session may turn parallel maintenance back on) and the
    statistics PostgreSQL 15 keeps there (9 MiB measured for 10,000 tables)."""
    sizing = postgres.size(pg(memory=memory, cpus=cpus), make_profile(cpu={"limits": limits}))
    assert flags_of(sizing).items() >= SERIAL.items()
    assert sizing.shm_size is not None
    assert sizing.shm_size.value == shm_mib * MIB
    assert sizing.shm_size.value > sizing.extra["maintenance_work_mem"].value
    (room,) = [q for q in leaves(sizing.shm_size) if q.name.startswith("room for the statistics")]
    assert (room.value, room.source_kind) == (postgres.SHM_STATS, "assumed")  # the tables are not known
    why = sizing.extra["max_parallel_workers_per_gather"].source
    assert "max_parallel_workers_per_gather=N in the service's command" in why  # how to turn it back on


@pytest.mark.parametrize(
    ("image", "written"),
    [
        ("postgres:15", {"jit", "max_parallel_workers_per_gather", "max_parallel_maintenance_workers"}),
        ("postgres", {"jit", "max_parallel_workers_per_gather", "max_parallel_maintenance_workers"}),
        ("postgres:11", {"jit", "max_parallel_workers_per_gather", "max_parallel_maintenance_workers"}),
        ("postgres:10-alpine", set()),  # no jit, no max_parallel_maintenance_workers: refused
    ],
)
def test_jit_and_parallel_query_written(image: str, written: set[str]) -> None:
    """jit=off wherever composegen writes the settings: a JIT-compiled query held 24 MiB more a
    backend, which the 2 MiB a connection counted does not hold (50 such clients: 22 OOM kills
    under the plan's 848 MiB, docs/benchmarks.md)."""
    sizing = postgres.size(pg(image, memory="256M", cpus=2), make_profile())
    flags = flags_of(sizing)
    assert {k for k in SERIAL if k in flags} == written
    assert all(flags[k] == SERIAL[k] for k in written)
    assert sizing.shm_size is not None
    assert sizing.shm_size.value == (16 + (16 if "max_parallel_workers_per_gather" in written else 64)) * MIB


@pytest.mark.parametrize(
    ("need_mib", "held_mib"),
    [
        (0.5, 1),  # segments of 1, 2, 2, 4, 4, 8 MiB ... (utils/mmgr/dsa.c)
        (1, 1),
        (1.01, 3),
        (4.3, 5),  # 3 × 1.43 MB: pytest's work_mem at 200M and 50 clients, 2 workers and the leader
        (5, 5),
        (9, 9),
        (13.5, 21),
        (24, 29),  # 4 MB × 2.0 × 3: PostgreSQL's defaults
        (40, 45),
    ],
)
def test_a_shared_area_grows_in_whole_segments(need_mib: float, held_mib: int) -> None:
    assert postgres.dsa_bytes(need_mib * MIB) == held_mib * MIB


def test_settings_not_written_leave_parallel_query_on_and_the_note_says_so() -> None:
    """A base with its own command keeps it: the flags are listed, and the server runs
    PostgreSQL's default, parallel query on: /dev/shm keeps 64 MiB of room for it, which bounds
    nothing, and a note says so and how to turn it off or have it sized."""
    sizing = postgres.size(with_base(pg(memory="256M", cpus=1), command="postgres -c fsync=off"), make_profile())
    assert sizing.command is None
    (note,) = [n for n in sizing.notes if n.startswith("postgres settings not applied")]
    assert "-c jit=off -c max_parallel_workers_per_gather=0 -c max_parallel_maintenance_workers=0" in note
    assert sizing.shm_size is not None
    assert sizing.shm_size.value == (16 + 64) * MIB  # maintenance_work_mem and the room, as before
    (said,) = [n for n in sizing.base_notes if n.startswith("/dev/shm: parallel query runs")]
    assert "PostgreSQL's default max_parallel_workers_per_gather 2" in said
    assert "pass -c max_parallel_workers_per_gather=0" in said


def test_limit_is_budget_times_margin_plus_shm() -> None:
    # 1 GiB × 1.2 (default margin) + 80 MiB /dev/shm (64 MiB maintenance_work_mem + 16 MiB for
    # the statistics: 1 core, no parallel query) = 1228.8 + 80 = 1308.8 MiB
    sizing = postgres.size(pg(memory="1G"), make_profile())
    assert sizing.memory.value == pytest.approx(1308.8 * MIB)
    assert sizing.tmpfs == ()


@pytest.mark.parametrize(
    ("dataset", "tmpfs_mib"),
    [
        # the profile's 64 MiB tmpfs minimum + 24 MiB empty cluster beside its WAL (measured; its
        # first WAL segment is in the WAL room) + WAL: max_wal_size 32 MB (a quarter of the room
        # is less than the least PostgreSQL takes, 2 segments) + 2 segments past the soft limit
        # (measured; more than × 1.25 below 128 MB)
        (None, 64 + 24 + 64),
        # 100 MiB × (dataset factor 2 − the WAL's 0.75, counted apart) + 24 MiB + WAL 32 + 32
        ("100M", 125 + 24 + 64),
    ],
)
def test_tmpfs_adds_exactly_its_size(dataset: str | None, tmpfs_mib: int) -> None:
    spec: dict[str, object] = {"memory": "1G"}
    if dataset is not None:
        spec["dataset"] = dataset
    off = postgres.size(pg(**spec), make_profile())
    on = postgres.size(pg(**spec), make_profile(**TMPFS))
    (mount,) = on.tmpfs
    assert mount.path == "/var/lib/postgresql/data"
    assert mount.size.value == tmpfs_mib * MIB
    assert on.memory.value - off.memory.value == pytest.approx(mount.size.value)


@pytest.mark.parametrize(("factor", "room_mib"), [(2.0, 1250), (1.5, 1000), (1.0, 1000)])
def test_the_data_room_does_not_count_the_wal_twice(factor: float, room_mib: int) -> None:
    """The profile's dataset factor stands partly for WAL, which the tmpfs counts on its own: the
    WAL's 0.75 comes off it (measured: bench/servers), never below the dataset itself."""
    profile = make_profile(tmpfs={"data_dirs": True, "dataset_factor": factor})
    sizing = postgres.size(pg(dataset="1000M"), profile)
    (mount,) = sizing.tmpfs
    wal = sizing.extra["WAL in the tmpfs"].value
    assert mount.size.value == pytest.approx(room_mib * MIB + postgres.EMPTY_CLUSTER + wal)


def test_tmpfs_sets_pgdata_for_postgres_18_images() -> None:
    on = postgres.size(pg(), make_profile(**TMPFS))
    assert [(e.key, e.value) for e in on.environment] == [("PGDATA", "/var/lib/postgresql/data")]
    off = postgres.size(pg(), make_profile())
    assert off.environment == ()


def test_tmpfs_follows_a_pgdata_the_base_sets() -> None:
    inputs = with_base(pg(), environment={"PGDATA": "/pgdata"})
    sizing = postgres.size(inputs, make_profile(**TMPFS))
    assert [m.path for m in sizing.tmpfs] == ["/pgdata"]
    assert sizing.environment == ()


def test_tmpfs_over_a_base_volume_is_noted() -> None:
    inputs = with_base(pg(), volume_targets=("/var/lib/postgresql/data",))
    sizing = postgres.size(inputs, make_profile(**TMPFS))
    assert any("mounts a volume at /var/lib/postgresql/data" in n for n in sizing.notes)


@pytest.mark.parametrize(
    ("image", "base", "applied"),
    [
        ("postgres:16", {}, True),
        ("docker.io/library/postgres:17-alpine", {}, True),
        ("postgis/postgis:16-3.4", {}, True),
        ("timescale/timescaledb:latest-pg16", {}, True),
        ("postgres:${POSTGRES_VERSION:-17}", {}, True),
        ("bitnami/postgresql:16", {}, False),
        ("ghcr.io/acme/postgres:16", {}, False),
        ("${REGISTRY}/postgres:16", {}, False),
        ("postgres:16", {"command": "postgres -c fsync=off"}, False),
        ("postgres:16", {"entrypoint": ("docker-entrypoint.sh",)}, False),
        ("postgres:16", {"has_build": True}, False),
        (None, {"has_build": True}, False),
    ],
)
def test_command_only_for_official_images_without_command(
    image: str | None,
    base: dict[str, object],
    applied: bool,
) -> None:
    sizing = postgres.size(with_base(pg(image, memory="1G"), **base), make_profile())
    assert (sizing.command is not None) is applied
    assert sizing.extra["shared_buffers"].value == 256 * MIB  # computed either way, for explain
    not_applied = [n for n in sizing.notes if n.startswith("postgres settings not applied")]
    assert bool(not_applied) is not applied
    if not applied:
        assert "-c shared_buffers=256MB" in not_applied[0]


def test_derivations_name_their_sources() -> None:
    sizing = postgres.size(pg(), make_profile())
    work_mem = "\n".join(explain_lines(sizing.extra["work_mem"]))
    assert "facts/sizing.md §Databases (pgtune)" in work_mem
    assert "PostgreSQL's default max_connections; declare connections:" in work_mem
    assert "superuser_reserved_connections" in work_mem
    shm = "\n".join(explain_lines(sizing.memory))
    assert "docker-library/postgres#416" in shm
    # no declared memory, no profile role memory: the 512 MiB default says it is one
    budget = sizing.extra["shared_buffers"].parts[0]
    assert budget.value == 512 * MIB
    assert "assumed" in budget.source
    for q in (sizing.memory, sizing.startup, *sizing.extra.values()):
        for leaf in leaves(q):
            assert leaf.source, f"{leaf.name} has no source"


def test_profile_role_memory_is_the_budget() -> None:
    profile = make_profile(roles={"postgres": {"memory": "2G"}})
    sizing = postgres.size(pg(), profile)
    assert sizing.extra["shared_buffers"].value == 512 * MIB
    assert "roles.postgres.memory" in sizing.extra["shared_buffers"].parts[0].source


@pytest.mark.parametrize(
    ("spec", "seconds"),
    [
        ({}, 8),  # measured: bench/servers
        ({"dataset": "100M"}, 8 + 100 / 12),  # 8 s + 100 MiB ÷ 12 MiB/s (measured: bench/servers)
        ({"dataset": "100M", "startup": "42s"}, 42),  # declared startup is taken as it is
    ],
)
def test_startup(spec: dict[str, object], seconds: float) -> None:
    assert postgres.size(pg(**spec), make_profile()).startup.value == pytest.approx(seconds)


def test_healthcheck_and_hardening() -> None:
    sizing = postgres.size(pg(), make_profile())
    assert sizing.healthcheck_test == ("CMD-SHELL", 'pg_isready -h 127.0.0.1 -U "$${POSTGRES_USER:-postgres}"')
    assert sizing.hardening is False


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("postgres", "postgres"),
        ("docker.io/postgres:16-alpine", "postgres"),
        ("library/postgres:15", "postgres"),
        ("index.docker.io/library/postgres:15@sha256:abcd", "postgres"),
        ("localhost:5000/postgres:16", "localhost:5000/postgres"),
        ("docker.elastic.co/elasticsearch/elasticsearch:8.15.0", "docker.elastic.co/elasticsearch/elasticsearch"),
        ("postgres:${PG:-17}", "postgres"),
        ("${REGISTRY}/postgres", None),
        ("mattermost/${IMAGE}:1", None),
        (None, None),
    ],
)
def test_image_repository(image: str | None, expected: str | None) -> None:
    assert common.image_repository(image) == expected


@pytest.mark.oracle
@pytest.mark.parametrize(
    ("test", "survives"),
    [
        (postgres.HEALTHCHECK, True),
        # the naive form: compose substitutes the host's variable when it loads the file
        (("CMD-SHELL", 'pg_isready -U "${POSTGRES_USER:-postgres}"'), False),
    ],
)
def test_healthcheck_survives_compose_interpolation(
    tmp_path: Path,
    test: tuple[str, ...],
    survives: bool,
) -> None:
    command = list(oracle.compose_command())  # no binary: OracleError, a failure, never a skip
    (tmp_path / "base.yml").write_text("services:\n  db:\n    image: postgres:16\n")
    overlay = {"services": {"db": {"healthcheck": {"test": list(test)}}}}
    (tmp_path / "overlay.yml").write_text(yaml.safe_dump(overlay))
    env = {**os.environ, "POSTGRES_USER": "from-the-host"}
    result = subprocess.run(
        [*command, "-f", "base.yml", "-f", "overlay.yml", "config", "--format", "json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    got = json.loads(result.stdout)["services"]["db"]["healthcheck"]["test"]
    # `config` prints a loadable file, so a literal `$` comes back escaped as `$$`
    assert ("from-the-host" not in got[1]) is survives
    assert ("$${POSTGRES_USER:-postgres}" in got[1]) is survives


def flags_of(sizing: object) -> dict[str, str]:
    command = getattr(sizing, "command", None)
    assert command is not None
    return dict(arg.split("=", 1) for arg in command[2::2])


@pytest.mark.parametrize(
    ("dataset", "max_wal"),
    [
        (None, "32MB"),  # a quarter of the 64 MiB room is below the least PostgreSQL takes (2 segments)
        ("200M", "48MB"),  # a quarter of 250 MiB is 62.5 MiB, in whole 16 MB segments: 48 MB
        ("1G", "320MB"),  # a quarter of 1280 MiB of room (1 GiB × (dataset factor 2 − 0.75))
        ("4000M", "1GB"),  # a quarter of 5000 MiB is 1250 MiB: PostgreSQL's default 1 GB caps it
        ("700M", "208MB"),  # 875 MiB ÷ 4 = 218.75 MiB, in whole 16 MB segments: 208 MB
    ],
)
def test_a_tmpfs_data_dir_bounds_the_wal_and_counts_it(dataset: str | None, max_wal: str) -> None:
    """WAL lives in the data dir: on a tmpfs it is memory, and only max_wal_size bounds it (1008 MiB
    of WAL at 1 GB of data on a real server, facts/real-servers.md)."""
    spec: dict[str, object] = {"memory": "1G"}
    if dataset is not None:
        spec["dataset"] = dataset
    sizing = postgres.size(pg(**spec), make_profile(**TMPFS))
    flags = flags_of(sizing)
    assert flags["max_wal_size"] == max_wal
    assert flags["min_wal_size"] == "32MB"
    (mount,) = sizing.tmpfs
    wal = sizing.extra["WAL in the tmpfs"]
    bound = sizing.extra["max_wal_size"].value
    # a soft limit: × 1.25, and at least 2 segments past it (measured: one being written, one ahead)
    assert wal.value == pytest.approx(max(bound * postgres.WAL_OVERSHOOT, bound + 2 * 16 * MIB))
    assert wal in set(leaves_and_parts(mount.size))  # counted inside the tmpfs...
    assert sizing.memory.value >= mount.size.value + 1 * 1024**3  # ...and the tmpfs inside the limit


def leaves_and_parts(q: object) -> list[object]:
    from composegen.sizing.quantity import Quantity

    assert isinstance(q, Quantity)
    out: list[object] = [q]
    for part in q.parts:
        out += leaves_and_parts(part)
    return out


def test_no_wal_settings_without_a_tmpfs_data_dir() -> None:
    sizing = postgres.size(pg(memory="1G", dataset="1G"), make_profile())
    assert "max_wal_size" not in flags_of(sizing)
    assert "WAL in the tmpfs" not in sizing.extra


def test_a_tmpfs_composegen_cannot_pass_flags_to_counts_the_default_wal() -> None:
    sizing = postgres.size(pg("bitnami/postgresql:16", memory="1G"), make_profile(**TMPFS))
    assert sizing.command is None
    assert sizing.extra["WAL in the tmpfs"].value == pytest.approx(1.25 * 1024**3)
    (note,) = [n for n in sizing.notes if n.startswith("postgres settings not applied")]
    assert "-c max_wal_size=32MB -c min_wal_size=32MB" in note


@pytest.mark.parametrize(("connections", "expected"), [(50, 56), (100, 106), (0, 20), (14, 20), (15, 21)])
def test_max_connections_leaves_room_beside_the_clients(connections: int, expected: int) -> None:
    """Equal to the clients, the healthcheck was refused 'too many clients' 28-31 times a run:
    + 1 probe + 2 for an admin or migration session + 3 superuser_reserved_connections."""
    sizing = postgres.size(pg(connections=connections), make_profile())
    assert flags_of(sizing)["max_connections"] == str(expected)
    kinds = {leaf.name: leaf.source_kind for leaf in leaves(sizing.extra["max_connections"])}
    assert kinds["superuser_reserved_connections"] == "fact"
    assert kinds["healthcheck probe"] == "assumed"


def test_composegen_writes_the_work_mem_that_fits_rather_than_raise_the_budget() -> None:
    """256 MiB for 50 clients: pgtune's 4 MB floor × 56 connections (+ 2 MiB of each
    connection's own) and 64 MiB of shared_buffers would need 400 MiB; the work_mem written is
    (256 − 64 − 56 × 2) ÷ 56 MiB, and hash_mem_multiplier 1, so every connection sorting at once
    fits the budget as it is."""
    sizing = postgres.size(pg(memory="256M", connections=50), make_profile())
    flags = flags_of(sizing)
    assert flags["work_mem"] == "1462kB"
    assert flags["hash_mem_multiplier"] == "1"
    assert sizing.memory.value == pytest.approx(256 * MIB * 1.2 + 32 * MIB)  # × margin + /dev/shm
    assert not any(n.startswith("RAM budget raised") for n in sizing.notes)


def test_the_budget_is_raised_where_the_least_work_mem_does_not_fit() -> None:
    """256 MiB for 100 clients: even 1 MB of work_mem for each of 106 connections does not fit:
    64 MiB + 106 × (2 + 1) MiB = 382 MiB, which the limit holds."""
    sizing = postgres.size(pg(memory="256M", connections=100), make_profile())
    assert flags_of(sizing)["work_mem"] == "1MB"
    assert flags_of(sizing)["shared_buffers"] == "64MB"  # pgtune's settings stay those of 256 MiB
    assert sizing.memory.value == pytest.approx(382 * MIB * 1.2 + 32 * MIB)
    assert any(n.startswith("RAM budget raised to 382 MiB") for n in sizing.notes)


def test_hash_mem_multiplier_is_not_written_for_a_server_without_it() -> None:
    """PostgreSQL 12 has no hash_mem_multiplier (13+): it would refuse to start on it."""
    flags = flags_of(postgres.size(pg("postgres:12-alpine", memory="256M", connections=50), make_profile()))
    assert flags["work_mem"] == "1462kB"
    assert "hash_mem_multiplier" not in flags


def test_the_budget_holds_every_sort_where_composegen_cannot_write_work_mem() -> None:
    """An image composegen passes no flags to keeps pgtune's 4 MB: 64 MiB + 106 × (2 + 4) MiB."""
    sizing = postgres.size(pg("bitnami/postgresql:16", memory="256M", connections=100), make_profile())
    assert sizing.command is None
    assert sizing.memory.value == pytest.approx(700 * MIB * 1.2 + 80 * MIB)
    assert any(n.startswith("RAM budget raised to 700 MiB") for n in sizing.notes)


@pytest.mark.parametrize(
    "make",
    [
        lambda: postgres.size(pg(dataset="1G", connections=50), make_profile(**TMPFS)),
        lambda: postgres.size(pg("bitnami/postgresql:16"), make_profile(**TMPFS)),
    ],
    ids=["written", "not written"],
)
def test_every_new_number_says_where_it_comes_from(make: object) -> None:
    """The WAL, the connections' headroom and the empty cluster: each leaf with a source of a typed
    kind (assumed, fact, measured, declared, profile)."""
    sizing = make()  # type: ignore[operator]
    for q in (sizing.memory, *sizing.extra.values()):
        for leaf in leaves(q):
            assert leaf.source and leaf.source_kind in {
                "assumed",
                "default",
                "fact",
                "measured",
                "declared",
                "profile",
            }, leaf
    kinds = {leaf.name: leaf.source_kind for leaf in leaves(sizing.extra["WAL in the tmpfs"])}
    assert kinds["soft-limit overshoot"] == "assumed"
    assert "PostgreSQL default max_wal_size" in kinds or "max_wal_size (PostgreSQL default: not written)" in kinds


def test_settings_made_once_for_equal_inputs_are_each_callers_own() -> None:
    """pgtune's settings and the serial ones are made once for equal inputs (a stack of many
    servers): each call still gets a dictionary of its own, which the calculator adds to."""
    inputs = make_inputs("postgres", image="postgres:16.4")
    ram = common.baseline_memory(inputs, make_profile(), postgres.DEFAULT_RAM, postgres.DEFAULT_RAM_SOURCE)
    first = postgres.pgtune(ram, postgres.max_connections(inputs))
    made = dict(first)
    first["work_mem"] = first["shared_buffers"]
    postgres.serial_settings(inputs).clear()
    assert postgres.pgtune(ram, postgres.max_connections(inputs)) == made
    assert "jit" in postgres.serial_settings(inputs)
