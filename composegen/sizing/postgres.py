"""PostgreSQL: pgtune settings from a RAM budget, /dev/shm above maintenance_work_mem, tmpfs PGDATA.

The server gets a RAM budget R (declared `memory:`, else the profile's `roles.postgres.memory`,
else a named default). pgtune's formulas (facts/sizing.md §Databases) turn R into settings; the
container limit is R × the profile margin, plus /dev/shm and any tmpfs data dir, because both are
charged to the container's memory cgroup.

The settings reach the server as `command: ["postgres", "-c", ...]` only when the base file sets no
command and no entrypoint and the image is the official one (or built on it, like postgis):
otherwise they are listed for `explain` and a note says why they were not applied.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from composegen.sizing import runs
from composegen.sizing.common import (
    FACTS_SIZING,
    baseline_cpus,
    baseline_memory,
    command_blocked,
    data_dir_mounts,
    env_preset,
    image_repository,
    limit_with_mounts,
    startup_with_load,
    with_margin,
)
from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.quantity import Quantity, given, largest, rounded_up, smallest, total
from composegen.sizing.result import EnvSetting, Sizing
from composegen.units import GIB, KIB, MIB

if TYPE_CHECKING:
    from composegen.facts import Fact
    from composegen.profiles.models import Profile

# --- postgres -----------------------------------------------------------------------------------

PGTUNE = f"{FACTS_SIZING} §Databases (pgtune)"
PG_DOCKER = f"{FACTS_SIZING} §Databases (Postgres in Docker; docker-library/postgres#416)"

#: composegen's own default RAM budget for a server nobody sized: an assumption, not a measurement.
DEFAULT_RAM = 512 * MIB
DEFAULT_RAM_SOURCE = "composegen default (assumed): declare memory: or set roles.postgres.memory"
#: PostgreSQL's own default max_connections (PostgreSQL manual; not in facts).
DEFAULT_CONNECTIONS = 100
#: composegen floor (assumed): max_connections must exceed superuser_reserved_connections (3)
#: and, before PostgreSQL 12, max_wal_senders (10), or the server refuses to start.
MIN_CONNECTIONS = 20
#: PostgreSQL's default max_worker_processes (PostgreSQL manual; not in facts).
MAX_WORKER_PROCESSES = 8
#: pgtune (facts/sizing.md §Databases): work_mem floor 4 MB, maintenance_work_mem cap 8 GB.
WORK_MEM_FLOOR = 4 * MIB
MAINTENANCE_CAP = 8 * GIB
#: /dev/shm: must exceed maintenance_work_mem (facts); docker's 64M default breaks parallel
#: queries (facts). The 128M floor and the 64M of room above maintenance_work_mem are
#: composegen's choices (assumed).
SHM_FLOOR = 128 * MIB
SHM_ROOM = 64 * MIB
#: An empty cluster (~40 MB) plus WAL kept up to min_wal_size (80 MB): composegen's estimate
#: (assumed), added to the dataset room of a tmpfs PGDATA.
FRESH_CLUSTER = 128 * MIB
#: composegen defaults (assumed): a fresh cluster is ready in a few seconds; psql/pg_restore
#: load speed with index builds.
DEFAULT_STARTUP = 10.0
LOAD_RATE = 20 * MIB

DATA_DIR = "/var/lib/postgresql/data"
#: The official image and images built on it (same entrypoint, same `postgres -c` arguments).
POSTGRES_IMAGES = frozenset(
    {
        "postgres",
        "postgis/postgis",
        "timescale/timescaledb",
        "pgvector/pgvector",
        "ankane/pgvector",
    }
)
#: `$$` is compose's escape for a literal `$`: compose would otherwise substitute the variable
#: from the host's environment when it loads the file, and the container's POSTGRES_USER would
#: never be read. `-h 127.0.0.1` asks over TCP: during init the entrypoint's temporary server
#: listens on the socket only, so the probe does not pass before init scripts have finished.
HEALTHCHECK: tuple[str, ...] = (
    "CMD-SHELL",
    'pg_isready -h 127.0.0.1 -U "$${POSTGRES_USER:-postgres}"',
)


def pg_size(n: float) -> str:
    """Bytes in PostgreSQL's unit syntax, floored to whole kB: `128MB`, `2GB`, `39768kB`."""
    kb = math.floor(n / KIB)
    if kb and kb % (1024 * 1024) == 0:
        return f"{kb // (1024 * 1024)}GB"
    if kb and kb % 1024 == 0:
        return f"{kb // 1024}MB"
    return f"{kb}kB"


