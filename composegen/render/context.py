"""The template context: the plan flattened into compose-ready values (strings, numbers, lists).

`render.layout` lays these out as the overlay's data; it never computes. Keys the target does not honour are not here:
`reservations.cpus`, `update_config` and `placement` are Swarm-only (facts/compose-spec.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from composegen.sizing.common import raised_memswap
from composegen.sizing.model import ServiceInputs, ServicePlan, StackPlan
from composegen.units import format_bytes
from composegen.yamlio import one_line

NO_NEW_PRIVILEGES = ("no-new-privileges:true",)

#: deploy.resources key → the legacy key that says the same outside deploy.
LEGACY_FOR = {
    ("limits", "memory"): "mem_limit",
    ("limits", "cpus"): "cpus",
    ("reservations", "memory"): "mem_reservation",
    ("limits", "pids"): "pids_limit",
}


@dataclass(frozen=True)
class NetworkContext:
    name: str | None
    internal: bool
    driver_opts: tuple[tuple[str, str], ...]


def service_context(plan: ServicePlan, inputs: ServiceInputs) -> dict[str, Any]:
    base = inputs.base
    limits: list[tuple[str, Any]] = [("memory", format_bytes(plan.memory_limit.value))]
    if plan.cpus is not None:
        limits.append(("cpus", plan.cpus.compose_value()))
    if plan.pids is not None:
        limits.append(("pids", int(plan.pids.value)))
    reservations: list[tuple[str, Any]] = []
    if plan.memory_reservation is not None:
        reservations.append(("memory", format_bytes(plan.memory_reservation.value)))
    if plan.gpus:  # an inference engine that reserves none, on a host with GPUs (sizing.engines)
        reservations.append(("devices", [{"driver": "nvidia", "count": plan.gpus, "capabilities": ["gpu"]}]))

    legacy: list[tuple[str, Any]] = []
    for group in (limits, reservations):
        section = "limits" if group is limits else "reservations"
        for key, value in list(group):
            legacy_key = LEGACY_FOR.get((section, key))
            if legacy_key in base.legacy_keys:
                # the base sets the legacy key: override it with the same value as deploy's. compose v2
                # refuses distinct values, and a limits block without memory counts as distinct from
                # mem_limit ("can't set distinct values on 'mem_limit' and 'deploy.resources.limits.memory'")
                legacy.append((legacy_key, value))
    # Docker refuses a memory+swap limit below the memory limit: a base memswap_limit rises with it
    swap = raised_memswap(base.memory_limit, base.memswap_limit, int(plan.memory_limit.value))
    if swap is not None:
        legacy.append(("memswap_limit", format_bytes(swap) if swap >= 0 else -1))

    volumes = [
        {
            "type": "tmpfs",
            "target": m.path,
            "tmpfs": {"size": format_bytes(m.size.value), **({"mode": int(m.mode, 8)} if m.mode else {})},
        }
        for m in base.overlay_mounts(plan.tmpfs)
    ]
    volumes += [{"type": "volume", "source": name, "target": target} for name, target in plan.sizing.volumes]

    health: list[tuple[str, Any]] = []
    if plan.healthcheck is not None:
        h = plan.healthcheck
        if h.test is not None:
            health.append(("test", list(h.test)))
        health += [
            ("interval", h.interval.compose_value()),
            ("timeout", h.timeout.compose_value()),
            ("retries", h.retries),
            ("start_period", h.start_period.compose_value()),
        ]
        if h.start_interval is not None:
            health.append(("start_interval", h.start_interval.compose_value()))

    hard = plan.hardening
    replicas = plan.sizing.replicas
    comment = f"{plan.name}: role {plan.role} ({plan.role_reason}); memory limit {plan.memory_limit.show()}"
    return {
        "name": plan.name,
        "comment": one_line(comment),
        "command": list(plan.sizing.command) if plan.sizing.command is not None and base.command is None else None,
        "legacy": legacy,
        "replicas": int(replicas.value) if replicas is not None else None,
        "limits": limits,
        "reservations": reservations,
        "shm_size": format_bytes(plan.sizing.shm_size.value) if plan.sizing.shm_size is not None else None,
        "volumes": volumes,
        "environment": [(e.key, e.value) for e in plan.environment],
        "healthcheck": health,
        "read_only": hard.read_only,
        "user": hard.user,
        # compose appends security_opt to the base's and rejects a repeated item: add only what is new
        "security_opt": [o for o in NO_NEW_PRIVILEGES if hard.no_new_privileges and o not in base.security_opt],
        "cap_drop": list(hard.cap_drop),
        "logging": plan.logging,
        "restart": plan.restart,
        "labels": list(plan.labels),
    }


def stack_context(
    stack: StackPlan, inputs: list[ServiceInputs], *, version: str, digest: str, base_files: list[str], output_name: str
) -> dict[str, Any]:
    by_name = {i.name: i for i in inputs}
    network = None
    if stack.network is not None or stack.network_mtu is not None or stack.network_internal:
        opts = []
        if stack.network_mtu is not None:
            opts.append(("com.docker.network.driver.mtu", str(stack.network_mtu)))
        network = NetworkContext(stack.network, stack.network_internal, tuple(opts))
    return {
        "version": version,
        "profile": one_line(stack.profile),
        "target": stack.target,
        "digest": digest,
        "base_files": [one_line(f) for f in base_files],
        "output_name": one_line(output_name),
        "warnings": [one_line(w) for w in stack.warnings],
        "base_notes": [one_line(n) for n in stack.base_notes],
        "services": [service_context(s, by_name[s.name]) for s in stack.services],
        "network": network,
        "volumes": list(stack.volumes),
    }
