"""The capacity plan as text for people and as JSON for scripts (`composegen plan --format`)."""

from __future__ import annotations

from typing import Any

from composegen.plan.capacity import CapacityPlan
from composegen.sizing.hosts import Host
from composegen.sizing.packing import NANO, Bin
from composegen.sizing.quantity import Quantity, as_dict, show_value
from composegen.units import MIB, human_bytes


def _cores(nano: int) -> str:
    return show_value(nano / NANO, "cpus")


def _placement(b: Bin) -> str:
    return ", ".join(f"{name} ×{count}" for name, count in b.counts().items()) or "nothing"


def _verdict(plan: CapacityPlan) -> str:
    given = len(plan.hosts)
    needed = len(plan.bins)
    size = plan.hosts[-1].label
    if plan.fits:
        where = "one host" if given == 1 else f"the {given} hosts given"
        return f"fits: yes, on {where} ({needed} used)"
    if given == 1:
        return f"fits: no, one {size} host is not enough: it needs {needed} hosts of {size}"
    return f"fits: no, the {given} hosts given are not enough: it needs {needed - given} more of {size}"


def text(plan: CapacityPlan) -> str:
    lines = [
        f"capacity plan: profile {plan.profile}, {len(plan.services)} services, {plan.replicas} replicas",
        "",
        f"  {'service':<22} {'replicas':>8} {'limit':>10} {'reserve':>10} {'cpus':>6}"
        f"   {'limits':>10} {'reserved':>10} {'cpus':>7}",
    ]
    for s in plan.services:
        reservation = s.plan.memory_reservation
        lines.append(
            f"  {s.plan.name:<22} {s.replicas:>8} {s.plan.memory_limit.compose_value():>10} "
            f"{reservation.compose_value() if reservation else '-':>10} {s.cpus.compose_value():>6}"
            f"   {s.memory_total.show():>10} "
            f"{s.reservation_total.show() if s.reservation_total else '-':>10} {s.cpus_total.show():>7}"
        )
    lines += [
        "",
        f"stack: memory limits {plan.memory_limits.show()} (tmpfs {plan.tmpfs.show()}, "
        f"processes {plan.processes.show()}), reservations {plan.memory_reservations.show()}, "
        f"cpus {plan.cpus.show()} (reserved under Swarm: {plan.cpu_reservations.show()})",
    ]
    lines.append(
        f"host memory per container: {plan.host_overhead.parts[1].value / MIB:.1f} MiB × {plan.replicas} containers "
        f"= {plan.host_overhead.show()} beside the limits ({plan.host_overhead.parts[1].source})"
    )
    for host in plan.hosts:
        lines.append(_host_line(host))
    for c in plan.carried:
        lines.append(
            f"a {c.host.label} host carries up to {c.agents} agents of {c.service} ({c.replicas} replicas at "
            f"their limit + the per-container cost, beside one of every other replica; {c.bound} runs out first)"
        )
    lines.append(_verdict(plan))
    lines.append("placement (first-fit decreasing on the dominant resource; limits, not reservations):")
    for number, b in enumerate(plan.bins, 1):
        extra = " (added)" if b.extra else ""
        lines.append(
            f"  host {number} {b.host.label}{extra}: {_placement(b)}; "
            f"memory {human_bytes(b.memory_used)} of {human_bytes(b.host.memory)}, "
            f"cpus {_cores(b.nano_cpus_used)} of {_cores(b.host.nano_cpus)}; "
            f"headroom {human_bytes(b.host.memory - b.memory_used)} and {_cores(b.host.nano_cpus - b.nano_cpus_used)}"
        )
    if plan.step is not None:
        lines += ["", f"scale-up schedule: {int(plan.step.value)} agents a step ({_source(plan.step)})"]
        for step in plan.schedule:
            lines.append(
                f"  {step.agents:>6} agents: {step.replicas} replicas, limits {human_bytes(step.memory_limits)}, "
                f"reservations {human_bytes(step.memory_reservations)}, cpus {show_value(step.cpus, 'cpus')}, "
                f"{step.hosts} host{'s' if step.hosts != 1 else ''}"
            )
    lines += [
        "",
        f"Docker Desktop: memory {plan.desktop_memory.show()} (the stack's limits {plan.memory_limits.show()} "
        f"+ {plan.host_overhead.show()} for the containers + the host's reserve {plan.hosts[0].reserve.show()}, "
        "up to a whole GiB; "
        f"{plan.desktop_minimum.show()} only starts everything), cpus {plan.desktop_cpus.show()}",
    ]
    lines += [f"note: {note}" for note in plan.notes]
    if plan.stress is not None:
        lines.append(_stress_line(plan))
    lines.append(f"why each number: composegen explain --profile {plan.profile_ref} [SERVICE]")
    return "\n".join(lines) + "\n"


def _source(q: Quantity) -> str:
    return q.source or q.formula


def _host_line(host: Host) -> str:
    return (
        f"host {host.label}: {host.for_containers.show()} and {host.cpus.show()} for containers "
        f"(reserve {host.reserve.show()}, {host.reserve.source})"
    )