#: The settings the base's `postgres -c` flags may set that the plan sizes for.
BASE_SETTINGS = ("shared_buffers", "work_mem", "maintenance_work_mem", "effective_cache_size", "max_connections")


def with_base_settings(
    inputs: ServiceInputs, ram: Quantity, settings: dict[str, Quantity]
) -> tuple[Quantity, dict[str, Quantity], tuple[str, ...]]:
    """The settings with the base's own (`postgres -c shared_buffers=2GB`) in place of pgtune's,
    and the RAM budget raised to what they hold: shared_buffers + work_mem × max_connections
    (each connection may sort with its work_mem at once). The plan never sizes below them."""
    found: dict[str, Fact] = {}
    for key in BASE_SETTINGS:
        most = runs.MOST_COUNT if key == "max_connections" else runs.MOST
        if (fact := runs.fact(inputs, key, "postgres", most=most)) is not None:
            found[key] = fact
    if not found:
        return ram, settings, ()
    merged = dict(settings)
    for key, fact in found.items():
        merged[key] = runs.fact_quantity(key, fact, "count" if key == "max_connections" else "bytes")
    sorts = Quantity(
        "work_mem × max_connections",
        merged["work_mem"].value * merged["max_connections"].value,
        "bytes",
        "work_mem × max_connections",
        "",
        (merged["work_mem"], merged["max_connections"]),
    )
    needed = total("shared_buffers + sorts", (merged["shared_buffers"], sorts))
    first = next(iter(found.values()))
    what = ", ".join(f"{k}={f.raw.split('=', 1)[-1]}" for k, f in found.items())
    raised, notes = runs.at_least(ram.name, ram, needed, first, what)
    return raised, merged, notes


def max_connections(inputs: ServiceInputs) -> Quantity:
    if inputs.spec.connections is None:
        wanted = given(
            "connections", DEFAULT_CONNECTIONS, "count", "PostgreSQL default max_connections (not in facts)", "default"
        )
    else:
        wanted = given(
            "connections", inputs.spec.connections, "count", f"composegen.yaml: services.{inputs.name}.connections"
        )
    if wanted.value >= MIN_CONNECTIONS:
        return wanted.renamed("max_connections")
    floor = given(
        "minimum max_connections",
        MIN_CONNECTIONS,
        "count",
        "composegen floor (assumed): above superuser_reserved_connections and max_wal_senders",
        "assumed",
    )
    return largest("max_connections", (wanted, floor))


def pgtune(ram: Quantity, connections: Quantity) -> dict[str, Quantity]:
    """pgtune's settings for a RAM budget and max_connections (facts/sizing.md §Databases)."""
    shared_buffers = Quantity("shared_buffers", ram.value / 4, "bytes", f"{ram.name} ÷ 4", PGTUNE, (ram,))
    effective_cache = Quantity("effective_cache_size", ram.value * 3 / 4, "bytes", f"{ram.name} × 3/4", PGTUNE, (ram,))
    quarter = Quantity("RAM ÷ 16", ram.value / 16, "bytes", f"{ram.name} ÷ 16", PGTUNE, (ram,))
    cap = given("maintenance_work_mem cap", MAINTENANCE_CAP, "bytes", PGTUNE)
    maintenance = smallest("maintenance_work_mem", (quarter, cap), PGTUNE)
    workers = given(
        "max_worker_processes",
        MAX_WORKER_PROCESSES,
        "count",
        "PostgreSQL default max_worker_processes (not in facts)",
        "default",
    )
    share = Quantity(
        "work_mem share",
        (ram.value - shared_buffers.value) / ((connections.value + workers.value) * 3),
        "bytes",
        f"({ram.name} − shared_buffers) ÷ ((max_connections + max_worker_processes) × 3)",
        PGTUNE,
        (ram, shared_buffers, connections, workers),
    )
    floor = given("work_mem floor", WORK_MEM_FLOOR, "bytes", PGTUNE)
    work_mem = largest("work_mem", (share, floor), PGTUNE)
    return {
        "max_connections": connections,
        "shared_buffers": shared_buffers,
        "effective_cache_size": effective_cache,
        "maintenance_work_mem": maintenance,
        "work_mem": work_mem,
    }


