"""MySQL, MariaDB and Percona: the InnoDB buffer pool from a RAM budget.

Not in facts/sizing.md: the buffer pool share follows the MySQL manual's own rule for a dedicated
server (innodb_dedicated_server: 128 MiB below 1 GiB of memory, 50% up to 4 GiB, 75% above); the
manual recommends up to 80% on a dedicated host. The rest of the budget is for connections,
performance_schema and the server itself.

MySQL rounds the pool *up* to a multiple of innodb_buffer_pool_chunk_size (128M) ×
innodb_buffer_pool_instances (8 from 1 GiB): 1.5G becomes 2G. composegen rounds down to that
multiple itself, so the pool stays inside the budget.

max_connections, where composegen.yaml declares `connections:`, is the clients plus room for the
healthcheck and an admin or migration session, and is written as `--max-connections=N` beside the
pool (the official images pass leading flags to the server): MariaDB kept its default 151 when it
was not written (facts/real-servers.md).

On a tmpfs data dir the redo log is memory: for MariaDB composegen writes a 32 MiB
`--innodb-log-file-size` beside the pool and counts the data dir as that log plus what MariaDB
measured beside it (bench/servers), in place of its 256 MiB estimate of MySQL 8's; the plan keeps
what such a data dir holds before any data (BEFORE_DATA: that redo log and what MariaDB writes beside
it at initialisation, measured), which a plan from measurements counts beside the declared data.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from composegen.sizing import runs
from composegen.sizing.common import (
    baseline_cpus,
    baseline_memory,
    command_blocked,
    command_unless_blocked,
    connection_headroom,
    data_dir_mounts,
    image_repository,
    limit_with_mounts,
    startup_with_load,
    with_margin,
)
from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.quantity import Quantity, given, times, total
from composegen.sizing.result import Sizing
from composegen.units import GIB, MIB

if TYPE_CHECKING:
    from composegen.profiles.models import Profile

MANUAL = "MySQL manual, innodb_dedicated_server (not in facts)"
ROUNDING = "MySQL manual: the pool is rounded up to chunk size (128M) × instances (8 from 1 GiB) (not in facts)"

#: composegen's default budget for a server nobody sized (assumed).
DEFAULT_RAM = 1 * GIB
#: MySQL manual, innodb_dedicated_server (not in facts): below 1 GiB the default 128 MiB pool,
#: 50% up to 4 GiB, 75% above.
SMALL_POOL = 128 * MIB
SMALL_BELOW = 1 * GIB
HALF_UP_TO = 4 * GIB
#: innodb_buffer_pool_chunk_size default; from a 1 GiB pool there are 8 instances (MySQL manual).
CHUNK = 128 * MIB
INSTANCES_FROM = 1 * GIB
INSTANCES = 8
#: An initialised data dir (redo log 100 MB, undo 2 × 16 MB, ibdata/ibtmp, system tables):
#: composegen's estimate of MySQL 8 (assumed); counted for MySQL, Percona, and a MariaDB whose
#: flags composegen cannot write.
FRESH_DATA_DIR = 256 * MIB
#: MariaDB on a tmpfs data dir, where composegen writes the flags: its redo log is memory there, so
#: composegen writes `--innodb-log-file-size` at 32 MiB (composegen's choice, assumed; MariaDB's
#: default is 96 MiB, a fixed-size ib_logfile0; on a tmpfs a checkpoint writes to memory, so a small
#: log costs little) and counts the data dir as that redo log + what MariaDB keeps beside it.
#: Measured (docs/benchmarks.md "Real servers", bench/servers.py, MariaDB 10.11): initialised,
#: ib_logfile0 32 MiB (the flag), ibdata1 12 MiB, ibtmp1 12 MiB, system tables 5 MiB (61 MiB in
#: all); after sysbench prepare and 15 s of oltp_read_write at 50 clients (100M) ibdata1 had grown
#: to 76 MiB (undo in the system tablespace): 93 MiB beside the redo log and the data. 112 MiB
#: counted (fitted on the 100M row, checked on the 200M one).
MARIADB_REDO_ON_TMPFS = 32 * MIB
MARIADB_BESIDE_REDO = 112 * MIB
#: What MariaDB writes beside its redo log when it initialises a data dir, before any data: ibdata1
#: 12 MiB, ibtmp1 12 MiB, the system tables (mysql, sys, performance_schema, aria logs) 5 MiB.
#: Measured (bench/servers, MariaDB 10.11, initialised with the 32 MiB redo log: 61 MiB in all; the
#: twin's data dir after its 50,000 rows, `du`: 29.0 MiB beside ib_logfile0 and the rows). What
#: grows beside it under a workload (ibdata1's undo, ibtmp1) is what MARIADB_BESIDE_REDO assumes
#: and a calibrate run measures.
MARIADB_INITIALISED_BESIDE_REDO = 29 * MIB
#: Sizing.extra's name for what the data dir holds before any data (sizing/measured.py reads it).
BEFORE_DATA = "data dir before any data"
#: composegen default (assumed): first start initialises the data dir (MySQL 8: tens of
#: seconds; not measured). MariaDB 10.11 measured 1.5-4.1 s besides its load (docs/benchmarks.md
#: "Real servers").
DEFAULT_STARTUP = 30.0
#: Measured (docs/benchmarks.md "Real servers", bench/servers.py, MariaDB 10.11 on 2 shared cores
#: under load): init-script loads ran at 7.1-20.4 MiB/s; below the slowest, so the start_period
#: covers it (one too short restarts the container in a loop).
LOAD_RATE = 6 * MIB
BENCH_SERVERS = "measured: bench/servers (docs/benchmarks.md, Real servers)"
BESIDE_SOURCE = f"{BENCH_SERVERS}: 93 MiB after load, MariaDB 10.11"
INITIALISED_SOURCE = f"{BENCH_SERVERS}: 61 MiB with the 32 MiB redo log, MariaDB 10.11"
#: The profile's tmpfs.dataset_factor stands partly for the redo log, which the initialised data
#: dir (FRESH_DATA_DIR) already counts: this much of it comes off the data room, never below the
#: dataset. Measured (docs/benchmarks.md "Real servers", MariaDB 10.11, sysbench 15-45 s): the data
#: dir held 1.0 × the declared dataset + 233-245 MiB, inside dataset × 1.5 + 256 MiB with 22-25 % over.
REDO_IN_DATASET_FACTOR = 0.5

#: MySQL's and MariaDB's default max_connections (their manuals; not in facts). Both also allow
#: one more connection to an account with CONNECTION_ADMIN / SUPER, beyond max_connections.
DEFAULT_CONNECTIONS = 151

DATA_DIR = "/var/lib/mysql"
#: Official images: the entrypoint turns leading `--flags` into `mysqld --flags` (`mariadbd`).
IMAGES = frozenset({"mysql", "mariadb", "percona"})
#: `mysqladmin ping` exits 0 whenever the server answers, even "Access denied" (MySQL manual);
#: over TCP so the init-time server (--skip-networking) does not count.
MYSQL_HEALTHCHECK: tuple[str, ...] = ("CMD", "mysqladmin", "ping", "-h", "127.0.0.1", "--silent")
#: MariaDB images ship healthcheck.sh (and drop the mysql* names in 11.x).
MARIADB_HEALTHCHECK: tuple[str, ...] = ("CMD", "healthcheck.sh", "--connect", "--innodb_initialized")
MARIADB_ADMIN_HEALTHCHECK: tuple[str, ...] = (
    "CMD",
    "mariadb-admin",
    "ping",
    "-h",
    "127.0.0.1",
    "--silent",
)


def buffer_pool(ram: Quantity) -> Quantity:
    """innodb_buffer_pool_size from the RAM budget, rounded down to what MySQL will allocate."""
    if ram.value < SMALL_BELOW:
        return given("innodb_buffer_pool_size", SMALL_POOL, "bytes", f"{MANUAL}: below 1 GiB")
    share = given(
        "buffer pool share",
        0.5 if ram.value <= HALF_UP_TO else 0.75,
        "ratio",
        f"{MANUAL}: {'50% up to 4 GiB' if ram.value <= HALF_UP_TO else '75% above 4 GiB'}",
    )
    raw = ram.value * share.value
    step = CHUNK * (INSTANCES if raw >= INSTANCES_FROM else 1)
    value = max(CHUNK, math.floor(raw / step) * step)
    return Quantity(
        "innodb_buffer_pool_size",
        value,
        "bytes",
        f"{ram.name} × {share.name}, rounded down to a multiple of {step // MIB} MiB",
        ROUNDING,
        (ram, share),
    )


def ram_for_pool(pool: Quantity) -> Quantity:
    """The RAM budget a buffer pool needs by the same rule: the pool is 50% of it up to 4 GiB,
    75% above."""
    share = 0.5 if pool.value * 2 <= HALF_UP_TO else 0.75
    return Quantity(
        "RAM budget for that pool",
        pool.value / share,
        "bytes",
        f"{pool.name} ÷ {share:.0%}",
        MANUAL,
        (pool,),
    )


def healthcheck(inputs: ServiceInputs) -> tuple[str, ...]:
    """healthcheck.sh for the official MariaDB image, mariadb-admin for other MariaDB images
    (11.x dropped the mysql* names), mysqladmin for the rest."""
    repo = image_repository(inputs.base.image) or ""
    if repo == "mariadb":
        return MARIADB_HEALTHCHECK
    if "mariadb" in repo.rsplit("/", 1)[-1]:
        return MARIADB_ADMIN_HEALTHCHECK
    return MYSQL_HEALTHCHECK


def max_connections(inputs: ServiceInputs) -> Quantity:
    """clients + the healthcheck + an admin or migration session, where composegen.yaml declares
    the clients; else the server's default, which composegen does not write."""
    if inputs.spec.connections is None:
        return given(
            "max_connections",
            DEFAULT_CONNECTIONS,
            "count",
            "MySQL/MariaDB default max_connections (manual)",
            kind="default",
        )
    return total(
        "max_connections",
        (
            given("clients", inputs.spec.connections, "count", f"composegen.yaml: services.{inputs.name}.connections"),
            *connection_headroom(),
        ),
    )


