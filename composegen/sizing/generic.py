"""Generic: a service composegen has no calculator for. Every number is a named default."""

from __future__ import annotations

from typing import TYPE_CHECKING

from composegen.sizing.common import baseline_cpus, baseline_memory, startup_time, with_margin
from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.result import Sizing
from composegen.units import MIB

if TYPE_CHECKING:
    from composegen.profiles.models import Profile

#: composegen's own default for a process it knows nothing about: not a measurement. Declare
#: `memory:` for the service in composegen.yaml (or run calibrate) to replace it.
DEFAULT_MEMORY = 256 * MIB
DEFAULT_STARTUP = 30.0


def size(inputs: ServiceInputs, profile: Profile) -> Sizing:
    memory = baseline_memory(
        inputs, profile, DEFAULT_MEMORY, "composegen default for an unknown workload (declare memory: to replace it)"
    )
    notes: tuple[str, ...] = ()
    if inputs.spec.memory is None and profile.role("generic").memory is None:
        notes = (
            "memory is composegen's default for an unknown workload: declare `memory:` "
            "in composegen.yaml for a real number",
        )
    return Sizing(
        memory=with_margin(memory, profile),
        startup=startup_time(inputs, profile, DEFAULT_STARTUP, "composegen default"),
        cpus=baseline_cpus(inputs, profile),
        notes=notes,
    )
