"""Generic: a service composegen has no calculator for. Every number is a named default."""

from __future__ import annotations

from typing import TYPE_CHECKING

from composegen.sizing import runs
from composegen.sizing.common import baseline_cpus, baseline_memory, startup_time, with_margin
from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.quantity import Quantity, given, times, total
from composegen.sizing.result import Sizing
from composegen.units import MIB

if TYPE_CHECKING:
    from composegen.facts import Fact
    from composegen.profiles.models import Profile

#: composegen's own default for a process it knows nothing about: not a measurement. Declare
#: `memory:` for the service in composegen.yaml (or run calibrate) to replace it.
DEFAULT_MEMORY = 256 * MIB
DEFAULT_STARTUP = 30.0
#: Node beside its old space (young generation, code, buffers): composegen's assumption.
NODE_OVERHEAD = 0.25
#: Go beside GOMEMLIMIT, which the runtime keeps its own memory under: the GC guide's advice to
#: leave 5-10% of the limit to what the runtime does not count; composegen takes 10% (assumed).
GO_HEADROOM = 0.9


def heap_needs(inputs: ServiceInputs) -> tuple[Quantity, Fact] | None:
    """What a runtime the base caps needs in all: a JVM's -Xmx plus its fixed regions, Node's
    --max-old-space-size plus a quarter, Go's GOMEMLIMIT plus a tenth; None when none is set."""
    found = runs.fact(inputs, "heap_max", "jvm")
    if found is not None:
        from composegen.sizing.jvm import PAKETO, fixed_regions  # lazy: only for a capped JVM

        heap = runs.fact_quantity("heap", found, "bytes")
        return total("heap + fixed regions", (heap, *fixed_regions(None, "JVM total")), PAKETO), found
    found = runs.fact(inputs, "max_old_space", "node")
    if found is not None:
        old = runs.fact_quantity("old space", found, "bytes")
        share = given(
            "young generation, code and buffers", 1 + NODE_OVERHEAD, "ratio", "composegen (assumed)", "assumed"
        )
        return times("old space and the rest", old, share, unit="bytes"), found
    found = runs.fact(inputs, "memory_limit", "go")
    if found is not None:
        limit = runs.fact_quantity("GOMEMLIMIT", found, "bytes")
        room = given("GOMEMLIMIT share", GO_HEADROOM, "ratio", "Go GC guide: leave 5-10% (assumed 10%)", "assumed")
        needed = Quantity(
            "GOMEMLIMIT and the rest", limit.value / room.value, "bytes", "GOMEMLIMIT ÷ share", "", (limit, room)
        )
        return needed, found
    return None


def size(inputs: ServiceInputs, profile: Profile) -> Sizing:
    memory = baseline_memory(
        inputs,
        profile,
        DEFAULT_MEMORY,
        "composegen default for an unknown workload (declare memory: to replace it)",
        "default",
    )
    notes: tuple[str, ...] = ()
    base_notes: tuple[str, ...] = ()
    capped = heap_needs(inputs)
    if capped is not None:
        needed, found = capped
        memory, base_notes = runs.at_least(memory.name, memory, needed, found, f"{found.program} {found.setting}")
    if inputs.spec.memory is None and profile.role("generic").memory is None:
        notes = (
            "memory is composegen's default for an unknown workload: declare `memory:` "
            "in composegen.yaml for a real number",
        )
    return Sizing(
        memory=with_margin(memory, profile),
        startup=startup_time(inputs, profile, DEFAULT_STARTUP, "composegen default", "default"),
        cpus=baseline_cpus(inputs, profile),
        notes=notes,
        base_notes=base_notes,
    )