def is_mariadb(inputs: ServiceInputs) -> bool:
    """A MariaDB image: the official one or one that names MariaDB (bitnami/mariadb …)."""
    repo = image_repository(inputs.base.image) or ""
    return "mariadb" in repo.rsplit("/", 1)[-1]


#: Redo log files of `innodb_log_file_size` each: MySQL before 8.0.30 keeps two
#: (innodb_log_files_in_group's default; MySQL manual, not in facts), MariaDB 10.5+ one.
MYSQL_REDO_FILES = 2


def initialised_data_dir(inputs: ServiceInputs, writes_redo: bool) -> tuple[Quantity, Quantity | None]:
    """(what an initialised data dir holds beside the data, the redo log size to write or None).
    The base's own `--innodb-log-file-size`: that redo log, counted beside the rest (it runs);
    MariaDB with its flags written: the redo log composegen writes + what MariaDB keeps beside it
    (measured); else composegen's estimate of MySQL 8's (assumed)."""
    found = runs.fact(inputs, "innodb_log_file_size", "mysql")
    if found is not None:
        redo_file = runs.fact_quantity("innodb_log_file_size", found, "bytes")
        if is_mariadb(inputs):
            redo_log = redo_file
            beside = given("ibdata1, ibtmp1 and system tables", MARIADB_BESIDE_REDO, "bytes", BESIDE_SOURCE, "measured")
        else:
            files = given(
                "redo log files", MYSQL_REDO_FILES, "count", "MySQL: innodb_log_files_in_group (not in facts)"
            )
            redo_log = times("redo log", redo_file, files, unit="bytes")
            beside = given("initialised data dir", FRESH_DATA_DIR, "bytes", "composegen estimate (assumed)", "assumed")
        return total("initialised data dir and the base's redo log", (redo_log, beside)), None
    if not (writes_redo and is_mariadb(inputs)):
        return given("initialised data dir", FRESH_DATA_DIR, "bytes", "composegen estimate (assumed)", "assumed"), None
    redo = given(
        "innodb_log_file_size",
        MARIADB_REDO_ON_TMPFS,
        "bytes",
        "composegen's choice (assumed): the redo log is memory on a tmpfs data dir (MariaDB's default 96M)",
        "assumed",
    )
    beside = given("ibdata1, ibtmp1 and system tables", MARIADB_BESIDE_REDO, "bytes", BESIDE_SOURCE, "measured")
    return total("initialised data dir", (redo, beside)), redo


