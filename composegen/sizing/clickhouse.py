"""ClickHouse: a memory floor from the facts, and a server cap that leaves the tmpfs alone.

facts/sizing.md §Databases: 32 GB+ recommended, below 16 GB memory exceptions, 2 GB works with
tuning; ClickHouse caps itself at max_server_memory_usage_to_ram_ratio (0.9) of the cgroup limit.
Below 2 GB it does not work, so 2 GB is a floor under any budget.

The server reads its cap from the cgroup limit, which also holds a tmpfs data dir: with one,
0.9 × limit would promise ClickHouse memory the tmpfs already uses. composegen then sets
max_server_memory_usage to 0.9 × the process budget (a `-- --key=value` config override the
official entrypoint passes to clickhouse-server).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from composegen.sizing import runs
from composegen.sizing.common import (
    FACTS_SIZING,
    baseline_cpus,
    command_unless_blocked,
    data_dir_mounts,
    declared_memory,
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

CLICKHOUSE_FACTS = f"{FACTS_SIZING} §Databases (ClickHouse)"

#: facts/sizing.md §Databases: 2 GB works with tuning (below it, memory exceptions).
FLOOR = 2 * GIB
#: facts/sizing.md §Databases: below 16 GB memory exceptions; 32 GB+ recommended.
COMFORTABLE = 16 * GIB
RECOMMENDED = 32 * GIB
#: facts/sizing.md §Databases: max_server_memory_usage_to_ram_ratio 0.9 of the cgroup limit.
SERVER_RATIO = 0.9
#: An empty data dir plus the system log tables (query_log, metric_log…) that grow from the first
#: second: composegen's estimate (assumed).
FRESH_DATA_DIR = 128 * MIB
#: composegen defaults (assumed): start to /ping, and insert speed of an init-script load.
DEFAULT_STARTUP = 15.0
LOAD_RATE = 20 * MIB

DATA_DIR = "/var/lib/clickhouse"
IMAGES = frozenset({"clickhouse/clickhouse-server", "clickhouse", "yandex/clickhouse-server"})
#: HTTP /ping needs no credentials (the client would, once CLICKHOUSE_PASSWORD is set); wget is
#: in the official images (the entrypoint itself polls /ping with it).
HEALTHCHECK: tuple[str, ...] = ("CMD", "wget", "-q", "--spider", "http://127.0.0.1:8123/ping")


def budget(inputs: ServiceInputs, profile: Profile) -> tuple[Quantity, list[str]]:
    """The server's working set: declared, else the profile's, else the 2 GB floor; never below it."""
    floor = given("ClickHouse floor", FLOOR, "bytes", f"{CLICKHOUSE_FACTS}: 2 GB works with tuning")
    notes: list[str] = []
    chosen = declared_memory(inputs)
    role_memory = profile.role(inputs.role).memory
    if chosen is None and role_memory is not None:
        chosen = given(
            "clickhouse baseline", role_memory, "bytes", f"profile {profile.name}: roles.{inputs.role}.memory"
        )
    if chosen is None:
        working = floor.renamed("ClickHouse budget")
        notes.append(
            "memory is the 2 GB floor (works with tuning, facts): declare memory: or set "
            "roles.clickhouse.memory for a real number"
        )
    elif chosen.value < FLOOR:
        working = largest("ClickHouse budget", (chosen, floor), CLICKHOUSE_FACTS)
        notes.append(f"{chosen.name} {chosen.show()} is below the 2 GB ClickHouse needs: raised to 2 GB")
    else:
        working = chosen.renamed("ClickHouse budget")
    if working.value < COMFORTABLE:
        notes.append(
            f"below 16 GB ClickHouse raises memory exceptions under load unless tuned; "
            f"{RECOMMENDED // GIB} GB+ is recommended for production (facts)"
        )
    return working, notes


def size(inputs: ServiceInputs, profile: Profile) -> Sizing:
    working, notes = budget(inputs, profile)
    found = runs.fact(inputs, "max_server_memory_usage", "clickhouse")
    if found is not None and not (isinstance(found.value, int) and found.value > 0):
        found = None  # 0: the ratio of the limit decides, as when it is not set
    if found is not None:
        # the server may hold what the base's own cap lets it: the budget never below it
        cap_in_base = runs.fact_quantity("max_server_memory_usage", found, "bytes")
        working, raised = runs.at_least(working.name, working, cap_in_base, found, f"a {cap_in_base.show()} cap")
        notes += list(raised)
    process = with_margin(working, profile)
    mounts, mount_notes = data_dir_mounts(
        inputs,
        profile,
        DATA_DIR,
        "clickhouse data dir",
        given("empty data dir and system logs", FRESH_DATA_DIR, "bytes", "composegen estimate (assumed)", "assumed"),
    )
    notes += mount_notes
    ratio = given("max_server_memory_usage_to_ram_ratio", SERVER_RATIO, "ratio", CLICKHOUSE_FACTS)
    extra: dict[str, Quantity] = {"budget": working}
    command = None
    if found is not None:
        extra["max_server_memory_usage"] = runs.fact_quantity("max_server_memory_usage", found, "bytes")
    elif mounts:
        cap = Quantity(
            "max_server_memory_usage",
            math.floor(process.value * SERVER_RATIO),
            "bytes",
            f"{process.name} × {ratio.name} (the tmpfs is not the server's to use)",
            CLICKHOUSE_FACTS,
            (process, ratio),
        )
        extra["max_server_memory_usage"] = cap
        flag = f"--max_server_memory_usage={int(cap.value)}"
        command, note = command_unless_blocked(
            inputs,
            IMAGES,
            ("--", flag),
            "max_server_memory_usage",
            consequence="without it ClickHouse counts the tmpfs as its own memory",
            shown=f"`-- {flag}`",
        )
        notes += [note] if note else []
    else:
        notes.append("ClickHouse caps itself at 0.9 of the memory limit (max_server_memory_usage_to_ram_ratio, facts)")
    return Sizing(
        memory=limit_with_mounts(process, mounts),
        startup=startup_with_load(
            inputs, profile, DEFAULT_STARTUP, "composegen default (assumed)", LOAD_RATE, "composegen default (assumed)"
        ),
        cpus=baseline_cpus(inputs, profile),
        tmpfs=mounts,
        command=command,
        healthcheck_test=HEALTHCHECK,
        hardening=False,  # the entrypoint chowns the data dirs as root, then drops to clickhouse
        extra=extra,
        notes=tuple(notes),
    )
