"""MySQL / MariaDB sizing: the InnoDB buffer pool, worked by hand from the MySQL manual's rule."""

from __future__ import annotations

import pytest

from composegen.sizing import mysql
from composegen.sizing.model import ServiceInputs
from composegen.sizing.quantity import explain_lines
from composegen.units import GIB, MIB
from tests.conftest import leaves, make_inputs, make_profile

TMPFS = {"tmpfs": {"data_dirs": True}}


def my(image: str | None = "mysql:8.4", **spec: object) -> ServiceInputs:
    return make_inputs("mysql", image=image, **spec)


@pytest.mark.parametrize(
    ("memory", "pool", "flag"),
    [
        ("512M", 128 * MIB, "128M"),  # below 1 GiB: the default 128 MiB pool
        ("1G", 512 * MIB, "512M"),  # 50% of 1 GiB
        ("1536M", 768 * MIB, "768M"),  # 50% = 768 MiB, a multiple of the 128 MiB chunk
        ("2G", 1 * GIB, "1G"),  # 50% = 1 GiB: 8 instances, a multiple of 1 GiB
        ("3G", 1 * GIB, "1G"),  # 50% = 1.5 GiB → MySQL would round up to 2 GiB: down to 1 GiB
        ("4G", 2 * GIB, "2G"),  # 50% up to 4 GiB
        ("6G", 4 * GIB, "4G"),  # 75% = 4.5 GiB → down to 4 GiB
        ("16G", 12 * GIB, "12G"),  # 75%
    ],
)
def test_buffer_pool(memory: str, pool: int, flag: str) -> None:
    sizing = mysql.size(my(memory=memory), make_profile())
    assert sizing.extra["innodb_buffer_pool_size"].value == pool
    assert sizing.command == (f"--innodb-buffer-pool-size={flag}",)


def test_limit_and_tmpfs() -> None:
    off = mysql.size(my(memory="1G"), make_profile())
    assert off.memory.value == pytest.approx(1.2 * GIB)  # 1 GiB × 1.2
    on = mysql.size(my(memory="1G"), make_profile(**TMPFS))
    (mount,) = on.tmpfs
    assert mount.path == "/var/lib/mysql"
    assert mount.size.value == (64 + 256) * MIB  # profile minimum + initialised data dir
    assert on.memory.value - off.memory.value == pytest.approx(mount.size.value)


def test_the_data_room_does_not_count_the_redo_log_twice() -> None:
    """The initialised data dir counts the redo log: its 0.5 of the profile's dataset factor comes
    off the data room (measured: bench/servers), and a dataset loads at 6 MiB/s."""
    sizing = mysql.size(my(dataset="100M"), make_profile(**TMPFS))
    (mount,) = sizing.tmpfs
    assert mount.size.value == (150 + 256) * MIB  # 100 MiB × (2 − 0.5) + initialised data dir
    assert sizing.startup.value == pytest.approx(30 + 100 / 6)
    rate = next(q for q in leaves(sizing.startup) if q.name == "load rate per second")
    assert rate.source_kind == "measured" and "bench/servers" in rate.source


@pytest.mark.parametrize(
    ("image", "base", "applied", "probe"),
    [
        ("mysql:8.4", {}, True, "mysqladmin"),
        ("mariadb:11.8", {}, True, "healthcheck.sh"),
        ("docker.io/mariadb:10.11", {}, True, "healthcheck.sh"),
        ("percona:8.0", {}, True, "mysqladmin"),
        ("bitnami/mariadb:11.4", {}, False, "mariadb-admin"),
        ("bitnami/mysql:8.4", {}, False, "mysqladmin"),
        ("mysql:8.4", {"command": "--default-authentication-plugin=mysql_native_password"}, False, "mysqladmin"),
    ],
)
def test_command_and_healthcheck_by_image(image: str, base: dict[str, object], applied: bool, probe: str) -> None:
    inputs = my(image, memory="1G")
    inputs = inputs._replace(base=inputs.base._replace(**base))
    sizing = mysql.size(inputs, make_profile())
    assert (sizing.command is not None) is applied
    assert sizing.healthcheck_test is not None
    assert sizing.healthcheck_test[1] == probe
    if not applied:
        assert any("--innodb-buffer-pool-size=512M" in n for n in sizing.notes)