def before_any_data(inputs: ServiceInputs, written: Quantity | None) -> Quantity | None:
    """What a MariaDB data dir holds before any data: its redo log (the base's own
    `--innodb-log-file-size`, else the one composegen writes) + what MariaDB writes beside it at
    initialisation (measured); None where composegen does not know the redo log (MySQL, Percona,
    a MariaDB it writes no flags for)."""
    if not is_mariadb(inputs):
        return None
    found = runs.fact(inputs, "innodb_log_file_size", "mysql")
    redo = runs.fact_quantity("innodb_log_file_size", found, "bytes") if found is not None else written
    if redo is None:
        return None
    beside = given(
        "ibdata1, ibtmp1 and system tables at initialisation",
        MARIADB_INITIALISED_BESIDE_REDO,
        "bytes",
        INITIALISED_SOURCE,
        "measured",
    )
    return total(BEFORE_DATA, (redo, beside))


def mysql_size(n: float) -> str:
    """A whole-MiB size as a MySQL option value: `512M`, `3G`."""
    mib = int(n // MIB)
    return f"{mib // 1024}G" if mib % 1024 == 0 else f"{mib}M"


def size(inputs: ServiceInputs, profile: Profile) -> Sizing:
    ram = baseline_memory(
        inputs, profile, DEFAULT_RAM, "composegen default (assumed): declare memory: or set roles.mysql.memory"
    ).renamed("RAM budget")
    pool = buffer_pool(ram)
    base_notes: tuple[str, ...] = ()
    found = runs.fact(inputs, "innodb_buffer_pool_size", "mysql")
    if found is not None:  # the server's flag is what runs: size the budget around it
        pool = runs.fact_quantity("innodb_buffer_pool_size", found, "bytes")
        ram, base_notes = runs.at_least(ram.name, ram, ram_for_pool(pool), found, f"a {pool.show()} buffer pool")
    connections = max_connections(inputs)
    runs_connections = runs.fact(inputs, "max_connections", "mysql", most=runs.MOST_COUNT)
    writes_flags = found is None and runs_connections is None and command_blocked(inputs, IMAGES) is None
    fresh, redo = initialised_data_dir(inputs, writes_flags and profile.tmpfs.data_dirs)
    mounts, notes_ = data_dir_mounts(
        inputs,
        profile,
        DATA_DIR,
        "mysql data dir",
        fresh,
        given("redo share of the dataset factor", REDO_IN_DATASET_FACTOR, "ratio", BENCH_SERVERS, "measured"),
    )
    notes = list(notes_)
    if runs_connections is not None:  # the server's flag is what runs: size for it, say if it is short
        wanted, connections = connections, runs.fact_quantity("max_connections", runs_connections, "count")
        if inputs.spec.connections is not None:
            why = "clients + the healthcheck and an admin session"
            base_notes += runs.short_of("max_connections", connections, wanted, runs_connections, why)
    flags = [f"--innodb-buffer-pool-size={mysql_size(pool.value)}"]
    if inputs.spec.connections is not None:
        flags.append(f"--max-connections={int(connections.value)}")
    if redo is not None:
        flags.append(f"--innodb-log-file-size={mysql_size(redo.value)}")
    command = None
    if found is None and runs_connections is None:
        command, note = command_unless_blocked(inputs, IMAGES, tuple(flags), "innodb_buffer_pool_size")
        notes += [note] if note else []
    before = before_any_data(inputs, redo) if mounts else None
    test = healthcheck(inputs)
    if test is MARIADB_HEALTHCHECK:
        notes.append("healthcheck.sh is in MariaDB images built since 2023: an older pinned tag needs its own probe")
    return Sizing(
        memory=limit_with_mounts(with_margin(ram, profile), mounts),
        startup=startup_with_load(
            inputs,
            profile,
            DEFAULT_STARTUP,
            "composegen default (assumed)",
            LOAD_RATE,
            BENCH_SERVERS,
            load_rate_kind="measured",
        ),
        cpus=baseline_cpus(inputs, profile),
        tmpfs=mounts,
        command=command,
        healthcheck_test=test,
        hardening=False,  # the entrypoint chowns the data dir as root, then drops to mysql
        extra={"innodb_buffer_pool_size": pool, "max_connections": connections}
        | ({"innodb_log_file_size": redo} if redo is not None else {})
        | ({BEFORE_DATA: before} if before is not None else {}),
        notes=tuple(notes),
        base_notes=base_notes,
    )