def _host_json(host: Host) -> dict[str, Any]:
    return {
        "label": host.label,
        "memory": int(host.memory.value),
        "cpus": host.cpus.value,
        "reserve": int(host.reserve.value),
        "reserve_source": host.reserve.source,
        "memory_for_containers": int(host.for_containers.value),
    }


def _bin_json(b: Bin) -> dict[str, Any]:
    return {
        "host": b.host.label,
        "added": b.extra,
        "replicas": b.counts(),
        "memory": b.memory_used,
        "cpus": b.nano_cpus_used / NANO,
        "headroom_memory": b.host.memory - b.memory_used,
        "headroom_cpus": (b.host.nano_cpus - b.nano_cpus_used) / NANO,
    }


def _stress_line(plan: CapacityPlan) -> str:
    """What `composegen stress` measured beside what the plan allows for the same service."""
    found = plan.stress
    assert found is not None
    if found.ceiling is None:
        carried = f"the host was over a line with no replicas of {found.service} ({found.stopped_by})"
    elif found.reached:
        carried = f"the host carried at most {found.ceiling} replicas of {found.service} (then: {found.stopped_by})"
    else:
        carried = f"no line was crossed up to {found.ceiling} replicas of {found.service}"
    costs = []
    if found.memory_per_replica is not None:
        slope, low, high = found.memory_per_replica
        costs.append(f"{human_bytes(slope)} of memory (95% CI {human_bytes(max(0.0, low))} to {human_bytes(high)})")
    if found.cpu_per_replica is not None:
        slope, low, high = found.cpu_per_replica
        costs.append(f"{slope:.3f} cores (95% CI {max(0.0, low):.3f} to {high:.3f})")
    planned = next((s for s in plan.services if s.plan.name == found.service), None)
    against = (
        f"; the plan gives one {planned.plan.memory_limit.show()} and {planned.cpus.show()}"
        if planned is not None
        else ""
    )
    cost = f"; one more replica cost {' and '.join(costs)}" if costs else ""
    where = f" on {found.host}" if found.host else ""
    return f"measured by stress{where}: {carried}{cost}{against}"


def _stress_json(plan: CapacityPlan) -> dict[str, Any] | None:
    found = plan.stress
    if found is None:
        return None
    return {
        "service": found.service,
        "ceiling": found.ceiling,
        "reached": found.reached,
        "stopped_by": found.stopped_by,
        "host": found.host,
        "memory_per_replica": list(found.memory_per_replica) if found.memory_per_replica else None,
        "cpu_per_replica": list(found.cpu_per_replica) if found.cpu_per_replica else None,
    }


def to_json(plan: CapacityPlan) -> dict[str, Any]:
    return {
        "profile": plan.profile,
        "services": [
            {
                "name": s.plan.name,
                "role": s.plan.role,
                "replicas": s.replicas,
                "memory_limit": int(s.plan.memory_limit.value),
                "memory_reservation": int(s.plan.memory_reservation.value) if s.plan.memory_reservation else None,
                "cpus": s.cpus.value,
                "tmpfs": int(s.tmpfs.value),
                "memory_limits": int(s.memory_total.value),
                "memory_reservations": int(s.reservation_total.value) if s.reservation_total else 0,
                "cpus_total": round(s.cpus_total.value, 9),
                "cpu_reservation": s.cpu_reservation.value if s.cpu_reservation else None,
                "cpu_reservations": round(s.cpu_reservation_total.value, 9) if s.cpu_reservation_total else 0,
            }
            for s in plan.services
        ],
        "totals": {
            "replicas": plan.replicas,
            "memory_limits": int(plan.memory_limits.value),
            "memory_reservations": int(plan.memory_reservations.value),
            "tmpfs": int(plan.tmpfs.value),
            "processes": int(plan.processes.value),
            "cpus": round(plan.cpus.value, 9),
            "cpu_reservations": round(plan.cpu_reservations.value, 9),
            "host_memory_for_containers": int(plan.host_overhead.value),
        },
        "host_memory_per_container": int(plan.host_overhead.parts[1].value),
        "carried": [
            {"host": c.host.label, "service": c.service, "replicas": c.replicas, "agents": c.agents, "bound": c.bound}
            for c in plan.carried
        ],
        "hosts": [_host_json(h) for h in plan.hosts],
        "fits": plan.fits,
        "hosts_needed": len(plan.bins),
        "placement": [_bin_json(b) for b in plan.bins],
        "schedule": {
            "step": int(plan.step.value) if plan.step else None,
            "step_source": _source(plan.step) if plan.step else None,
            "steps": [
                {
                    "agents": s.agents,
                    "replicas": s.replicas,
                    "memory_limits": int(s.memory_limits),
                    "memory_reservations": int(s.memory_reservations),
                    "cpus": round(s.cpus, 9),
                    "hosts": s.hosts,
                }
                for s in plan.schedule
            ],
        },
        "stress": _stress_json(plan),
        "docker_desktop": {
            "memory": int(plan.desktop_memory.value),
            "minimum_memory": int(plan.desktop_minimum.value),
            "cpus": plan.desktop_cpus.value,
        },
        "derivations": {
            "memory_limits": as_dict(plan.memory_limits),
            "cpus": as_dict(plan.cpus),
            "docker_desktop_memory": as_dict(plan.desktop_memory),
        },
        "notes": list(plan.notes),
    }
