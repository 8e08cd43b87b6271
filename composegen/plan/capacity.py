"""The capacity plan: what a stack takes (limits, reservations, cpus per service and in all), how
many hosts of a size it needs and which replicas go where, a gradual scale-up schedule for its
agents, and what Docker Desktop must be given.

Every number comes from the calculators (`composegen.sizing.plan.plan_stack`): this module only
adds them up and packs them. The packing uses the limits, not the reservations: a host that holds
the limits of everything on it never runs out of memory under full load (the reservations only
say what a scheduler needs free to start a replica; both totals are shown).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from composegen.errors import InputError
from composegen.profiles.models import AgentTier, HostSpec, Profile
from composegen.sizing.hosts import (
    HOST_PER_CONTAINER,
    Host,
    ServiceTotals,
    host_from_project,
    packed,
    per_container,
    service_totals,
)
from composegen.sizing.measured import Measurements, StressFinding
from composegen.sizing.model import ServiceInputs, StackPlan
from composegen.sizing.packing import Bin
from composegen.sizing.plan import host_fit, plan_stack
from composegen.sizing.quantity import Quantity, given, rounded_up, times, total
from composegen.units import GIB, format_bytes, format_cpus, parse_bytes, parse_cpus

#: The most steps a schedule lists; a smaller step is widened to keep it readable.
MAX_STEPS = 20
_HOST = re.compile(r"^\s*([^/\s]+)\s*/\s*([^/\s+]+)\s*(?:/\s*([^/\s+]+)\s*)?(?:\+\s*(\d+)\s*gpus?\s*)?$")


@dataclass(frozen=True)
class Carried:
    """How many agents of one agent service a host of a size carries, the rest of the stack beside."""

    host: Host
    service: str
    replicas: int
    agents: int
    bound: str  # what runs out first: memory or cpus


def parse_host(text: str, default_reserve: Quantity) -> Host:
    """`MEMORY/CPUS[/RESERVE]`, e.g. `64g/16` or `64g/16/4g`; the reserve defaults to composegen.yaml's."""
    match = _HOST.match(text)
    if match is None:
        raise InputError(
            f"--host {text!r} is not MEMORY/CPUS", fix="write it like 64g/16, or 64g/16/4g with the host's own reserve"
        )
    memory_text, cpus_text, reserve_text, gpus_text = match.groups()
    memory = parse_bytes(memory_text, what="--host memory")
    cpus = parse_cpus(cpus_text, what="--host cpus")
    reserve = (
        given("host reserve", parse_bytes(reserve_text, what="--host reserve"), "bytes", f"--host {text}")
        if reserve_text
        else default_reserve
    )
    if cpus <= 0 or memory <= reserve.value:
        raise InputError(
            f"--host {text!r} leaves nothing for containers (memory {format_bytes(memory)}, "
            f"reserve {format_bytes(reserve.value)}, {format_cpus(cpus)} cpus)",
            fix="give more memory than the reserve and at least some cpus",
        )
    gpus = int(gpus_text) if gpus_text else 0
    label = f"{format_bytes(memory)}/{format_cpus(cpus)}" + (f"+{gpus}gpu" if gpus else "")
    return Host(
        label,
        given("host memory", memory, "bytes", f"--host {text}"),
        given("host cpus", cpus, "cpus", f"--host {text}"),
        reserve,
        gpus,
    )


def default_reserve(spec: HostSpec | None, source: Callable[[str], str] | None = None) -> Quantity:
    """The reserve of a --host that gives none: composegen.yaml's host.reserve, else the default."""
    if spec is not None:
        return given("host reserve", spec.reserve, "bytes", (source or spec.source)("reserve"), spec.kind("reserve"))
    reserve = HostSpec.model_fields["reserve"].default
    return given("host reserve", reserve, "bytes", "composegen's default: composegen.yaml has no host", "default")


def parse_per_agent(text: str) -> tuple[int, float]:
    """`--per-agent 128m/0.1`: memory and cpus of one agent."""
    match = _HOST.match(text)
    if match is None or match.group(3) is not None or match.group(4) is not None:
        raise InputError(f"--per-agent {text!r} is not MEMORY/CPUS", fix="write it like 128m/0.1")
    memory = parse_bytes(match.group(1), what="--per-agent memory")
    cpus = parse_cpus(match.group(2), what="--per-agent cpus")
    if memory <= 0 or cpus <= 0:
        raise InputError(f"--per-agent {text!r} must give some memory and cpus", fix="write it like 128m/0.1")
    return memory, cpus


def with_per_agent(profile: Profile, text: str) -> Profile:
    """The profile with one agent tier for every count: the memory and cpus of `--per-agent`.
    Its name says so, and every derivation that cites the tier shows it."""
    memory, cpus = parse_per_agent(text)
    agents = profile.agents.model_copy(update={"tiers": (AgentTier(up_to=None, memory=memory, cpus=cpus),)})
    return profile.model_copy(update={"agents": agents, "name": f"{profile.name} --per-agent {text}"})