def test_derivations_name_their_sources() -> None:
    sizing = mysql.size(my(), make_profile())
    pool = sizing.extra["innodb_buffer_pool_size"]
    assert pool.value == 512 * MIB  # the 1 GiB default budget, 50%
    text = "\n".join(explain_lines(pool))
    assert "MySQL manual, innodb_dedicated_server (not in facts)" in text
    assert "composegen default (assumed)" in text
    assert sizing.startup.value == 30
    assert sizing.hardening is False
    for q in (sizing.memory, sizing.startup, *sizing.extra.values()):
        for leaf in leaves(q):
            assert leaf.source, f"{leaf.name} has no source"


@pytest.mark.parametrize("image", ["mariadb:10.11", "mysql:8.4"])
def test_declared_connections_are_applied_with_headroom(image: str) -> None:
    """MariaDB kept its default 151 when the declared connections were not written
    (facts/real-servers.md): the flag goes beside the pool, + 1 probe + 2 for an admin session."""
    sizing = mysql.size(my(image, memory="1G", connections=50), make_profile())
    assert sizing.command == ("--innodb-buffer-pool-size=512M", "--max-connections=53")
    assert sizing.extra["max_connections"].value == 53


def test_undeclared_connections_leave_the_servers_default() -> None:
    sizing = mysql.size(my(memory="1G"), make_profile())
    assert sizing.command == ("--innodb-buffer-pool-size=512M",)
    assert sizing.extra["max_connections"].value == 151
    assert sizing.extra["max_connections"].source_kind == "default"


@pytest.mark.parametrize(
    ("image", "profile", "redo_flag", "tmpfs_mib"),
    [
        # MariaDB on a tmpfs data dir: a 32 MiB redo log written, and the data dir counted as it
        # + what MariaDB 10.11 kept beside it under load (112 MiB, measured: bench/servers),
        # beside the data room of 100 MiB × (2 − 0.5)
        ("mariadb:10.11", TMPFS, "--innodb-log-file-size=32M", 150 + 32 + 112),
        ("docker.io/mariadb:11.8", TMPFS, "--innodb-log-file-size=32M", 150 + 32 + 112),
        # no tmpfs: the redo log is on disk, nothing written
        ("mariadb:10.11", {}, None, None),
        # MySQL 8: composegen's estimate of its initialised data dir, no flag (its redo log is
        # innodb_redo_log_capacity from 8.0.30)
        ("mysql:8.4", TMPFS, None, 150 + 256),
        # an image composegen cannot pass flags to: the estimate, nothing written
        ("bitnami/mariadb:11.4", TMPFS, None, 150 + 256),
    ],
)
def test_mariadb_on_tmpfs_gets_a_small_redo_log_counted(
    image: str, profile: dict[str, object], redo_flag: str | None, tmpfs_mib: int | None
) -> None:
    sizing = mysql.size(my(image, dataset="100M", connections=50), make_profile(**profile))
    flags = sizing.command or ()
    assert [f for f in flags if f.startswith("--innodb-log-file-size")] == ([redo_flag] if redo_flag else [])
    assert ("innodb_log_file_size" in sizing.extra) is (redo_flag is not None)
    # what the data dir holds before any data, for a measured plan's room for the declared dataset
    # (sizing/measured.py): the redo log written + 29 MiB MariaDB 10.11 writes beside it (measured)
    before = sizing.extra.get(mysql.BEFORE_DATA)
    assert (before.value if before else None) == ((32 + 29) * MIB if redo_flag else None)
    if tmpfs_mib is None:
        assert sizing.tmpfs == ()
        return
    (mount,) = sizing.tmpfs
    assert mount.size.value == tmpfs_mib * MIB
    if redo_flag:
        beside = next(q for q in leaves(mount.size) if q.name == "ibdata1, ibtmp1 and system tables")
        assert beside.source_kind == "measured" and "bench/servers" in beside.source
