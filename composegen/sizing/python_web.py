"""Python web services (gunicorn, uvicorn): workers from the CPU limit, memory per worker."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from composegen.sizing.common import FACTS_SIZING, baseline_cpus, declared_memory, with_margin
from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.pytest_runner import collection_time
from composegen.sizing.quantity import Quantity, given, times, total
from composegen.sizing.result import EnvSetting, Sizing
from composegen.units import MIB

if TYPE_CHECKING:
    from composegen.profiles.models import Profile

BENCH = "measured: bench/accuracy (docs/sizing.md §Measured)"
#: One gunicorn worker of a small Flask JSON app, and the arbiter, which does not import the app
#: unless --preload: 38-40 MiB for 1 worker, 91-99 MiB for 4 in a memory cgroup (arbiter ~20 MiB,
#: 17-20 MiB per worker), rounded up to 24 and 20 MiB. An app with heavier imports (an ORM,
#: pandas) needs `memory_per_worker:` declared, or `composegen calibrate`.
DEFAULT_WORKER_MEMORY = 20 * MIB
ARBITER = 24 * MIB
DEFAULT_STARTUP = 10.0


def worker_count(inputs: ServiceInputs, cpus: Quantity) -> Quantity:
    """Declared workers, else WEB_CONCURRENCY from the base, else (2 × cores) + 1 of the CPU limit.

    gunicorn's docs suggest (2 × cores) + 1, counting the container's CPU limit, not the host's
    cores (facts/sizing.md §Web workers).
    """
    if inputs.spec.workers is not None:
        return given("workers", inputs.spec.workers, "count", f"composegen.yaml: services.{inputs.name}.workers")
    concurrency = inputs.base.environment.get("WEB_CONCURRENCY", "")
    # a count, and a sane one: `isdigit` takes "²", and a 400-digit count overflowed the float sums
    if concurrency.isascii() and concurrency.isdigit() and 0 < int(concurrency) <= 2**53:
        return given("workers", int(concurrency), "count", "WEB_CONCURRENCY in the base compose file")
    value = math.floor(2 * cpus.value) + 1
    return Quantity(
        "workers", value, "count", f"(2 × {cpus.name}) + 1, whole", f"{FACTS_SIZING} §Web workers (gunicorn)", (cpus,)
    )


def per_worker_memory(
    inputs: ServiceInputs,
    profile: Profile,
    default: int = DEFAULT_WORKER_MEMORY,
    default_source: str = f"{BENCH}: a small Flask app (declare memory_per_worker: for a heavier one)",
) -> Quantity:
    if inputs.spec.memory_per_worker is not None:
        return given(
            "memory per worker",
            inputs.spec.memory_per_worker,
            "bytes",
            f"composegen.yaml: services.{inputs.name}.memory_per_worker",
        )
    chosen = profile.role(inputs.role).memory
    if chosen is not None:
        return given("memory per worker", chosen, "bytes", f"profile {profile.name}: roles.{inputs.role}.memory")
    return given("memory per worker", default, "bytes", default_source)


def processes_memory(inputs: ServiceInputs, profile: Profile, workers: Quantity) -> Quantity:
    """The gunicorn arbiter + workers × memory per worker, or the declared working set.

    The arbiter imports the app only with --preload; then it is counted as one more worker.
    """
    declared = declared_memory(inputs)
    if declared is not None:
        return declared
    per_worker = per_worker_memory(inputs, profile)
    if inputs.spec.preload:
        arbiter = per_worker.renamed("arbiter (--preload: it imports the app)")
    else:
        arbiter = given("gunicorn arbiter (without the app)", ARBITER, "bytes", BENCH)
    return total("working set", (arbiter, times("workers × memory per worker", workers, per_worker)))


def size(inputs: ServiceInputs, profile: Profile) -> Sizing:
    cpus = baseline_cpus(inputs, profile)
    workers = worker_count(inputs, cpus)
    memory = processes_memory(inputs, profile, workers)
    n = int(workers.value)
    timeout = int(profile.ml.gunicorn_timeout) if inputs.models else 30
    args = [f"--workers={n}", f"--timeout={timeout}"]
    if profile.ml.max_requests:
        args += [f"--max-requests={profile.ml.max_requests}", f"--max-requests-jitter={profile.ml.max_requests_jitter}"]
    if inputs.spec.preload:
        args.append("--preload")
    env = [
        EnvSetting("WEB_CONCURRENCY", str(n), workers),
        EnvSetting(
            "GUNICORN_CMD_ARGS", " ".join(args), workers, "gunicorn reads it; flags on the command line still win"
        ),
    ]
    extra = {"workers": workers}
    pool = agent_pool(inputs, profile, workers)
    if pool is not None:
        env.append(
            EnvSetting(
                "POOL_SIZE_PER_WORKER",
                str(int(pool.value)),
                pool,
                "connections each worker must accept or hold for the stack's agents",
            )
        )
        extra["connection pool per worker"] = pool
    return Sizing(
        memory=with_margin(memory, profile),
        startup=collection_time(inputs, profile, DEFAULT_STARTUP),
        cpus=cpus,
        environment=tuple(env),
        extra=extra,
    )


def agent_pool(inputs: ServiceInputs, profile: Profile, workers: Quantity) -> Quantity | None:
    """Connections per worker for a service the stack's load-test agents connect to.

    ceil(agents × connections per agent ÷ workers): a gateway in front of 500 agents with 4
    workers needs a pool of 125 per worker, not a library's default of 10.
    """
    if not inputs.stack_agents or not profile.agents.connections_per_agent:
        return None
    agents = given("agents in the stack", inputs.stack_agents, "count", "composegen.yaml: services.*.agents")
    per_agent = given(
        "connections per agent",
        profile.agents.connections_per_agent,
        "count",
        f"profile {profile.name}: agents.connections_per_agent",
    )
    connections = times("connections", agents, per_agent, unit="count")
    value = math.ceil(connections.value / workers.value)
    return Quantity(
        "connection pool per worker", value, "count", "ceil(connections ÷ workers)", "", (connections, workers)
    )