def with_agents(inputs: Sequence[ServiceInputs], agents: int | None) -> tuple[ServiceInputs, ...]:
    """The inputs with every agent service running `agents` agents (None: as composegen.yaml says);
    the other services see the new total (their connection pools follow it)."""
    if agents is None:
        return tuple(inputs)
    specs = {i.name: (i.spec.model_copy(update={"agents": agents}) if i.role == "agent" else i.spec) for i in inputs}
    stack_agents = sum(s.agents or 0 for s in specs.values())
    return tuple(i._replace(spec=specs[i.name], stack_agents=0 if i.role == "agent" else stack_agents) for i in inputs)


@dataclass(frozen=True)
class Step:
    """One step of the scale-up schedule."""

    agents: int
    replicas: int
    memory_limits: float
    memory_reservations: float
    cpus: float
    hosts: int


@dataclass(frozen=True)
class CapacityPlan:
    profile: str  # the profile's name (with `--per-agent ...` when overridden)
    profile_ref: str  # as given to --profile
    stack: StackPlan
    services: tuple[ServiceTotals, ...]
    memory_limits: Quantity
    memory_reservations: Quantity
    cpus: Quantity
    cpu_reservations: Quantity  # what the Swarm target reserves (reservations.cpus): compose has none
    tmpfs: Quantity
    processes: Quantity  # memory limits − tmpfs: what the processes themselves may use
    hosts: tuple[Host, ...]
    bins: tuple[Bin, ...]
    agents: int  # agents in the stack (0: none)
    step: Quantity | None
    schedule: tuple[Step, ...]
    desktop_memory: Quantity
    desktop_minimum: Quantity
    desktop_cpus: Quantity
    host_overhead: Quantity  # the host's own memory for every container (replicas × per_container())
    carried: tuple[Carried, ...] = ()
    notes: tuple[str, ...] = ()
    stress: StressFinding | None = None  # what `composegen stress` found, from --measurements

    @property
    def fits(self) -> bool:
        """Everything fits on the hosts given (no host had to be added)."""
        return not any(b.extra for b in self.bins)

    @property
    def replicas(self) -> int:
        return sum(s.replicas for s in self.services)


@dataclass(frozen=True)
class PlanRequest:
    profile: str
    project: Path | None
    cwd: Path
    hosts: tuple[str, ...] = ()
    agents: int | None = None
    per_agent: str | None = None
    step: int | None = None
    measurements: Path | None = None


def reserved_gpus(inputs: Sequence[ServiceInputs], hosts: Sequence[Host]) -> dict[str, int]:
    """The GPUs each service reserves in compose (`count: all`: the GPUs of the largest GPU host)."""
    most = max((h.gpus for h in hosts), default=0) or 1
    return {i.name: i.base.gpus.gpus(most) for i in inputs if i.base.gpus is not None}


def carried(services: Sequence[ServiceTotals], hosts: Sequence[Host], agents: dict[str, int]) -> tuple[Carried, ...]:
    """For each host size and agent service: the most replicas (and agents) one host of that size
    carries beside one of every other replica of the stack, each replica counted at its memory
    limit plus the host's per-container cost, and at its cpus."""
    out: list[Carried] = []
    for host in hosts:
        for s in services:
            if s.plan.name not in agents or s.replicas <= 0:
                continue
            others = [o for o in services if o is not s]
            memory_left = host.for_containers.value - sum(
                o.replicas * (o.plan.memory_limit.value + HOST_PER_CONTAINER) for o in others
            )
            cpus_left = host.cpus.value - sum(o.cpus_total.value for o in others)
            by_memory = max(0, math.floor(memory_left / (s.plan.memory_limit.value + HOST_PER_CONTAINER)))
            by_cpus = max(0, math.floor(cpus_left / s.cpus.value + 1e-9)) if s.cpus.value > 0 else by_memory
            replicas = min(by_memory, by_cpus)
            per_replica = agents[s.plan.name] / s.replicas
            out.append(
                Carried(
                    host,
                    s.plan.name,
                    replicas,
                    math.floor(replicas * per_replica),
                    "memory" if by_memory <= by_cpus else "cpus",
                )
            )
    return tuple(out)


def _schedule(
    inputs: Sequence[ServiceInputs],
    profile: Profile,
    hosts: Sequence[Host],
    measurements: Measurements | None,
    agents: int,
    step: Quantity,
) -> tuple[Step, ...]:
    size = int(step.value)
    counts = [*range(size, agents, size), agents]
    steps = []
    for count in counts:
        stack = plan_stack(with_agents(inputs, count), profile, None, measurements=measurements)
        services = [service_totals(s) for s in stack.services]
        fit = host_fit(stack.services, None)
        steps.append(
            Step(
                agents=count,
                replicas=sum(s.replicas for s in services),
                memory_limits=fit.memory_limits.value,
                memory_reservations=fit.memory_reservations.value,
                cpus=math.fsum(s.cpus_total.value for s in services),
                hosts=len(packed(services, hosts)),
            )
        )
    return tuple(steps)


