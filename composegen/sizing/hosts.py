"""Hosts and what a stack's services take of them: the pure part of the capacity plan that both
`composegen plan` (composegen.plan.capacity) and the Swarm target (placement.max_replicas_per_node,
and reservations.cpus) use. Every number comes from the calculators; this module adds them up and
packs them (composegen.sizing.packing)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from composegen.errors import InputError
from composegen.profiles.models import HostSpec, Profile
from composegen.sizing.model import ServicePlan
from composegen.sizing.packing import Bin, HostSize, Item, ReplicaTooLarge, nano_cpus, pack
from composegen.sizing.quantity import Quantity, given, rounded_up, smallest, times, total
from composegen.units import format_bytes, format_cpus

#: What the host pays for each container beyond the container's own memory cgroup: its
#: containerd-shim, its share of dockerd and containerd, and the kernel's slab, page tables and
#: stacks for it. Measured with busybox agents by bench/scale.py (docs/benchmarks.md, "Sampling at
#: agent scale": 5.8 MiB from none to 500 containers; issue 17 measured ≈ 5.5 MiB).
HOST_PER_CONTAINER = 5.8 * 1024 * 1024
HOST_PER_CONTAINER_SOURCE = (
    "containerd-shim, dockerd, containerd and kernel memory, measured by bench/scale.py (docs/benchmarks.md)"
)


@dataclass(frozen=True)
class Host:
    """A machine as the user named it: `64g/16` (memory/cpus) or `64g/16/4g` (with its reserve),
    `256g/32+4gpu` with its GPUs."""

    label: str
    memory: Quantity
    cpus: Quantity
    reserve: Quantity
    gpus: int = 0

    @property
    def for_containers(self) -> Quantity:
        return Quantity(
            "memory for containers",
            self.memory.value - self.reserve.value,
            "bytes",
            "host memory − host reserve",
            "",
            (self.memory, self.reserve),
        )

    def size(self) -> HostSize:
        return HostSize(self.label, int(self.for_containers.value), nano_cpus(self.cpus.value), self.gpus)


def per_container() -> Quantity:
    """The host's own memory for each container (HOST_PER_CONTAINER)."""
    return given("host memory per container", HOST_PER_CONTAINER, "bytes", HOST_PER_CONTAINER_SOURCE, "measured")


def host_from_project(spec: HostSpec, source: Callable[[str], str] | None = None) -> Host:
    """composegen.yaml's host; `source(key)` says where host.KEY came from (LoadedProject.host_source)."""
    where = source or spec.source
    memory = given("host memory", spec.memory, "bytes", where("memory"), spec.kind("memory"))
    cpus = given("host cpus", spec.cpus, "cpus", where("cpus"), spec.kind("cpus"))
    reserve = given("host reserve", spec.reserve, "bytes", where("reserve"), spec.kind("reserve"))
    gpus = spec.gpus.count if spec.gpus is not None else 0
    label = f"{format_bytes(spec.memory)}/{format_cpus(spec.cpus)}" + (f"+{gpus}gpu" if gpus else "")
    return Host(label, memory, cpus, reserve, gpus)


@dataclass(frozen=True)
class ServiceTotals:
    """One service: its replicas and what each takes, and the totals over its replicas."""

    plan: ServicePlan
    cpus: Quantity  # per replica (the limit; the calculator's estimate when the profile writes none)
    tmpfs: Quantity  # per replica: RAM-backed mounts, counted in the memory limit
    memory_total: Quantity
    reservation_total: Quantity | None
    cpus_total: Quantity
    cpu_reservation: Quantity | None = None  # per replica, as the Swarm target writes it
    cpu_reservation_total: Quantity | None = None

    @property
    def replicas(self) -> int:
        return self.plan.replicas


def service_totals(plan: ServicePlan, profile: Profile | None = None) -> ServiceTotals:
    """One service's totals; with `profile`, its CPU reservation too (Swarm's reservations.cpus)."""
    reps = given("replicas", plan.replicas, "count", f"plan of {plan.name}")
    cpu_reserved = cpu_reservation(plan, profile) if profile is not None else None
    cpus = plan.cpus or plan.sizing.cpus or given("cpus", 0, "cpus", "no cpus estimate")
    tmpfs = total(f"tmpfs of {plan.name}", [m.size for m in plan.tmpfs], "tmpfs pages count against the limit")
    reservation = plan.memory_reservation
    return ServiceTotals(
        plan=plan,
        cpus=cpus,
        tmpfs=tmpfs if plan.tmpfs else given(f"tmpfs of {plan.name}", 0, "bytes", "no tmpfs"),
        memory_total=times(f"{plan.name} memory limits", reps, plan.memory_limit),
        reservation_total=times(f"{plan.name} memory reservations", reps, reservation) if reservation else None,
        cpus_total=times(f"{plan.name} cpus", reps, cpus, unit="cpus"),
        cpu_reservation=cpu_reserved,
        cpu_reservation_total=times(f"{plan.name} cpu reservations", reps, cpu_reserved, unit="cpus")
        if cpu_reserved
        else None,
    )


def items_of(services: Sequence[ServiceTotals], gpus: Mapping[str, int] | None = None) -> list[Item]:
    """One item a replica: its memory limit and the host's own memory for its container, its cpus,
    and `gpus`: the GPUs each service reserves, by name."""
    return [
        Item(
            s.plan.name,
            n,
            int(s.plan.memory_limit.value + HOST_PER_CONTAINER),
            nano_cpus(s.cpus.value),
            (gpus or {}).get(s.plan.name, 0),
        )
        for s in services
        for n in range(1, s.replicas + 1)
    ]


def packed(
    services: Sequence[ServiceTotals], hosts: Sequence[Host], gpus: Mapping[str, int] | None = None
) -> tuple[Bin, ...]:
    """The replicas on the hosts; refuses, as one line, a replica larger than every host."""
    try:
        return pack(items_of(services, gpus), [h.size() for h in hosts])
    except ReplicaTooLarge as err:
        s = next(x for x in services if x.plan.name == err.item.service)
        sizes = ", ".join(
            f"{h.label} ({h.for_containers.show()} and {h.cpus.show()}"
            + (f", {h.gpus} GPUs" if err.item.gpus else "")
            + " for containers)"
            for h in hosts
        )
        needs = f" ({err.item.gpus} GPUs)" if err.item.gpus else ""
        raise InputError(
            f"one replica of {s.plan.name} needs {s.plan.memory_limit.show()} and {s.cpus.show()}{needs}, "
            f"more than any host has: {sizes}",
            fix=f"give a larger --host, or see why with `composegen explain --profile NAME {s.plan.name}`",
        ) from None


def cpu_reservation(plan: ServicePlan, profile: Profile) -> Quantity | None:
    ratio = profile.memory.reservation_ratio
    if plan.cpus is None or not ratio:
        return None
    if plan.cpu_reservation is not None:  # measured under load (calibrate), never above the limit
        measured = smallest("cpu reservation", (plan.cpu_reservation, plan.cpus.renamed("cpus limit")))
        return rounded_up(measured, 0.01, "hundredth of a core")
    source = f"profile {profile.name}: memory.reservation_ratio (the same share for CPU)"
    reserved = times("cpu reservation", plan.cpus, given("reservation ratio", ratio, "ratio", source), unit="cpus")
    return rounded_up(reserved, 0.01, "hundredth of a core")
