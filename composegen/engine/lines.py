"""The lines a stress ramp or a gradual scale must stay under, and the judgement of one step against
them. Pure.

A step is judged on its settled usage (each container's mean over the second half of the settle
window, not one sample) and on what happened during it:
- an OOM kill (an `oom` event, or State.OOMKilled) or a restart of any container of the stack;
- a service that did not become healthy (`up --wait` failed);
- a container's memory working set above `memory` × its memory limit (the profile's critical
  line, 90 % by default: awesome-prometheus-alerts' working-set-of-limit alert, facts/sizing.md
  §Leaks and OOM);
- a container's CPU above `cpu` × its CPU limit, the line scaled by the limit: 90 % of 1.5 cores
  is 1.35 cores (135 % in `docker stats` terms);
- the stack's summed working set above `host_memory` × the host memory budget, or its summed CPU
  above `host_cpu` × the host's cores.
A container without a memory (CPU) limit has no memory (CPU) line of its own: the host line
covers it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from composegen.errors import InputError
from composegen.units import human_bytes

#: The default lines: the critical line of the profile's monitoring block (prod, agent-scale: 90 %).
DEFAULT_LINE = 0.9

#: The order in which breaches are named when several happen in one step: what the kernel or
#: compose did first, then a container's own lines, then the host's.
KIND_ORDER = ("oom", "restart", "unhealthy", "memory", "cpu", "host memory", "host cpu")


@dataclass(frozen=True)
class Lines:
    """Each line as a share: of a container's limits, and of the host budget."""

    memory: float = DEFAULT_LINE
    cpu: float = DEFAULT_LINE
    host_memory: float = DEFAULT_LINE
    host_cpu: float = DEFAULT_LINE

    def as_json(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class LineOptions:
    """What the command line says of the budget and the lines (None: the default)."""

    host_memory: float | None = None  # bytes the stack may use
    host_cpus: float | None = None
    memory_line: float | None = None
    cpu_line: float | None = None
    host_line: float | None = None

    def check(self) -> None:
        shares = (("--memory-line", self.memory_line), ("--cpu-line", self.cpu_line), ("--host-line", self.host_line))
        for flag, value in shares:
            if value is not None and not 0 < value <= 1:
                raise InputError(f"{flag} {value:g} is outside (0, 1]", fix="give a share such as 0.9")
        for flag, value in (("--host-memory", self.host_memory), ("--host-cpus", self.host_cpus)):
            if value is not None and value <= 0:
                raise InputError(f"{flag} must be above 0", fix="give what the stack may use, e.g. 6g or 4")


@dataclass(frozen=True)
class HostBudget:
    """What the stack may use of the host: memory in bytes, cores, and where each came from."""

    memory: float | None
    cpus: float | None
    memory_source: str
    cpus_source: str = ""

    @property
    def source(self) -> str:
        both = [s for s in dict.fromkeys((self.memory_source, self.cpus_source)) if s]
        return ", ".join(both) or "no host budget"

    def as_json(self) -> dict[str, Any]:
        return {"memory": self.memory, "cpus": self.cpus, "source": self.source}


@dataclass(frozen=True)
class Usage:
    """One container's settled usage in one step."""

    container: str
    service: str
    working_set: float  # bytes, mean over the settled samples
    cpu: float | None  # cores, mean; None without two readings
    memory_limit: float | None  # bytes; None: unlimited
    cpu_limit: float | None  # cores; None: unlimited
    samples: int

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Breach:
    """One line crossed (or one event) in a step."""

    kind: str  # one of KIND_ORDER
    container: str | None  # None for the host lines
    service: str | None
    value: float  # bytes, cores, or a count for the events
    line: float
    message: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _cores(value: float) -> str:
    return f"{value:.2f} cores ({value * 100:.0f}%)"


def _over(kind: str, value: float, line: float, container: Usage | None, message: str) -> list[Breach]:
    """[the breach] when `value` is above `line`, else []."""
    if value <= line:
        return []
    name, service = (container.container, container.service) if container else (None, None)
    return [Breach(kind, name, service, value, line, message)]


def container_breaches(usages: Iterable[Usage], lines: Lines) -> list[Breach]:
    """Containers above their own memory or CPU line."""
    out: list[Breach] = []
    for u in usages:
        if u.memory_limit:
            line = lines.memory * u.memory_limit
            text = (
                f"{u.container}: memory {human_bytes(u.working_set)} above {lines.memory:.0%} of its "
                f"{human_bytes(u.memory_limit)} limit ({human_bytes(line)})"
            )
            out += _over("memory", u.working_set, line, u, text)
        if u.cpu_limit and u.cpu is not None:
            line = lines.cpu * u.cpu_limit
            text = (
                f"{u.container}: CPU {_cores(u.cpu)} above {lines.cpu:.0%} of its {u.cpu_limit:g}-core limit "
                f"({_cores(line)})"
            )
            out += _over("cpu", u.cpu, line, u, text)
    return out


def stack_memory(usages: Iterable[Usage]) -> float:
    return sum(u.working_set for u in usages)


def stack_cpu(usages: Iterable[Usage]) -> float | None:
    """The stack's CPU in cores; None (unknown, never 0) when any container's CPU was not measured
    (CPU needs two readings of a container): a sum that leaves some out is no measurement. No
    container at all is 0: nothing was left unmeasured."""
    cpus = [u.cpu for u in usages]
    if any(c is None for c in cpus):
        return None
    return sum(c for c in cpus if c is not None)


def host_breaches(usages: Sequence[Usage], budget: HostBudget, lines: Lines) -> list[Breach]:
    """The stack's summed usage above the host lines."""
    out: list[Breach] = []
    memory, cpu = stack_memory(usages), stack_cpu(usages)
    if budget.memory:
        line = lines.host_memory * budget.memory
        text = (
            f"host: the stack's memory {human_bytes(memory)} above {lines.host_memory:.0%} of the "
            f"{human_bytes(budget.memory)} budget ({human_bytes(line)}; {budget.memory_source})"
        )
        out += _over("host memory", memory, line, None, text)
    if budget.cpus and cpu is not None:
        line = lines.host_cpu * budget.cpus
        text = (
            f"host: the stack's CPU {_cores(cpu)} above {lines.host_cpu:.0%} of {budget.cpus:g} cores "
            f"({_cores(line)}; {budget.cpus_source})"
        )
        out += _over("host cpu", cpu, line, None, text)
    return out


@dataclass(frozen=True)
class Events:
    """What happened to the stack's containers during a step."""

    oom_killed: Mapping[str, str]  # container -> service: an oom event or State.OOMKilled
    restarts: Mapping[str, tuple[str, int]]  # container -> (service, restarts during the step)
    unhealthy: str = ""  # why `up --wait` failed, when it did


def event_breaches(events: Events) -> list[Breach]:
    out = [
        Breach("oom", name, service, 1, 0, f"{name}: OOM-killed by the kernel")
        for name, service in sorted(events.oom_killed.items())
    ]
    out += [
        Breach("restart", name, service, count, 0, f"{name}: restarted {count}×")
        for name, (service, count) in sorted(events.restarts.items())
        if name not in events.oom_killed
    ]
    if events.unhealthy:
        out.append(Breach("unhealthy", None, None, 1, 0, f"not healthy: {events.unhealthy}"))
    return out


def judge(usages: Sequence[Usage], events: Events, budget: HostBudget, lines: Lines) -> tuple[Breach, ...]:
    """Every breach of a step, the one that stops the ramp first (KIND_ORDER, then the furthest
    over its line)."""
    found = [*event_breaches(events), *container_breaches(usages, lines), *host_breaches(usages, budget, lines)]

    def order(b: Breach) -> tuple[int, float]:
        over = b.value / b.line if b.line else 0.0
        return KIND_ORDER.index(b.kind), -over

    return tuple(sorted(found, key=order))


def share_of_line(usage: Usage, lines: Lines) -> float | None:
    """The highest share of its own lines a container uses (1.0: at a line); None without limits."""
    shares = []
    if usage.memory_limit:
        shares.append(usage.working_set / (lines.memory * usage.memory_limit))
    if usage.cpu_limit and usage.cpu is not None:
        shares.append(usage.cpu / (lines.cpu * usage.cpu_limit))
    return max(shares) if shares else None


def budget_from(
    memory: float | None,
    cpus: float | None,
    host: Any,
    engine_memory: float | None,
    engine_cpus: float | None,
    source: Callable[[str], str] | None = None,
) -> HostBudget:
    """The host budget: the flags, else composegen.yaml's `host` (memory − reserve, cpus, as the
    plan's host fit counts them), else what the engine reports (`docker info`: MemTotal, NCPU).
    `source(key)` says where host.KEY came from (LoadedProject.host_source: file:line or default)."""
    memory_source = cpus_source = ""
    where = source or (host.source if host is not None else str)
    if memory is not None:
        memory_source = "--host-memory"
    elif host is not None:
        reserve = f"reserve {human_bytes(host.reserve)} ({where('reserve')})"
        memory, memory_source = float(host.memory - host.reserve), f"{where('memory')} − {reserve}"
    elif engine_memory:
        memory, memory_source = float(engine_memory), "the engine's MemTotal"
    if cpus is not None:
        cpus_source = "--host-cpus"
    elif host is not None:
        cpus, cpus_source = float(host.cpus), where("cpus")
    elif engine_cpus:
        cpus, cpus_source = float(engine_cpus), "the engine's NCPU"
    return HostBudget(memory, cpus, memory_source, cpus_source)


def lines_from(
    monitoring_critical: float | None,
    memory: float | None = None,
    cpu: float | None = None,
    host: float | None = None,
) -> Lines:
    """The lines: the flags, else the profile's critical line (monitoring.critical), else 90 %."""
    default = monitoring_critical if monitoring_critical is not None else DEFAULT_LINE
    return Lines(
        memory=memory if memory is not None else default,
        cpu=cpu if cpu is not None else default,
        host_memory=host if host is not None else default,
        host_cpu=host if host is not None else default,
    )
