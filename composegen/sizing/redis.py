"""Redis (and Valkey): maxmemory from the dataset, and a limit that leaves room for fork.

facts/sizing.md §Databases: maxmemory ~80-90% of what is free; BGSAVE or an AOF rewrite forks,
and copy-on-write can need up to 2× normal memory, so with persistence on maxmemory is about half
the container limit. composegen sizes the data in memory (the values, plus what each key costs
beside its value: with 80-byte values a key cost ~191 bytes on a real Redis 7.0,
facts/real-servers.md), × the profile margin, makes that maxmemory, and derives the process limit
from it; a tmpfs /data for the dumps comes on top, only when persistence is on.

Persistence is `persistence:` from composegen.yaml, else on, except when the profile puts data
dirs on tmpfs (a throwaway store: nothing to persist, no fork to pay for).
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
    image_repository,
    limit_with_mounts,
    startup_time,
    startup_with_load,
    with_margin,
)
from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.quantity import Quantity, given, rounded_up, times, total
from composegen.sizing.result import Sizing, TmpfsMount
from composegen.units import MIB

if TYPE_CHECKING:
    from composegen.profiles.models import Profile

REDIS_FACTS = f"{FACTS_SIZING} §Databases (Redis)"

#: composegen's default dataset for a Redis nobody sized (assumed, not measured).
DEFAULT_DATASET = 64 * MIB
#: Memory a key costs beside its value, and the value's own cost per byte. A value takes
#: jemalloc's size class above it (4 classes a doubling: up to 1.25 × its size): 16 KiB values
#: took the 20 KiB class, 1.25 × (docs/benchmarks.md "Real servers", bench/servers.py: at
#: 1.07 × maxmemory refused ~48,000 writes); with 1.25 × the value, ~191 bytes a key with 80-byte
#: values (facts/real-servers.md) leaves 91 bytes a key; 1 KB values (~1.17 ×,
#: facts/real-servers.md) are covered.
PER_KEY = 91
VALUE_FACTOR = 1.25
REDIS_MEASURED = "measured: bench/servers (docs/benchmarks.md, Real servers) and facts/real-servers.md (Redis 7.0)"
#: The value size assumed when composegen.yaml gives neither `keys:` nor `value_size:`: small,
#: so the per-key cost is on the safe side (composegen's default, assumed).
DEFAULT_VALUE_SIZE = 128
#: facts/sizing.md §Databases: maxmemory ~80-90% of what is free (85%, the middle), and about
#: half the limit when persistence forks.
MAXMEMORY_SHARE_NO_PERSISTENCE = 0.85
MAXMEMORY_SHARE_PERSISTENCE = 0.5
#: Redis's own default policy (Redis manual; not in facts): writes fail at maxmemory instead of
#: silently evicting keys, which is what a store (and a test suite) wants. Caches: allkeys-lru.
MAXMEMORY_POLICY = "noeviction"
#: Measured (docs/benchmarks.md "Real servers", bench/servers.py, Redis 7.0 on 2 shared cores
#: under load): PING answered 0.1-0.3 s after start; 1 s, beyond the slowest measured (a
#: start_period too short restarts the container in a loop).
DEFAULT_STARTUP = 1.0
BENCH_SERVERS = "measured: bench/servers (docs/benchmarks.md, Real servers)"
#: Measured (docs/benchmarks.md "Real servers", bench/servers.py's restart rows, Redis 7.0 on 2
#: shared cores under load): a 95 MiB RDB of 100,000 1 KiB values loaded in 1.18 s (80 MiB/s, the
#: server's own "DB loaded from disk" time); 50 MiB/s, beyond the slowest seen (a start_period too
#: short restarts the container in a loop). Fitted on the 1 KiB row, checked on the 16 KiB one.
RDB_LOAD_RATE = 50 * MIB

DATA_DIR = "/data"
#: Images whose entrypoint passes `redis-server …` / `valkey-server …` arguments through.
SERVERS: dict[str, str] = {"redis": "redis-server", "valkey": "valkey-server", "valkey/valkey": "valkey-server"}


#: Why persistence is on where nothing says: composegen's default.
DEFAULT_PERSISTENCE = "composegen default: persistence on"


def persistence(inputs: ServiceInputs, profile: Profile) -> tuple[bool, str]:
    """(on, why): declared, else what the base's server flags say (`--appendonly yes`, or
    `--save ""` with no AOF: off), else on unless the profile puts data dirs on tmpfs."""
    if inputs.spec.persistence is not None:
        return inputs.spec.persistence, f"composegen.yaml: services.{inputs.name}.persistence"
    appendonly = runs.fact(inputs, "appendonly", "redis")
    if appendonly is not None and appendonly.value is True:
        return True, f"base file {runs.origin_text(appendonly)}"
    save = runs.fact(inputs, "save", "redis")
    if save is not None:
        on = save.value != ""
        return on, f"base file {runs.origin_text(save)}" + ("" if on else ": no snapshots")
    if profile.tmpfs.data_dirs:
        return False, f"profile {profile.name}: tmpfs.data_dirs (a throwaway store)"
    return True, DEFAULT_PERSISTENCE


def dataset(inputs: ServiceInputs, profile: Profile) -> Quantity:
    """The data Redis holds in memory: its values and what each key costs beside its value, from
    the declared dataset, keys and value size (a small default value size where none is given).
    A declared or profile `memory:` is taken as the data in memory as it is."""
    spec = inputs.spec
    declared = f"composegen.yaml: services.{inputs.name}"
    nothing_of_data = spec.dataset is None and spec.keys is None and spec.value_size is None
    if nothing_of_data and (spec.memory is not None or profile.role(inputs.role).memory is not None):
        return baseline_memory(inputs, profile, DEFAULT_DATASET, "").renamed("data in memory")
    size_of_value = (
        given("value size", spec.value_size, "bytes", f"{declared}.value_size")
        if spec.value_size is not None
        else given(
            "value size",
            DEFAULT_VALUE_SIZE,
            "bytes",
            "composegen default (assumed): small values, the costly case; declare keys: or value_size:",
            kind="assumed",
        )
    )
    if spec.dataset is not None:
        values = given("values", spec.dataset, "bytes", f"{declared}.dataset")
    elif spec.keys is not None:
        values = times("values", given("keys", spec.keys, "count", f"{declared}.keys"), size_of_value, unit="bytes")
    else:
        values = given(
            "values",
            DEFAULT_DATASET,
            "bytes",
            "composegen default (assumed): declare dataset: for a real number",
            kind="assumed",
        )
    if spec.keys is not None:
        keys = given("keys", spec.keys, "count", f"{declared}.keys")
    else:
        keys = Quantity(
            "keys",
            math.ceil(values.value / size_of_value.value),
            "count",
            "values ÷ value size",
            "",
            (values, size_of_value),
        )
    per_key = given("memory per key", PER_KEY, "bytes", REDIS_MEASURED, kind="measured")
    factor = given("memory per value byte", VALUE_FACTOR, "ratio", REDIS_MEASURED, kind="measured")
    return total(
        "data in memory",
        (times("values in memory", values, factor, unit="bytes"), times("keys' own memory", keys, per_key)),
    )


def dumps_of_maxmemory(mount: TmpfsMount, maxmemory: Quantity, inputs: ServiceInputs) -> TmpfsMount:
    """The dump dir as two RDB files of what maxmemory lets Redis hold (the last dump and the one
    a save writes beside it, then renames over it), in place of the profile's dataset factor: an RDB
    holds the data more compactly than memory does, so maxmemory bounds it, and the data may grow
    to maxmemory past the declared dataset (bench/servers: 16 KiB values filled to maxmemory made
    two dumps of 152 MiB, beyond the 126 MiB of dataset × 2; 100 B values made two dumps of
    more than their dataset × 2). Not with an append-only file, which grows past the data between
    rewrites: the profile's room stays."""
    appendonly = runs.fact(inputs, "appendonly", "redis")
    if appendonly is not None and appendonly.value is True:
        return mount
    copies = given(
        "dumps during a save",
        2,
        "count",
        "Redis: a save writes temp-<pid>.rdb, then renames it over the dump (not in facts)",
    )
    bound = rounded_up(times("two dumps of maxmemory", maxmemory, copies, unit="bytes"), MIB, "MiB")
    return TmpfsMount(mount.path, bound.renamed(mount.size.name), mount.mode, mount.purpose)