def shm_size(maintenance: Quantity) -> Quantity:
    """/dev/shm above maintenance_work_mem (parallel index builds use it), at least 128M."""
    room = given("room above maintenance_work_mem", SHM_ROOM, "bytes", "composegen default (assumed)", "assumed")
    above = total("maintenance_work_mem + room", (maintenance, room))
    floor = given(
        "shm floor",
        SHM_FLOOR,
        "bytes",
        f"composegen floor (assumed); docker's 64M default breaks parallel queries ({PG_DOCKER})",
        "assumed",
    )
    return rounded_up(largest("shm_size", (above, floor), PG_DOCKER), MIB, "MiB")


def settings_command(settings: dict[str, Quantity]) -> tuple[str, ...]:
    args: list[str] = ["postgres"]
    for key, q in settings.items():
        value = str(int(q.value)) if q.unit == "count" else pg_size(q.value)
        args += ["-c", f"{key}={value}"]
    return tuple(args)


def size(inputs: ServiceInputs, profile: Profile) -> Sizing:
    ram = baseline_memory(inputs, profile, DEFAULT_RAM, DEFAULT_RAM_SOURCE).renamed("RAM budget")
    ram, settings, base_notes = with_base_settings(inputs, ram, pgtune(ram, max_connections(inputs)))
    shm = shm_size(settings["maintenance_work_mem"])
    notes: list[str] = []
    share = settings["work_mem"].parts[0] if settings["work_mem"].parts else None
    if share is not None and share.value < WORK_MEM_FLOOR:
        notes.append(
            f"work_mem is pgtune's 4 MB floor (the budget's share was {share.show()}): "
            "many concurrent sorts can use more than the RAM budget"
        )

    official = image_repository(inputs.base.image) in POSTGRES_IMAGES
    environment: list[EnvSetting] = []
    path = DATA_DIR
    preset_pgdata = env_preset(inputs, "PGDATA")
    if preset_pgdata and "$" not in preset_pgdata:
        path = preset_pgdata
    mounts, mount_notes = data_dir_mounts(
        inputs,
        profile,
        path,
        "postgres data dir",
        given("empty cluster and WAL", FRESH_CLUSTER, "bytes", "composegen estimate (assumed)", "assumed"),
    )
    notes += mount_notes
    if mounts:
        if preset_pgdata is None and official:
            # 18+ images default PGDATA to /var/lib/postgresql/18/docker (VOLUME
            # /var/lib/postgresql) and refuse a mount at the old path unless PGDATA names it;
            # ≤17 images already use this path.
            environment.append(
                EnvSetting(
                    "PGDATA",
                    DATA_DIR,
                    note=(
                        "the tmpfs data dir: PostgreSQL 18+ images default PGDATA to "
                        "/var/lib/postgresql/<major>/docker, older ones to this path"
                    ),
                )
            )
        elif preset_pgdata is not None and path != preset_pgdata:
            notes.append(
                f"PGDATA is set to {preset_pgdata!r}, which composegen cannot read: the tmpfs is at {DATA_DIR}"
            )
        elif not official:
            notes.append(
                f"the tmpfs is at {path}, the official image's data dir: check that "
                f"{inputs.base.image!r} keeps its data there"
            )

    blocked = command_blocked(inputs, POSTGRES_IMAGES)
    command = None
    if blocked is None:
        command = settings_command(settings)
    else:
        own = {k: q for k, q in settings.items() if not q.source.startswith("base file")}
        flags = " ".join(settings_command(own)[1:])
        if flags:
            notes.append(f"postgres settings not applied: {blocked}; pass them yourself: {flags}")

    return Sizing(
        memory=limit_with_mounts(with_margin(ram, profile), mounts, shm),
        startup=startup_with_load(
            inputs, profile, DEFAULT_STARTUP, "composegen default (assumed)", LOAD_RATE, "composegen default (assumed)"
        ),
        cpus=baseline_cpus(inputs, profile),
        tmpfs=mounts,
        shm_size=shm,
        environment=tuple(environment),
        command=command,
        healthcheck_test=HEALTHCHECK,
        hardening=False,  # the entrypoint chowns the data dir as root, then drops to postgres
        extra={**settings, "shm_size": shm},
        notes=tuple(notes),
        base_notes=base_notes,
    )
