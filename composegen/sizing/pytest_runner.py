"""A pytest runner: memory and time for collecting the suite, then running it.

Test stacks are OOM-killed during collection and restart 3-5 times a run when healthchecks give
up before collection ends. The memory constants are measured by bench/accuracy: pytest collecting
and running a generated suite peaked at 44-48 MiB with 1,000 tests and 100-101 MiB with 10,000
(about 42 MiB + 6 KiB per test), rounded up to 48 MiB + 7 KiB per test. The base
is pytest alone: a suite that imports a heavy app (an ORM, pandas) needs `memory:` declared. The
time constants are still composegen's assumptions; declare `startup:` to replace them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from composegen.sizing import runs
from composegen.sizing.common import baseline_cpus, baseline_memory, startup_time, with_margin
from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.quantity import Quantity, given, times, total
from composegen.sizing.result import Sizing
from composegen.units import KIB, MIB

if TYPE_CHECKING:
    from composegen.profiles.models import Profile

BASE_MEMORY = 48 * MIB  # interpreter and pytest (measured: bench/accuracy)
PER_TEST_MEMORY = 7 * KIB  # a collected item, its report and parametrize id (measured: bench/accuracy)
PER_TEST_SECONDS = 0.002  # collection time per test: assumed
BASE_STARTUP = 10.0  # imports before collection starts: assumed
ASSUMED = "composegen default, assumed until measured (declare startup: to replace it)"
MEASURED = "measured: bench/accuracy (docs/sizing.md §Measured); declare memory: for a suite with heavy imports"


def xdist_workers(inputs: ServiceInputs, profile: Profile) -> Quantity | None:
    """pytest-xdist's workers: declared `workers:`, else the base's `pytest -n N` (`-n auto`
    starts one per core the container sees, the host's: counted as the host's cpus where
    composegen.yaml gives them, else the CPU limit, assumed); None for one process."""
    if inputs.spec.workers:
        return given("xdist workers", inputs.spec.workers, "count", f"composegen.yaml: services.{inputs.name}.workers")
    found = runs.fact(inputs, "workers", "pytest", most=runs.MOST_COUNT)
    if found is None:
        return None
    if isinstance(found.value, int):
        return runs.fact_quantity("xdist workers", found, "count")
    where = runs.origin_text(found)
    if inputs.host is not None:
        return given("xdist workers", inputs.host.cpus, "count", f"host cpus (composegen.yaml: host.cpus) for {where}")
    cpus = baseline_cpus(inputs, profile)
    return given(
        "xdist workers",
        max(1, math.ceil(cpus.value)),
        "count",
        f"one per core of the CPU limit for {where}, assumed: xdist counts the host's cores (declare workers:)",
        kind="assumed",
    )


def collection_memory(inputs: ServiceInputs, profile: Profile) -> Quantity:
    base = baseline_memory(inputs, profile, BASE_MEMORY, MEASURED)
    if inputs.spec.memory is not None:
        return base
    one = base
    if inputs.spec.tests:
        tests = given("tests", inputs.spec.tests, "count", f"composegen.yaml: services.{inputs.name}.tests")
        per_test = given("memory per collected test", PER_TEST_MEMORY, "bytes", MEASURED)
        one = total("one pytest process", (base, times("collected tests", tests, per_test)))
    workers = xdist_workers(inputs, profile)
    if workers is not None and workers.value > 1 and (inputs.spec.tests or inputs.spec.workers is None):
        # pytest-xdist: every worker collects the whole suite in its own process
        processes = Quantity(
            "pytest processes",
            workers.value + 1,
            "count",
            f"{workers.name} + 1 controller (pytest-xdist)",
            "",
            (workers,),
        )
        return times("working set", processes, one)
    return one.renamed("working set") if inputs.spec.tests else one


def collection_time(inputs: ServiceInputs, profile: Profile, base_seconds: float = BASE_STARTUP) -> Quantity:
    """Startup plus collecting `tests` tests: what a healthcheck's start_period must cover."""
    base = startup_time(inputs, profile, base_seconds, ASSUMED)
    if inputs.spec.startup is not None or not inputs.spec.tests:
        return base
    tests = given("tests", inputs.spec.tests, "count", f"composegen.yaml: services.{inputs.name}.tests")
    per_test = given("collection per test", PER_TEST_SECONDS, "seconds", ASSUMED, "assumed")
    start = base.renamed("start before collection")
    return total("startup", (start, times("collection", tests, per_test, unit="seconds")))


def size(inputs: ServiceInputs, profile: Profile) -> Sizing:
    return Sizing(
        memory=with_margin(collection_memory(inputs, profile), profile),
        startup=collection_time(inputs, profile),
        cpus=baseline_cpus(inputs, profile),
    )