def size(inputs: ServiceInputs, profile: Profile) -> Sizing:
    persist, persist_why = persistence(inputs, profile)
    data = dataset(inputs, profile)
    maxmemory = with_margin(data, profile).renamed("maxmemory")
    base_notes: tuple[str, ...] = ()
    found = runs.fact(inputs, "maxmemory", "redis")
    if found is not None and isinstance(found.value, int) and found.value > 0:
        # the server's own flag is what runs (composegen never replaces a command): size for it
        runs_max = runs.fact_quantity("maxmemory", found, "bytes")
        if runs_max.value != maxmemory.value:
            base_notes = (runs.sized_for("maxmemory", runs_max, found, maxmemory),)
        maxmemory = runs_max
    if persist:
        share = given(
            "maxmemory share of the limit",
            MAXMEMORY_SHARE_PERSISTENCE,
            "ratio",
            f"{REDIS_FACTS}: fork copy-on-write can double memory ({persist_why})",
            "default" if persist_why == DEFAULT_PERSISTENCE else None,  # chosen by composegen's default
        )
    else:
        share = given(
            "maxmemory share of the limit",
            MAXMEMORY_SHARE_NO_PERSISTENCE,
            "ratio",
            f"{REDIS_FACTS}: 80-90% of what is free ({persist_why})",
        )
    process = Quantity(
        "redis process",
        maxmemory.value / share.value,
        "bytes",
        "maxmemory ÷ maxmemory share of the limit",
        REDIS_FACTS,
        (maxmemory, share),
    )

    mounts: tuple[TmpfsMount, ...] = ()
    notes: list[str] = []
    if profile.tmpfs.data_dirs and persist:
        # RDB saves go to a temp file and are renamed: the dataset factor covers both copies.
        # Without persistence nothing is written to /data: no tmpfs to pay for.
        mounts, mount_notes = data_dir_mounts(inputs, profile, DATA_DIR, "redis dump dir")
        notes += mount_notes
        if maxmemory.source_kind == "base file" or command_blocked(inputs, SERVERS) is None:
            mounts = tuple(dumps_of_maxmemory(m, maxmemory, inputs) for m in mounts)

    repo = image_repository(inputs.base.image)
    server = SERVERS.get(repo or "", "redis-server")
    args: list[str] = [server, "--maxmemory", str(math.floor(maxmemory.value)), "--maxmemory-policy", MAXMEMORY_POLICY]
    if maxmemory.source_kind == "base file":  # the base's own --maxmemory runs: nothing to pass for it
        args[1:3] = []
    if not persist:
        args += ["--save", "", "--appendonly", "no"]
    blocked = command_blocked(inputs, SERVERS)
    command = tuple(args) if blocked is None else None
    if blocked is not None:
        shown = " ".join(a if a else '""' for a in args[1:])
        notes.append(f"redis settings not applied: {blocked}; pass them yourself: {shown}")
    notes.append(
        f"maxmemory-policy {MAXMEMORY_POLICY} (Redis's default): writes fail at maxmemory; "
        "use allkeys-lru if this Redis is only a cache"
    )
    cli = "valkey-cli" if server == "valkey-server" else "redis-cli"

    if persist:  # a restart loads the RDB before Redis answers
        startup = startup_with_load(
            inputs,
            profile,
            DEFAULT_STARTUP,
            BENCH_SERVERS,
            RDB_LOAD_RATE,
            f"{BENCH_SERVERS}: RDB load rate",
            "measured",
            "measured",
        )
    else:
        startup = startup_time(inputs, profile, DEFAULT_STARTUP, BENCH_SERVERS, "measured")
    return Sizing(
        memory=limit_with_mounts(process, mounts),
        startup=startup,
        cpus=baseline_cpus(inputs, profile),
        tmpfs=mounts,
        command=command,
        healthcheck_test=("CMD", cli, "ping"),
        hardening=False,  # the entrypoint chowns /data as root, then drops to the redis user
        extra={"maxmemory": maxmemory, "data in memory": data},
        notes=tuple(notes),
        base_notes=base_notes,
        floor=process,
    )
