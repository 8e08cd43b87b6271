"""host-memory-overcommitted (CG104): memory limits or reservations add up to more than the host has.

What it does:
    Adds up the memory limits of every service (times its `deploy.replicas`), and separately its
    memory reservations, and compares each sum with the host budget: `host.memory − host.reserve`
    of composegen.yaml. Services behind a compose profile (`profiles:`) are not started by
    default and are not counted. Reported once (for limits, once for reservations), at the
    largest contributor's value, naming the largest contributors. Without a declared host it checks nothing.

Why is this bad?
    A limit is what a container may take before it is killed. When the limits add up to more
    than the host has, the services can all stay within their limits and still exhaust the host:
    the kernel's OOM killer then picks a victim among all of them (or dockerd). Reservations above
    the budget are promises the host cannot keep: Swarm leaves tasks pending, and under pressure
    the kernel cannot give every container its floor.

Example:
    ```yaml
    # composegen.yaml: host: {memory: 8G, reserve: 1G}
    services:
      api:
        image: ghcr.io/acme/api:2.1.0
        deploy: {replicas: 4, resources: {limits: {memory: 2G}}}
      db:
        image: postgres:16.4
        deploy: {resources: {limits: {memory: 2G}}}
    ```

Use instead:
    ```yaml
    services:
      api:
        image: ghcr.io/acme/api:2.1.0
        deploy: {replicas: 2, resources: {limits: {memory: 2G}}}
      db:
        image: postgres:16.4
        deploy: {resources: {limits: {memory: 2G}}}
    ```
    or a bigger host, or limits sized from what the services need (`composegen render`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import effective, host_budget, is_fragment, replicas
from composegen.units import human_bytes
from composegen.yamlio import KeyPath

CODE = "CG104"
NAME = "host-memory-overcommitted"
SEVERITY = Severity.warning
SEVERITY_BY_USAGE = {"prod": Severity.error}

#: How many of the largest contributors the message names.
SHOWN = 3


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    room = host_budget(ctx.host)
    if room is None:
        return
    budget, budget_text = room
    active = set(ctx.stack.active_service_names())
    skipped = 0
    parts: dict[str, list[tuple[float, str, str, KeyPath]]] = {"memory_limit": [], "memory_reservation": []}
    for name, service in ctx.services():
        if is_fragment(ctx, service):
            continue
        if name not in active:
            skipped += 1
            continue
        count = replicas(service)
        for which, found in parts.items():
            setting = effective(name, service, which)
            if setting is None or count == 0:
                continue
            shown = setting.shown() if count == 1 else f"{count} × {setting.shown()}"
            found.append((setting.value * count, name, shown, setting.path))
    host = f"the host {budget_text}"
    note = f"; {skipped} service(s) behind a profile not counted" if skipped else ""
    for which, found in parts.items():
        total = sum(part[0] for part in found)
        if total <= budget:
            continue
        found.sort(key=lambda part: -part[0])
        largest = ", ".join(f"{name} {shown}" for _, name, shown, _ in found[:SHOWN])
        more = f", and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
        what = "memory limits" if which == "memory_limit" else "memory reservations"
        why = (
            "the services can exhaust the host while each stays within its limit"
            if which == "memory_limit"
            else "the host cannot give every container its reserved floor"
        )
        yield Violation(
            found[0][3],  # at the largest contributor, where a change helps most
            f"{what} add up to {human_bytes(total)} ({largest}{more}) > {host}: {why}{note}",
            severity=Severity.error if which == "memory_reservation" else None,
        )
