"""cpus-above-host (CG103): a CPU limit or reservation above the host's cores.

What it does:
    Flags `deploy.resources.limits.cpus` (or the legacy `cpus`) above the cores of the host
    declared in composegen.yaml (`host: {cpus: ...}`), and, for a stack deployed to Swarm,
    `deploy.resources.reservations.cpus` above them. Without a declared host it checks nothing.

Why is this bad?
    Docker refuses to create the container: "range of CPUs is from 0.01 to 4.00, as there are
    only 4 CPUs available". A Swarm task that reserves more cores than any node has stays pending
    for ever ("no suitable node"). The number was usually copied from a bigger machine.

Example:
    ```yaml
    # composegen.yaml: host: {memory: 16G, cpus: 4}
    services:
      worker:
        image: ghcr.io/acme/worker:1.4.0
        deploy:
          resources:
            limits: {cpus: "8"}
    ```

Use instead:
    ```yaml
    services:
      worker:
        image: ghcr.io/acme/worker:1.4.0
        deploy:
          resources:
            limits: {cpus: "4"}
    ```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import as_cpus, dig, effective
from composegen.units import format_cpus

CODE = "CG103"
NAME = "cpus-above-host"
SEVERITY = Severity.error


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    if ctx.host is None:
        return
    cores = float(ctx.host.cpus)
    host = f"the host's {format_cpus(cores)} cores (composegen.yaml host.cpus)"
    for name, service in ctx.services():
        limit = effective(name, service, "cpus_limit")
        if limit is not None and limit.value > cores:
            yield Violation(
                limit.path,
                f"service {name!r}: {limit.key} {format_cpus(limit.value)} is above {host}: docker "
                "refuses to create the container",
                service=name,
            )
        if ctx.target != "swarm":
            continue  # compose ignores reservations.cpus (CG401 says so)
        reserved = as_cpus(dig(service, "deploy", "resources", "reservations", "cpus"))
        if reserved is not None and reserved > cores:
            yield Violation(
                ("services", name, "deploy", "resources", "reservations", "cpus"),
                f"service {name!r}: reservations.cpus {format_cpus(reserved)} is above {host}: "
                "Swarm finds no node for the task, which stays pending",
                service=name,
            )
