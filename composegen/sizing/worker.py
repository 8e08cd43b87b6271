"""Python background workers (celery, rq, dramatiq): concurrency from the CPU limit, not the host.

Celery's prefork pool defaults to os.cpu_count(), which inside a container is the host's core
count: a 256M worker on a 32-core host forks 32 children and is OOM-killed. composegen sizes for
an explicit concurrency and says so.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from composegen.sizing.common import baseline_cpus, declared_memory, with_margin
from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.pytest_runner import collection_time
from composegen.sizing.python_web import per_worker_memory
from composegen.sizing.quantity import Quantity, given, times
from composegen.sizing.result import EnvSetting, Sizing
from composegen.units import MIB

if TYPE_CHECKING:
    from composegen.profiles.models import Profile

DEFAULT_STARTUP = 15.0
#: One prefork process of a celery app: composegen's assumption, not measured (the main process
#: imports the app too). Declare `memory_per_worker:` for a real number.
DEFAULT_PROCESS_MEMORY = 128 * MIB


def concurrency(inputs: ServiceInputs, cpus: Quantity) -> Quantity:
    """Declared workers, else one process per core of the CPU limit (at least one)."""
    if inputs.spec.workers is not None:
        return given("concurrency", inputs.spec.workers, "count", f"composegen.yaml: services.{inputs.name}.workers")
    value = max(1, math.ceil(cpus.value))
    return Quantity(
        "concurrency",
        value,
        "count",
        f"one process per core of {cpus.name}, at least 1",
        "celery's prefork default, counted on the CPU limit instead of the host",
        (cpus,),
    )


def processes(inputs: ServiceInputs, profile: Profile, procs: Quantity) -> Quantity:
    """(concurrency + 1 main process) × memory per process: celery's main process imports the app too."""
    per_process = per_worker_memory(
        inputs,
        profile,
        DEFAULT_PROCESS_MEMORY,
        "composegen default, assumed (declare memory_per_worker: to replace it)",
    )
    count = Quantity("processes", procs.value + 1, "count", "concurrency + 1 main process", "", (procs,))
    return times("working set", count, per_process)


def size(inputs: ServiceInputs, profile: Profile) -> Sizing:
    cpus = baseline_cpus(inputs, profile)
    procs = concurrency(inputs, cpus)
    memory = declared_memory(inputs) or processes(inputs, profile, procs)
    n = str(int(procs.value))
    return Sizing(
        memory=with_margin(memory, profile),
        startup=collection_time(inputs, profile, DEFAULT_STARTUP),
        cpus=cpus,
        environment=(
            EnvSetting(
                "CELERY_WORKER_CONCURRENCY",
                n,
                procs,
                "read by settings that load CELERY_* (config_from_object namespace); otherwise pass --concurrency",
            ),
        ),
        extra={"concurrency": procs},
        notes=(
            f"the worker is sized for {n} processes: make sure its command runs that many "
            f"(celery: --concurrency={n}); celery's default is the host's core count",
        ),
    )