def _step(profile: Profile, requested: int | None, agents: int) -> Quantity:
    if requested is not None:
        chosen = given("step", requested, "count", "--step")
    else:
        chosen = given(
            "step", profile.agents.update_parallelism, "count", f"profile {profile.name}: agents.update_parallelism"
        )
    if agents / chosen.value <= MAX_STEPS:
        return chosen
    widened = math.ceil(agents / MAX_STEPS)
    return Quantity("step", widened, "count", f"ceil(agents ÷ {MAX_STEPS}): at most {MAX_STEPS} steps", "", (chosen,))


def build_plan(request: PlanRequest) -> CapacityPlan:
    """The capacity plan for `request` (see the module docstring)."""
    from composegen.render.overlay import plan as load_plan

    planned = load_plan(request.profile, request.project, request.cwd, None, request.measurements)
    measurements = planned.measurements  # read once, by the render plan
    profile = planned.profile.profile
    if request.per_agent is not None:
        profile = with_per_agent(profile, request.per_agent)
    agent_services = [i.name for i in planned.inputs if i.role == "agent"]
    if (request.agents is not None or request.per_agent is not None) and not agent_services:
        raise InputError(
            "the stack has no agent service, so --agents and --per-agent have nothing to change",
            fix="give a service `agents: N` in composegen.yaml",
        )
    inputs = with_agents(planned.inputs, request.agents)
    spec = planned.project.project.host
    if request.hosts:
        reserve = default_reserve(spec, planned.project.host_source)
        hosts = tuple(parse_host(text, reserve) for text in request.hosts)
    elif spec is not None:
        hosts = (host_from_project(spec, planned.project.host_source),)
    else:
        raise InputError("no host to plan for", fix="give one with --host 64g/16, or set host: in composegen.yaml")
    stack = plan_stack(inputs, profile, None, measurements=measurements)
    services = tuple(service_totals(s, profile) for s in stack.services)
    fit = host_fit(stack.services, None)
    cpus = total("sum of cpus", [s.cpus_total for s in services])
    cpu_reservations = total(
        "sum of cpu reservations", [s.cpu_reservation_total for s in services if s.cpu_reservation_total]
    )
    cpu_reservations = Quantity(  # an empty sum would read as bytes
        cpu_reservations.name, cpu_reservations.value, "cpus", cpu_reservations.formula, "", cpu_reservations.parts
    )
    tmpfs = total(
        "sum of tmpfs",
        [times(f"{s.plan.name} tmpfs", given("replicas", s.replicas, "count", ""), s.tmpfs) for s in services],
    )
    processes = Quantity(
        "memory for processes",
        fit.memory_limits.value - tmpfs.value,
        "bytes",
        "sum of memory limits − sum of tmpfs",
        "",
        (fit.memory_limits, tmpfs),
    )
    agents = sum(i.spec.agents or 0 for i in inputs if i.role == "agent")
    step = _step(profile, request.step, agents) if agents else None
    schedule = _schedule(inputs, profile, hosts, measurements, agents, step) if step is not None else ()
    reserve = hosts[0].reserve
    overhead = times(
        "host memory for the containers", given("replicas", sum(s.replicas for s in services), "count", ""),
        per_container(),
    )  # fmt: skip
    desktop = rounded_up(
        total(
            "Docker Desktop memory",
            [fit.memory_limits, overhead, reserve],
            "the stack's limits + the host's per-container cost + the host's own reserve",
        ),
        GIB,
        "GiB",
    )
    minimum = rounded_up(
        total(
            "Docker Desktop minimum",
            [fit.memory_reservations, overhead, reserve],
            "the reservations + the host's per-container cost + the host's reserve",
        ),
        GIB,
        "GiB",
    )
    agent_counts = {i.name: i.spec.agents or 0 for i in inputs if i.role == "agent"}
    notes = []
    if not agents:
        notes.append("no agent service: the stack starts all at once, there is no scale-up schedule")
    return CapacityPlan(
        profile=profile.name,
        profile_ref=request.profile,
        stack=stack,
        services=services,
        memory_limits=fit.memory_limits,
        memory_reservations=fit.memory_reservations,
        cpus=cpus,
        cpu_reservations=cpu_reservations,
        tmpfs=tmpfs,
        processes=processes,
        hosts=hosts,
        bins=packed(services, hosts, reserved_gpus(inputs, hosts)),
        agents=agents,
        step=step,
        schedule=schedule,
        desktop_memory=desktop.renamed("Docker Desktop memory"),
        desktop_minimum=minimum.renamed("Docker Desktop minimum"),
        desktop_cpus=rounded_up(cpus.renamed("Docker Desktop cpus"), 1, "core"),
        host_overhead=overhead,
        carried=carried(services, hosts, agent_counts),
        notes=tuple(notes),
        stress=measurements.stress if measurements is not None else None,
    )
