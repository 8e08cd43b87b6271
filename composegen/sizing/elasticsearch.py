"""Elasticsearch and OpenSearch: half the memory for the heap, the rest for Lucene's file cache.

facts/sizing.md §Calculators: heap = 50% of RAM capped at 31 GB (the manual: at most 50%, and at
most ~26 GB to keep zero-based compressed oops; 31 GB is the compressed-oops ceiling). RAM here is
the node's working set (declared `memory:`, the profile's role memory, or a default); the
container limit is that × the profile margin. -Xms equals -Xmx, as the bootstrap checks require.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from composegen.sizing.common import (
    FACTS_SIZING,
    baseline_cpus,
    baseline_memory,
    image_repository,
    limit_with_mounts,
    startup_time,
    with_margin,
)
from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.jvm import heap_env, heap_from_base
from composegen.sizing.quantity import Quantity, given, largest, smallest
from composegen.sizing.result import EnvSetting, Sizing
from composegen.units import GIB, MIB

if TYPE_CHECKING:
    from composegen.profiles.models import Profile

ES_FACTS = f"{FACTS_SIZING} §Calculators (Elasticsearch heap)"

#: facts/sizing.md §Calculators: 50% of RAM, capped at 31 GB.
HEAP_SHARE = 0.5
HEAP_CAP = 31 * GIB
#: The manual's lower ceiling for zero-based compressed oops (facts: "≤ 26 GB").
ZERO_BASED_OOPS = 26 * GIB
#: composegen floor and default (assumed): a node below 1 GiB barely starts; 1 GiB is also the
#: MEM_LIMIT of Elastic's own docker-compose example.
FLOOR = 1 * GIB
DEFAULT_RAM = 1 * GIB
#: composegen default (assumed): JVM start, plugins, cluster formation.
DEFAULT_STARTUP = 60.0

#: The HTTP layer answering at all: plain HTTP when security is off, else HTTPS (ES 8 and
#: OpenSearch turn TLS and auth on by default, and a 401 still means the node is up). curl is in
#: both images; no `$`, so nothing for compose to interpolate.
HEALTHCHECK: tuple[str, ...] = (
    "CMD-SHELL",
    "curl -s -o /dev/null http://localhost:9200/_cluster/health"
    " || curl -s -k -o /dev/null https://localhost:9200/_cluster/health",
)


def heap(ram: Quantity) -> Quantity:
    half = Quantity("50% of RAM", ram.value * HEAP_SHARE, "bytes", f"{ram.name} × 50%", ES_FACTS, (ram,))
    cap = given("heap cap", HEAP_CAP, "bytes", f"{ES_FACTS}: compressed oops")
    return smallest("heap", (half, cap), ES_FACTS)


def ram_for(heap: Quantity) -> Quantity:
    """The node RAM a heap needs: the heap is at most half of it (the rest is Lucene's file cache)."""
    return Quantity("node RAM for that heap", heap.value / HEAP_SHARE, "bytes", f"{heap.name} ÷ 50%", ES_FACTS, (heap,))


def size(inputs: ServiceInputs, profile: Profile) -> Sizing:
    chosen = baseline_memory(
        inputs, profile, DEFAULT_RAM, "composegen default (assumed): declare memory: or set roles.elasticsearch.memory"
    )
    floor = given("node floor", FLOOR, "bytes", "composegen floor (assumed)", "assumed")
    ram = largest("node RAM", (chosen, floor)) if chosen.value < FLOOR else chosen.renamed("node RAM")
    notes: list[str] = []
    if chosen.value < FLOOR:
        notes.append(f"{chosen.name} {chosen.show()} raised to the 1 GiB floor (assumed)")
    h = heap(ram)
    base = heap_from_base(inputs, ram, h, ram_for)
    ram, h = base.whole, base.heap
    if h.value > ZERO_BASED_OOPS:
        notes.append(
            "a heap above ~26 GB loses zero-based compressed oops (Elasticsearch manual, "
            "facts): more memory does not buy proportionally more heap"
        )
    mib = max(1, math.floor(h.value / MIB))
    repo = image_repository(inputs.base.image) or ""
    key = "OPENSEARCH_JAVA_OPTS" if "opensearch" in repo else "ES_JAVA_OPTS"
    value = f"-Xms{mib}m -Xmx{mib}m"
    env, env_notes = heap_env(inputs, base, key, value, "the image's start script passes it to the JVM")
    environment: tuple[EnvSetting, ...] = env
    notes += env_notes
    notes.append(
        "production mode needs vm.max_map_count ≥ 262144 on the host (Elasticsearch bootstrap check; not in facts)"
    )
    return Sizing(
        memory=limit_with_mounts(with_margin(ram, profile), ()),
        startup=startup_time(inputs, profile, DEFAULT_STARTUP, "composegen default (assumed)"),
        cpus=baseline_cpus(inputs, profile),
        environment=environment,
        healthcheck_test=HEALTHCHECK,
        hardening=False,  # writes its keystore under config/ at start: a read-only root breaks it
        extra={"node RAM": ram, "heap": h},
        notes=tuple(notes),
        base_notes=base.notes,
    )
