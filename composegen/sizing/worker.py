"""Python background workers (celery, rq, dramatiq): concurrency from the CPU limit, not the host.

Celery's prefork pool defaults to os.cpu_count(), which inside a container is the host's core
count: a 256M worker on a 32-core host forks 32 children and is OOM-killed. composegen sizes for
an explicit concurrency and says so.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from composegen.sizing import runs
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


#: celery pools that run the tasks inside the main process (threads or green threads): one process.
SINGLE_PROCESS_POOLS = frozenset({"solo", "threads", "gevent", "eventlet"})


def concurrency_choice(inputs: ServiceInputs, cpus: Quantity) -> runs.Chosen:
    """Declared workers, else what the base's celery command runs (--autoscale's maximum over
    --concurrency: the pool grows to it), else one process per core of the CPU limit."""
    declared = (
        given("concurrency", inputs.spec.workers, "count", f"composegen.yaml: services.{inputs.name}.workers")
        if inputs.spec.workers is not None
        else None
    )
    found = runs.fact(inputs, "autoscale_max", "celery", most=runs.MOST_COUNT) or runs.fact(
        inputs, "concurrency", "celery", most=runs.MOST_COUNT
    )
    choice = runs.chosen_setting(inputs, found, "concurrency", "count", declared, default_concurrency(cpus))
    if found is None:
        ignored = runs.ignored(inputs, "autoscale_max", "celery") + runs.ignored(inputs, "concurrency", "celery")
        return choice._replace(notes=ignored)
    return choice


def on_command(inputs: ServiceInputs) -> bool:
    """Whether the celery command line sets the concurrency (usable or not): it wins over any setting."""
    facts = inputs.facts
    if facts is None:
        return False
    written = (*facts.all("concurrency", "celery"), *facts.all("autoscale_max", "celery"))
    return any(f.via in runs.COMMAND_VIAS for f in written)


def concurrency(inputs: ServiceInputs, cpus: Quantity) -> Quantity:
    """The concurrency the worker is sized for (see concurrency_choice)."""
    return concurrency_choice(inputs, cpus).quantity


def default_concurrency(cpus: Quantity) -> Quantity:
    """One process per core of the CPU limit (at least one)."""
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
    """(concurrency + 1 main process) × memory per process: celery's main process imports the app
    too; a pool that runs tasks in threads (`-P threads`, gevent, eventlet, solo) is one process."""
    per_process = per_worker_memory(
        inputs,
        profile,
        DEFAULT_PROCESS_MEMORY,
        "composegen default, assumed (declare memory_per_worker: to replace it)",
        "assumed",
    )
    pool = runs.fact(inputs, "pool", "celery")
    if pool is not None and str(pool.value) in SINGLE_PROCESS_POOLS:
        one = runs.fact_quantity(f"processes (pool {pool.value}: tasks run in the main process)", pool, "count")
        count = Quantity(one.name, 1, "count", "", one.source, (), one.kind)
        return times("working set", count, per_process)
    count = Quantity("processes", procs.value + 1, "count", "concurrency + 1 main process", "", (procs,))
    return times("working set", count, per_process)


def size(inputs: ServiceInputs, profile: Profile) -> Sizing:
    cpus = baseline_cpus(inputs, profile)
    choice = concurrency_choice(inputs, cpus)
    procs = choice.quantity
    memory = declared_memory(inputs) or processes(inputs, profile, procs)
    n = str(int(procs.value))
    environment: tuple[EnvSetting, ...] = ()
    if not on_command(inputs) and (choice.fact is None or runs.overridable(choice.fact)):
        environment = (
            EnvSetting(
                "CELERY_WORKER_CONCURRENCY",
                n,
                procs,
                "read by settings that load CELERY_* (config_from_object namespace); otherwise pass --concurrency",
            ),
        )
        note = (
            f"the worker is sized for {n} processes: make sure its command runs that many "
            f"(celery: --concurrency={n}); celery's default is the host's core count"
        )
    else:  # the command line wins over any setting: writing one would say what does not run
        shown = f" ({runs.origin_text(choice.fact)})" if choice.fact is not None else ""
        note = (
            f"the worker is sized for {n} processes; its command sets the concurrency{shown}, so no "
            "CELERY_WORKER_CONCURRENCY: the command line wins over it"
        )
    return Sizing(
        memory=with_margin(memory, profile),
        startup=collection_time(inputs, profile, DEFAULT_STARTUP),
        cpus=cpus,
        environment=environment,
        extra={"concurrency": procs},
        notes=(note,),
        base_notes=choice.notes,
    )
