"""PostgreSQL: pgtune settings from a RAM budget, /dev/shm above maintenance_work_mem, tmpfs PGDATA.

The server gets a RAM budget R (declared `memory:`, else the profile's `roles.postgres.memory`,
else a named default). pgtune's formulas (facts/sizing.md §Databases) turn R into settings; the
container limit is R × the profile margin, plus /dev/shm and any tmpfs data dir, because both are
charged to the container's memory cgroup.

max_connections is the clients plus room for the healthcheck's probe, an admin or migration
session and PostgreSQL's superuser_reserved_connections: equal to the client count, the probe was
refused "too many clients" 28-31 times a run on a real server (facts/real-servers.md).

WAL lives in the data dir: on a tmpfs it is memory, and nothing bounds it but max_wal_size
(PostgreSQL's default 1 GB: 1008 MiB of WAL at 1 GB of data on a real server). A tmpfs data dir
gets max_wal_size and min_wal_size written, and the tmpfs counts the WAL: the bound written, the
base file's own, or PostgreSQL's default where composegen cannot write one.

The settings reach the server as `command: ["postgres", "-c", ...]` only when the base file sets no
command and no entrypoint and the image is the official one (or built on it, like postgis):
otherwise they are listed for `explain` and a note says why they were not applied.
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import TYPE_CHECKING

from composegen.sizing import runs
from composegen.sizing.common import (
    FACTS_SIZING,
    baseline_cpus,
    baseline_memory,
    command_blocked,
    connection_headroom,
    data_dir_mounts,
    data_dir_tmpfs,
    env_preset,
    image_repository,
    limit_with_mounts,
    startup_with_load,
    with_margin,
)
from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.quantity import Quantity, given, largest, rounded_up, smallest, times, total
from composegen.sizing.result import EnvSetting, Sizing
from composegen.units import GIB, KIB, MIB

if TYPE_CHECKING:
    from composegen.facts import Fact
    from composegen.profiles.models import Profile

# --- postgres -----------------------------------------------------------------------------------

PGTUNE = f"{FACTS_SIZING} §Databases (pgtune)"
PG_DOCKER = f"{FACTS_SIZING} §Databases (Postgres in Docker; docker-library/postgres#416)"
PG_WAL = "PostgreSQL manual, runtime-config-wal (not in facts)"
#: How many distinct inputs each derivation made once keeps (`functools.lru_cache`): a stack's
#: servers mostly share a few, and the same quantities make the same tree (explain already shows
#: equal quantities as one).
KEPT = 64

#: composegen's own default RAM budget for a server nobody sized: an assumption, not a measurement.
DEFAULT_RAM = 512 * MIB
DEFAULT_RAM_SOURCE = "composegen default (assumed): declare memory: or set roles.postgres.memory"
#: The clients assumed when composegen.yaml declares no `connections:`: PostgreSQL's own default
#: max_connections (PostgreSQL manual; not in facts), taken as the clients an app expects to open.
DEFAULT_CONNECTIONS = 100
#: PostgreSQL's default superuser_reserved_connections (PostgreSQL manual): slots of
#: max_connections that only a superuser may take.
SUPERUSER_RESERVED = 3
#: composegen floor (assumed): max_connections must exceed superuser_reserved_connections (3)
#: and, before PostgreSQL 12, max_wal_senders (10), or the server refuses to start.
MIN_CONNECTIONS = 20
#: PostgreSQL's default max_worker_processes (PostgreSQL manual; not in facts).
MAX_WORKER_PROCESSES = 8
#: pgtune (facts/sizing.md §Databases): work_mem floor 4 MB, maintenance_work_mem cap 8 GB.
WORK_MEM_FLOOR = 4 * MIB
MAINTENANCE_CAP = 8 * GIB
#: Where pgtune's 4 MB floor × max_connections does not fit the RAM budget and composegen writes
#: the settings, it writes the work_mem that does fit (every connection sorting at once), at
#: least this much (composegen's floor, assumed: below it even small sorts spill to temp files),
#: and hash_mem_multiplier 1 (PostgreSQL 15's default 2.0 lets a hash use twice work_mem), so
#: the worst case the written flags allow is counted exactly. The budget is raised only where the
#: least work_mem does not fit either.
WORK_MEM_LEAST = 1 * MIB
HASH_MEM_MULTIPLIER = 1.0
#: hash_mem_multiplier exists from PostgreSQL 13 (PostgreSQL manual): an older server refuses to
#: start on an unknown setting, so it is written only where the image's tag is 13 or later (or
#: names no version: the current release).
HASH_MEM_SINCE = 13
#: A connection's own memory beside shared_buffers and its sorts (catalog caches, its page tables
#: over shared_buffers): measured (docs/benchmarks.md "Real servers", bench/servers.py, PostgreSQL
#: 15 under pgbench) 97 MiB at 50 clients and 186 MiB at 100 beyond the shared pages (the
#: container's peak less memory.stat shmem): 1.9 MiB a connection; fitted on the 200M rows,
#: checked on the 1024M rows.
PER_CONNECTION = 2 * MIB
#: /dev/shm: must exceed maintenance_work_mem (facts: a parallel VACUUM keeps its dead tuples
#: there); docker's 64M default breaks parallel queries (facts). Where composegen cannot turn
#: parallel query off on a server older than PARALLEL_HASH_SINCE, 64M of room above it
#: (composegen's choice, assumed).
SHM_ROOM = 64 * MIB
#: Parallel query's /dev/shm has no bound in PostgreSQL's settings. A Gather that plans workers
#: creates a dynamic shared memory segment whether or not a worker starts (PostgreSQL 15 source,
#: access/transam/parallel.c `InitializeParallelDSM`: `if (pcxt->nworkers > 0) dsm_create(...)`,
#: nworkers being those planned), and the query's shared area in it (executor/execParallel.c
#: `ExecInitParallelPlan`: `dsa_create_in_place`, no size limit) holds each Parallel Hash, whose
#: budget is work_mem × hash_mem_multiplier × (planned workers + 1) (executor/nodeHash.c
#: `ExecChooseHashTableSize`: `hash_table_bytes += hash_table_bytes * parallel_workers`), and a
#: Parallel Bitmap Heap Scan's bitmap: so what /dev/shm may hold is the connections × the parallel
#: nodes each query runs, by the leader alone when max_parallel_workers (8) leaves no worker free
#: (max_parallel_workers caps the workers, not the segments). Measured (docs/benchmarks.md "Real
#: servers", PostgreSQL 15, 2 cores): 50 clients each running one Parallel Hash filled an 80 MiB
#: /dev/shm and their queries failed "could not resize shared memory segment"; docker's 64M fails
#: the same way. So composegen writes max_parallel_workers_per_gather 0 (optimizer/plan/planner.c:
#: no parallel plan at all, no segment) and max_parallel_maintenance_workers 0 (commands/
#: vacuumparallel.c `parallel_vacuum_init` returns NULL with no worker: the dead tuples stay in
#: the backend; catalog/index.c's parallel B-tree build likewise) wherever it writes the settings,
#: every profile. To run parallel query, set it in the compose file's command (`postgres -c
#: max_parallel_workers_per_gather=2`): composegen reads it and sizes /dev/shm for it (below).
PARALLEL_OFF = ("max_parallel_workers_per_gather", "max_parallel_maintenance_workers")
#: PostgreSQL's default hash_mem_multiplier (PostgreSQL 15 manual, runtime-config-resource), what a
#: server runs where the base sets none: 2.0 from 15 (1.0 in 13 and 14, counted as 2.0).
PG_HASH_MEM_MULTIPLIER = 2.0
#: Parallel Hash exists from PostgreSQL 11; before it a parallel plan's shared memory is its
#: queues and a bitmap: such a server keeps the 64 MiB of room (SHM_ROOM).
PARALLEL_HASH_SINCE = 11
#: A dynamic shared area grows in segments of 1 MiB, two of each size, then doubling: 1, 2, 2, 4,
#: 4, 8 MiB ... (PostgreSQL 15 source, utils/mmgr/dsa.c: DSA_INITIAL_SEGMENT_SIZE 1 MB,
#: DSA_NUM_SEGMENTS_AT_EACH_SIZE 2; the first segment is the area's control, in the Gather's own).
DSA_INITIAL_SEGMENT = 1 * MIB
DSA_SEGMENTS_AT_EACH_SIZE = 2
#: The Gather's own segment: a tuple queue (64 kB, executor/execParallel.c
#: PARALLEL_TUPLE_QUEUE_SIZE) and an error queue (16 kB, access/transam/parallel.c
#: PARALLEL_ERROR_QUEUE_SIZE) a worker, the serialized plan and the area's control: composegen
#: counts 1 MiB (assumed).
GATHER_SEGMENT = 1 * MIB
#: /dev/shm also holds the cumulative statistics beyond their 256 kB in the main segment
#: (utils/activity/pgstat_shmem.c): measured (docs/benchmarks.md "Real servers", PostgreSQL 15)
#: 1 MiB for pgbench's tables, 3 MiB for 5,000 tables with a primary key and a TOAST table each
#: (20,400 relations), 9 MiB for 10,000; the 16 MiB counted hold the next segment (4 MiB) too.
#: The tables a stack creates are not known: the room is typed assumed (lint adds no estimate
#: made of it alone).
SHM_STATS = 16 * MIB
#: jit, max_parallel_workers_per_gather 0 and max_parallel_maintenance_workers exist from
#: PostgreSQL 11 (PostgreSQL manual): an older server refuses to start on an unknown setting.
SERIAL_SINCE = 11
#: A JIT-compiled query (jit is on from PostgreSQL 12; it compiles any plan costing above
#: jit_above_cost, 100,000) held 24 MiB more in its backend than the same query without it
#: (RssAnon 27.4 against 3.5 MiB, PostgreSQL 15, LLVM's inlining and optimisation) and 50 such
#: clients were killed 22 times under the 848 MiB the plan wrote (docs/benchmarks.md "Real
#: servers", the parallel row). The 2 MiB a connection counted is measured without JIT, and no
#: setting bounds what LLVM holds: composegen writes jit=off where it writes the settings.
SWITCHES = frozenset({"jit"})
#: An empty cluster beside its WAL: measured (docs/benchmarks.md "Real servers", PostgreSQL 15,
#: initdb on a tmpfs) 38.2 MiB, of which pg_wal's first segment is 16 MiB, which the WAL room
#: (max_wal_size × the overshoot) already holds: base (the three template databases) 21.6 MiB,
#: global 0.5 MiB, the rest 0.1 MiB; 24 MiB counted. (The 45 MiB of facts/real-servers.md counted
#: pg_wal with it, so the first segment was counted twice.) Under pgbench at 200M the files beside
#: pg_wal and base stayed at 0.7 MiB.
EMPTY_CLUSTER = 24 * MIB
#: PostgreSQL's defaults (PostgreSQL manual, runtime-config-wal): max_wal_size 1 GB, what WAL grows
#: to when nothing else bounds it; WAL segments of 16 MB, and min_wal_size and max_wal_size are at
#: least 2 segments.
DEFAULT_MAX_WAL = 1 * GIB
WAL_SEGMENT = 16 * MIB
#: On a tmpfs data dir (composegen's choices, assumed): max_wal_size a quarter of the data room,
#: at most PostgreSQL's 1 GB default, in whole segments, at least the least PostgreSQL takes (2
#: segments: a small dataset checkpoints more often, which on a tmpfs costs CPU, not disk); min_wal_size
#: the least too, so recycled WAL is not kept in memory. (The floor was 128 MB, assumed: the twin
#: of examples/pytest kept 48 MiB of it in memory beside 67 MiB of tables; docs/benchmarks.md "The
#: tmpfs read at the peak".)
WAL_SHARE = 0.25
MIN_WAL = 2 * WAL_SEGMENT
WAL_FLOOR = MIN_WAL
#: max_wal_size is a soft limit (PostgreSQL manual: WAL can exceed it under heavy load): the
#: tmpfs counts this much over it (composegen's margin, assumed; not measured).
WAL_OVERSHOOT = 1.25
#: ... and at least this many segments over it (measured: bench/servers.py's twin at 3,500 tests,
#: max_wal_size 32 MB: loading the data kept 3 segments, 48 MiB, and a replay with 40 MiB of WAL
#: room did not come up, its PostgreSQL exiting while it loaded; a checkpoint every segment keeps
#: the last checkpoint's, the one being written and one made ahead): 2, which × 1.25 passes from
#: 128 MB up.
WAL_SEGMENTS_OVER = 2
#: Measured (docs/benchmarks.md "Real servers", bench/servers.py, PostgreSQL 15 on 2 shared
#: cores under load): healthy 3.9-21.4 s after start with a 200M-1G dataset loaded by pgbench -i,
#: of which the server's own start (initdb, the entrypoint, the first ready answer) took at most
#: 5.2 s, and the load ran at 15.2-133 MiB/s. A start_period too short restarts the container in
#: a loop, so both sit beyond the slowest measured: 8 s and 12 MiB/s.
DEFAULT_STARTUP = 8.0
LOAD_RATE = 12 * MIB
BENCH_SERVERS = "measured: bench/servers (docs/benchmarks.md, Real servers)"
#: The profile's tmpfs.dataset_factor (2.0 under pytest: "indexes, WAL and temp files beside the
#: raw data") stands partly for WAL, which a tmpfs data dir now counts on its own (wal_room): of
#: the factor, this much is the WAL's and comes off the data room, never below the dataset itself.
#: Measured (docs/benchmarks.md "Real servers"): loading 1 GiB with pgbench -i wrote about as much
#: WAL again while max_wal_size was PostgreSQL's 1 GB, and the data itself took 1.0 × the declared
#: dataset on disk (indexes included); 0.75 leaves the data room 1.25 × under pytest.
WAL_IN_DATASET_FACTOR = 0.75

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
#: The settings that bound what the server holds (held): where the base sets all three, they say it.
HELD_SETTINGS = frozenset({"shared_buffers", "work_mem", "max_connections"})


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
    needed = held(merged)
    first = next(iter(found.values()))
    what = ", ".join(f"{k}={f.raw.split('=', 1)[-1]}" for k, f in found.items())
    if ram.source == DEFAULT_RAM_SOURCE and found.keys() >= HELD_SETTINGS:
        # nobody chose the budget and the flags bound all it must hold: size for them, below the
        # default as well as above it (an overlay's own flags, read back by lint, size as rendered)
        note = f"{ram.name}: what the base's {what} hold, not composegen's default {ram.show()}"
        return needed.renamed(ram.name), merged, (note,)
    raised, notes = runs.at_least(ram.name, ram, needed, first, what)
    return raised, merged, notes


def clients(inputs: ServiceInputs) -> Quantity:
    """The connections the stack's clients open: declared, else PostgreSQL's default (assumed)."""
    if inputs.spec.connections is None:
        return given(
            "clients",
            DEFAULT_CONNECTIONS,
            "count",
            "composegen default (assumed): PostgreSQL's default max_connections; declare connections:",
            "assumed",
        )
    return given("clients", inputs.spec.connections, "count", f"composegen.yaml: services.{inputs.name}.connections")


def per_connection() -> Quantity:
    return given("memory per connection", PER_CONNECTION, "bytes", BENCH_SERVERS, "measured")


def held(settings: dict[str, Quantity]) -> Quantity:
    """What the settings let the server hold at once: shared_buffers + (a connection's own memory
    + work_mem) × max_connections (each connection may sort with its work_mem at once; CG306
    counts the sorts the same)."""
    return _held(settings["work_mem"], settings["max_connections"], settings["shared_buffers"])


@functools.lru_cache(maxsize=KEPT)
def _held(work_mem: Quantity, connections: Quantity, shared_buffers: Quantity) -> Quantity:
    each = total("connection + work_mem", (per_connection(), work_mem))
    backends = times("connections", each, connections, unit="bytes")
    return total("shared_buffers + connections", (shared_buffers, backends))


def work_mem_that_fits(ram: Quantity, settings: dict[str, Quantity]) -> Quantity:
    """The work_mem with which every connection sorting at once fits the RAM budget: (RAM budget −
    shared_buffers − connections' own memory) ÷ max_connections, at least WORK_MEM_LEAST."""
    connections = settings["max_connections"]
    own = times("connections' own memory", per_connection(), connections, unit="bytes")
    room = ram.value - settings["shared_buffers"].value - own.value
    share = Quantity(
        "work_mem that fits",
        max(0.0, room) / connections.value,
        "bytes",
        f"({ram.name} − shared_buffers − connections' own memory) ÷ max_connections",
        "composegen: every connection may sort at once",
        (ram, settings["shared_buffers"], own, connections),
    )
    least = given("least work_mem", WORK_MEM_LEAST, "bytes", "composegen floor (assumed)", "assumed")
    return largest("work_mem", (share, least))


def bounded_sorts(inputs: ServiceInputs, ram: Quantity, settings: dict[str, Quantity]) -> dict[str, Quantity]:
    """work_mem (and hash_mem_multiplier) to write where pgtune's would let every connection
    sorting at once outgrow the RAM budget: composegen bounds the worst case it writes, rather
    than raise the budget for a worst case it could have bounded."""
    if held(settings).value <= ram.value:
        return {}
    bounded = {"work_mem": work_mem_that_fits(ram, settings)}
    major = postgres_major(inputs.base.image)
    if major is None or major >= HASH_MEM_SINCE:
        bounded["hash_mem_multiplier"] = given(
            "hash_mem_multiplier",
            HASH_MEM_MULTIPLIER,
            "ratio",
            "composegen's choice (assumed): a hash uses work_mem, as a sort does (PostgreSQL 15's default 2.0 "
            "doubles it)",
            "assumed",
        )
    return bounded


def postgres_major(image: str | None) -> int | None:
    """The major version an image's tag names (`postgres:12-alpine` → 12), None where it names none."""
    tag = (image or "").rsplit("/", 1)[-1].partition("@")[0].partition(":")[2]
    digits = "".join(itertools.takewhile(str.isdigit, tag))
    return int(digits) if digits else None


def holding_every_sort(
    inputs: ServiceInputs, ram: Quantity, settings: dict[str, Quantity], *, on_tmpfs: bool
) -> tuple[Quantity, tuple[str, ...]]:
    """The RAM budget raised to what the settings hold (pgtune's 4 MB work_mem floor × many
    connections can exceed it) where the data is on a tmpfs or the clients are declared: CG306
    counts the same sum there. Elsewhere a small plan accepts that every connection sorting at
    once would not fit, and says so."""
    needed = held(settings)
    if needed.value <= ram.value:
        return ram, ()
    what = (
        f"work_mem {settings['work_mem'].show()} × max_connections {settings['max_connections'].show()} "
        "+ shared_buffers"
    )
    if on_tmpfs or inputs.spec.connections is not None:
        raised = Quantity(ram.name, needed.value, "bytes", f"raised to {needed.name}", "", (ram, needed))
        return raised, (f"RAM budget raised to {needed.show()}: {what} (every connection may sort at once)",)
    return ram, (f"{what} = {needed.show()} is above the RAM budget: many concurrent sorts can use more",)


def max_connections(inputs: ServiceInputs) -> Quantity:
    """clients + the healthcheck's probe + an admin or migration session + the superuser's
    reserved slots, at least composegen's floor."""
    return _max_connections(clients(inputs))


@functools.lru_cache(maxsize=KEPT)
def _max_connections(clients: Quantity) -> Quantity:
    wanted = total(
        "clients and headroom",
        (
            clients,
            *connection_headroom(),
            given(
                "superuser_reserved_connections",
                SUPERUSER_RESERVED,
                "count",
                "PostgreSQL's superuser_reserved_connections unless set (PostgreSQL manual)",
                kind="fact",
            ),
        ),
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


def wal_room(inputs: ServiceInputs, data_room: Quantity, written: bool) -> tuple[Quantity, dict[str, Quantity]]:
    """(the WAL a tmpfs data dir must hold, the WAL settings to write): the base file's own
    max_wal_size where it sets one, else composegen's bound when it may write it, else
    PostgreSQL's 1 GB default, which is what the server will then keep."""
    found = runs.fact(inputs, "max_wal_size", "postgres")
    settings: dict[str, Quantity] = {}
    if found is not None:
        bound = runs.fact_quantity("max_wal_size", found, "bytes")
    else:
        share = given("WAL share of the data room", WAL_SHARE, "ratio", "composegen default (assumed)", kind="assumed")
        quarter = times("data room × WAL share", data_room, share, unit="bytes")
        floor = given("max_wal_size floor", WAL_FLOOR, "bytes", f"{PG_WAL}: 2 segments, the least", kind="fact")
        cap = given("PostgreSQL default max_wal_size", DEFAULT_MAX_WAL, "bytes", PG_WAL, kind="fact")
        wanted = largest("WAL bound for the data", (quarter, floor))
        chosen = smallest("WAL bound", (wanted, cap))
        segments = math.floor(chosen.value / WAL_SEGMENT) * WAL_SEGMENT
        planned = Quantity(
            "max_wal_size", segments, "bytes", f"{chosen.show()} in whole 16 MB WAL segments", PG_WAL, (chosen,)
        )
        settings = {
            "max_wal_size": planned,
            "min_wal_size": given("min_wal_size", MIN_WAL, "bytes", f"{PG_WAL}: 2 segments, the least", kind="fact"),
        }
        bound = planned if written else cap.renamed("max_wal_size (PostgreSQL default: not written)")
    overshoot = given(
        "soft-limit overshoot",
        WAL_OVERSHOOT,
        "ratio",
        f"composegen margin (assumed); {PG_WAL}: a soft limit",
        kind="assumed",
    )
    scaled = times("max_wal_size × overshoot", bound, overshoot, unit="bytes")
    over = given(
        "WAL segments past max_wal_size",
        WAL_SEGMENTS_OVER * WAL_SEGMENT,
        "bytes",
        f"{BENCH_SERVERS}: {WAL_SEGMENTS_OVER} segments of 16 MB",
        "measured",
    )
    return largest("WAL", (scaled, total("max_wal_size + segments past it", (bound, over)))), settings


def pgtune(ram: Quantity, connections: Quantity) -> dict[str, Quantity]:
    """pgtune's settings for a RAM budget and max_connections (facts/sizing.md §Databases), in a
    dictionary of the caller's own (it adds to it)."""
    return dict(_pgtune(ram, connections))


@functools.lru_cache(maxsize=KEPT)
def _pgtune(ram: Quantity, connections: Quantity) -> dict[str, Quantity]:
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


@functools.lru_cache(maxsize=KEPT)
def shm_size(maintenance: Quantity, room: Quantity) -> Quantity:
    """/dev/shm: maintenance_work_mem (a parallel VACUUM keeps its dead tuples there; CG110; a
    session may turn parallel maintenance back on: the settings are user settings, as work_mem is)
    and the room beside it (`shm_room`)."""
    return rounded_up(total("shm_size", (maintenance, room), PG_DOCKER), MIB, "MiB")


def shm_bound(settings: dict[str, Quantity], shm: Quantity) -> str:
    """Why /dev/shm holds no more than `shm` where composegen writes the server's settings with
    parallel query off (with it on, a Parallel Hash's /dev/shm is bounded by nothing written: a
    larger shm_size the base sets is kept)."""
    return (
        "composegen writes max_parallel_workers_per_gather=0 and max_parallel_maintenance_workers=0 (the "
        "overlay's command): no parallel query or VACUUM keeps a segment in /dev/shm, which then holds the "
        f"statistics; the plan's {shm.show()} is maintenance_work_mem {settings['maintenance_work_mem'].show()} + "
        f"{SHM_STATS // MIB} MiB "
        "for them (assumed: up to ~15,000 tables; measure it: composegen calibrate)"
    )


def statistics_room() -> Quantity:
    return given(
        "room for the statistics",
        SHM_STATS,
        "bytes",
        f"composegen's room (assumed): up to ~15,000 tables ({BENCH_SERVERS}: 9 MiB for 10,000)",
        "assumed",
    )


def dsa_bytes(need: float) -> float:
    """What a dynamic shared area takes in /dev/shm to hold `need` bytes: whole segments of 1, 2,
    2, 4, 4, 8 MiB ... (utils/mmgr/dsa.c)."""
    held, index = 0.0, 0
    while held < need:
        index += 1
        held += DSA_INITIAL_SEGMENT * 2 ** (index // DSA_SEGMENTS_AT_EACH_SIZE)
    return held


def setting_run(inputs: ServiceInputs, key: str) -> Fact | None:
    """The base's own `postgres -c key=value`, read, zero included (runs.fact takes no zero)."""
    found = inputs.facts.get(key, "postgres") if inputs.facts is not None else None
    if found is None or found.status != "read" or not isinstance(found.value, int | float):
        return None
    return found


def parallel_room(inputs: ServiceInputs, settings: dict[str, Quantity]) -> tuple[Quantity, str]:
    """(the room beside maintenance_work_mem, a note) where composegen cannot write the settings.
    The base sets max_parallel_workers_per_gather: 0, the statistics; more, the statistics and
    every connection's Parallel Hash, one a query (assumed, as one sort a connection is in the RAM
    budget). It sets none: PostgreSQL's default runs parallel query, composegen lists the flag
    that turns it off and keeps 64 MiB of room for both (no bound: the note says so)."""
    stats = statistics_room()
    found = setting_run(inputs, "max_parallel_workers_per_gather")
    if found is None:
        room = given(
            "room for the statistics and parallel queries",
            SHM_ROOM,
            "bytes",
            "composegen default (assumed): no bound for parallel queries",
            "assumed",
        )
        note = (
            "/dev/shm: parallel query runs (PostgreSQL's default max_parallel_workers_per_gather 2: the base's "
            "command sets none), and what its Parallel Hashes hold there is bounded by nothing composegen may "
            f"write: {SHM_ROOM // MIB} MiB of room are kept; pass -c max_parallel_workers_per_gather=0, or set "
            "it to the workers you want and composegen sizes /dev/shm for them"
        )
        return room, note
    workers = runs.fact_quantity("max_parallel_workers_per_gather", found, "count")
    if workers.value == 0:
        return stats, ""
    hash_found = setting_run(inputs, "hash_mem_multiplier")
    multiplier = (
        runs.fact_quantity("hash_mem_multiplier", hash_found, "ratio")
        if hash_found is not None
        else given("hash_mem_multiplier", PG_HASH_MEM_MULTIPLIER, "ratio", "PostgreSQL 15's default", "default")
    )
    connections = settings["max_connections"]
    participants = Quantity(
        "participants", workers.value + 1, "count", f"{workers.name} + the leader", "executor/nodeHash.c", (workers,)
    )
    budget = times("work_mem × hash_mem_multiplier", settings["work_mem"], multiplier, unit="bytes")
    hash_budget = times("a Parallel Hash's budget", budget, participants, unit="bytes")
    segments = Quantity(
        "its shared-memory segments",
        dsa_bytes(hash_budget.value),
        "bytes",
        f"{hash_budget.name} in whole segments of 1, 2, 2, 4 MiB ...",
        "PostgreSQL source, utils/mmgr/dsa.c",
        (hash_budget,),
    )
    gather = given(
        "the Gather's own segment", GATHER_SEGMENT, "bytes", "composegen (assumed): its queues and plan", "assumed"
    )
    each = total("a connection's parallel query", (segments, gather))
    queries = times("parallel queries", each, connections, unit="bytes")
    note = (
        f"/dev/shm: sized for parallel query, which the base runs ({runs.origin_text(found)}): each "
        "connection's Parallel Hash is built there whether or not a worker starts: "
        f"{connections.show()} connections × one hash of work_mem {settings['work_mem'].show()} × "
        f"hash_mem_multiplier {multiplier.show()} × {participants.show()} participants ({each.show()} "
        f"with its segment) = {queries.show()}"
    )
    return total("room for the statistics and parallel queries", (stats, queries)), note


def shm_plan(
    inputs: ServiceInputs, settings: dict[str, Quantity], parallel_off: bool
) -> tuple[Quantity, tuple[str, ...]]:
    """/dev/shm and the notes on it: maintenance_work_mem and the room for the statistics where
    composegen turns parallel query off; what parallel query may hold where the server runs it.
    The base's own shm_size is weighed against it in base_resources (kept and counted where
    nothing written bounds /dev/shm, else lowered with a note)."""
    notes: list[str] = []
    major = postgres_major(inputs.base.image)
    if parallel_off:
        room = statistics_room()
    elif major is not None and major < PARALLEL_HASH_SINCE:
        room = given("room above maintenance_work_mem", SHM_ROOM, "bytes", "composegen default (assumed)", "assumed")
    else:
        room, note = parallel_room(inputs, settings)
        notes += [note] if note else []
    return shm_size(settings["maintenance_work_mem"], room), tuple(notes)


def serial_settings(inputs: ServiceInputs) -> dict[str, Quantity]:
    """jit off and parallel query off, every profile: settings whose memory nothing else bounds
    (see SWITCHES and PARALLEL_OFF). None for a server older than SERIAL_SINCE."""
    return dict(_serial_settings(postgres_major(inputs.base.image)))


@functools.lru_cache(maxsize=KEPT)
def _serial_settings(major: int | None) -> dict[str, Quantity]:
    if major is not None and major < SERIAL_SINCE:
        return {}
    settings = {
        "jit": given(
            "jit (0: off)",
            0,
            "count",
            f"composegen's choice (assumed): a JIT-compiled query held 24 MiB more a backend ({BENCH_SERVERS}), "
            "which no setting bounds",
            "assumed",
        )
    }
    why = (
        "composegen's choice (assumed): what parallel query holds in /dev/shm is bounded by no setting "
        "(the connections × their parallel hashes; docs/sizing.md); to run it, set "
        "-c max_parallel_workers_per_gather=N in the service's command and composegen sizes /dev/shm for it"
    )
    for key in PARALLEL_OFF:
        settings[key] = given(key, 0, "count", why, "assumed")
    return settings


def settings_command(settings: dict[str, Quantity]) -> tuple[str, ...]:
    args: list[str] = ["postgres"]
    for key, q in settings.items():
        if key in SWITCHES:
            value = "on" if q.value else "off"
        elif q.unit == "count":
            value = str(int(q.value))
        else:
            value = f"{q.value:g}" if q.unit == "ratio" else pg_size(q.value)
        args += ["-c", f"{key}={value}"]
    return tuple(args)


def sizing_key(inputs: ServiceInputs) -> tuple[object, ...]:
    """All of `inputs` that `size` reads: two services with equal keys get equal sizings from one
    profile (tests/sizing/test_postgres_key.py holds `size` to it). The name only where
    composegen.yaml declares a value (its source names the service); the base's `postgres -c`
    facts with their origins (notes quote them)."""
    spec, base = inputs.spec, inputs.base
    declared = (spec.memory, spec.cpus, spec.connections, spec.dataset, spec.startup)
    facts = inputs.facts.facts if inputs.facts is not None else ()
    return (
        inputs.role,
        inputs.name if declared != (None, None, None, None, None) else None,
        declared,
        env_preset(inputs, "PGDATA"),
        base.image,
        base.command is None,
        base.entrypoint is None,
        base.has_build,
        base.volume_targets,
        tuple(f for f in facts if f.program == "postgres"),
    )


def size(inputs: ServiceInputs, profile: Profile) -> Sizing:
    # plan.calculated keeps one sizing per `sizing_key`: whatever of `inputs` this reads (here or
    # in a helper) must be in that key, or two services that differ in it would share a sizing
    ram = baseline_memory(inputs, profile, DEFAULT_RAM, DEFAULT_RAM_SOURCE).renamed("RAM budget")
    wanted_connections = max_connections(inputs)
    ram, settings, base_notes = with_base_settings(inputs, ram, pgtune(ram, wanted_connections))
    runs_connections = runs.fact(inputs, "max_connections", "postgres", most=runs.MOST_COUNT)
    if runs_connections is not None and inputs.spec.connections is not None:
        base_notes += runs.short_of(
            "max_connections",
            settings["max_connections"],
            wanted_connections,
            runs_connections,
            "clients + the healthcheck, an admin session and superuser_reserved_connections: "
            "the healthcheck or a migration may be refused 'too many clients'",
        )
    notes: list[str] = []
    blocked = command_blocked(inputs, POSTGRES_IMAGES)
    cpus = baseline_cpus(inputs, profile)
    serial = serial_settings(inputs)

    official = image_repository(inputs.base.image) in POSTGRES_IMAGES
    environment: list[EnvSetting] = []
    path = DATA_DIR
    preset_pgdata = env_preset(inputs, "PGDATA")
    if preset_pgdata and "$" not in preset_pgdata:
        path = preset_pgdata
    wal_part = given("WAL share of the dataset factor", WAL_IN_DATASET_FACTOR, "ratio", BENCH_SERVERS, "measured")
    room = data_dir_tmpfs(inputs, profile, path, "postgres data dir", wal_part)
    fresh = None
    counted: dict[str, Quantity] = {}
    if room is not None:  # WAL is in the data dir: on a tmpfs, memory
        wal, wal_settings = wal_room(inputs, room.size.renamed("room for data"), written=blocked is None)
        settings.update(wal_settings)
        empty = given(
            "empty cluster beside its WAL", EMPTY_CLUSTER, "bytes", f"{BENCH_SERVERS}: 22.2 MiB, PG 15", "measured"
        )
        fresh = total("empty cluster and WAL", (empty, wal))
        counted["WAL in the tmpfs"] = wal
    mounts, mount_notes = data_dir_mounts(inputs, profile, path, "postgres data dir", fresh, wal_part)
    notes += mount_notes
    raises = bool(mounts) or inputs.spec.connections is not None  # where the budget holds every sort
    if raises and blocked is None and not settings["work_mem"].source.startswith("base file"):
        settings.update(bounded_sorts(inputs, ram, settings))
    ram, sort_notes = holding_every_sort(inputs, ram, settings, on_tmpfs=bool(mounts))
    notes += sort_notes
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

    settings.update(serial)
    parallel_off = blocked is None and PARALLEL_OFF[0] in serial
    shm, shm_notes = shm_plan(inputs, settings, parallel_off)
    base_notes += shm_notes
    command = None
    bound = shm_bound(settings, shm) if parallel_off else ""
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
            inputs, profile, DEFAULT_STARTUP, BENCH_SERVERS, LOAD_RATE, BENCH_SERVERS, "measured", "measured"
        ),
        cpus=cpus,
        tmpfs=mounts,
        shm_size=shm,
        environment=tuple(environment),
        command=command,
        healthcheck_test=HEALTHCHECK,
        hardening=False,  # the entrypoint chowns the data dir as root, then drops to postgres
        extra={**settings, "shm_size": shm, **counted},
        notes=tuple(notes),
        base_notes=base_notes,
        shm_bound=bound,
    )
