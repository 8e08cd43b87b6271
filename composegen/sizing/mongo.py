"""MongoDB: the WiredTiger cache from the server's RAM budget, not from the cgroup limit.

Not in facts/sizing.md: the MongoDB manual sets the WiredTiger internal cache to
max(50% × (RAM − 1 GB), 256 MB), where RAM is the container's memory limit when it has one.
That limit also holds the profile margin and any tmpfs data dir, so mongod would size its cache
from memory that is not its own; composegen computes the cache from the RAM budget and passes it
as --wiredTigerCacheSizeGB where it may write the command.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from composegen.sizing import runs
from composegen.sizing.common import (
    baseline_cpus,
    baseline_memory,
    command_unless_blocked,
    data_dir_mounts,
    limit_with_mounts,
    startup_with_load,
    with_margin,
)
from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.quantity import Quantity, given, largest
from composegen.sizing.result import Sizing
from composegen.units import GIB, MIB

if TYPE_CHECKING:
    from composegen.profiles.models import Profile

MANUAL = "MongoDB manual, WiredTiger cache default (not in facts)"

#: composegen's default budget for a server nobody sized (assumed).
DEFAULT_RAM = 1 * GIB
#: MongoDB manual (not in facts): max(0.5 × (RAM − 1 GB), 256 MB); the option's minimum is 0.25.
RESERVED = 1 * GIB
CACHE_SHARE = 0.5
CACHE_FLOOR = 256 * MIB
#: WiredTiger preallocates 100 MB journal files: composegen's estimate of an empty dbpath
#: (assumed).
FRESH_DATA_DIR = 320 * MIB
#: composegen defaults (assumed).
DEFAULT_STARTUP = 10.0
LOAD_RATE = 20 * MIB

DATA_DIR = "/data/db"
#: The official image: its entrypoint turns leading `--flags` into `mongod --flags`.
IMAGES = frozenset({"mongo"})
#: mongosh in 5.0+ images (only mongosh from 6.0), the legacy `mongo` shell before: try both.
HEALTHCHECK: tuple[str, ...] = (
    "CMD-SHELL",
    "mongosh --quiet --eval 'db.runCommand({ping:1})' || mongo --quiet --eval 'db.runCommand({ping:1})'",
)


def wiredtiger_cache(ram: Quantity) -> Quantity:
    reserved = given("reserved for the rest", RESERVED, "bytes", MANUAL, "default")
    share = given("cache share", CACHE_SHARE, "ratio", MANUAL, "default")
    half = Quantity(
        "50% × (RAM − 1 GB)",
        max(0.0, (ram.value - reserved.value) * share.value),
        "bytes",
        f"{share.name} × ({ram.name} − {reserved.name})",
        MANUAL,
        (ram, reserved, share),
    )
    floor = given("cache floor", CACHE_FLOOR, "bytes", MANUAL, "default")
    return largest("wiredTigerCacheSize", (half, floor), MANUAL)


def ram_for_cache(cache: Quantity) -> Quantity:
    """The RAM budget a cache needs by the manual's rule: cache ÷ 50% + 1 GB."""
    return Quantity(
        "RAM budget for that cache",
        cache.value / CACHE_SHARE + RESERVED,
        "bytes",
        f"{cache.name} ÷ 50% + 1 GB",
        MANUAL,
        (cache,),
    )


def cache_gb(n: float) -> str:
    """GB for --wiredTigerCacheSizeGB, floored to 0.01 (at least 0.25): `0.25`, `1.5`."""
    value = max(0.25, math.floor(n / GIB * 100) / 100)
    return f"{value:.2f}".rstrip("0").rstrip(".")


def size(inputs: ServiceInputs, profile: Profile) -> Sizing:
    ram = baseline_memory(
        inputs, profile, DEFAULT_RAM, "composegen default (assumed): declare memory: or set roles.mongo.memory"
    ).renamed("RAM budget")
    cache = wiredtiger_cache(ram)
    base_notes: tuple[str, ...] = ()
    found = runs.fact(inputs, "wiredtiger_cache", "mongodb")
    if found is not None:  # mongod's flag is what runs: size the budget around it
        cache = runs.fact_quantity("wiredTigerCacheSize", found, "bytes")
        ram, base_notes = runs.at_least(ram.name, ram, ram_for_cache(cache), found, f"a {cache.show()} cache")
    mounts, notes_ = data_dir_mounts(
        inputs,
        profile,
        DATA_DIR,
        "mongo data dir",
        given("empty dbpath and journal", FRESH_DATA_DIR, "bytes", "composegen estimate (assumed)", "assumed"),
    )
    notes = list(notes_)
    command = None
    if found is None:
        command, note = command_unless_blocked(
            inputs,
            IMAGES,
            ("--wiredTigerCacheSizeGB", cache_gb(cache.value)),
            "wiredTigerCacheSizeGB",
            consequence="mongod sizes its cache from the container limit instead",
        )
        notes += [note] if note else []
    return Sizing(
        memory=limit_with_mounts(with_margin(ram, profile), mounts),
        startup=startup_with_load(
            inputs, profile, DEFAULT_STARTUP, "composegen default (assumed)", LOAD_RATE, "composegen default (assumed)"
        ),
        cpus=baseline_cpus(inputs, profile),
        tmpfs=mounts,
        command=command,
        healthcheck_test=HEALTHCHECK,
        hardening=False,  # the entrypoint chowns the data dir as root, then drops to mongodb
        extra={"wiredTigerCacheSize": cache},
        notes=tuple(notes),
        base_notes=base_notes,
    )
