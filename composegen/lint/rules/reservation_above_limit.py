"""reservation-above-limit (CG102): a memory or CPU reservation larger than the limit.

What it does:
    Flags a service whose memory reservation (`deploy.resources.reservations.memory` or
    `mem_reservation`) is above its memory limit (`deploy.resources.limits.memory` or
    `mem_limit`), and one whose `reservations.cpus` is above its `limits.cpus` (or `cpus`).

Why is this bad?
    A reservation is the floor the container is promised, the limit its ceiling: a floor above
    the ceiling is a contradiction. Docker refuses to create the container ("Minimum memory limit
    can not be less than memory reservation limit"). A CPU reservation above the limit makes
    Swarm set aside cores the task may never use, and usually means the two numbers were swapped.

Example:
    ```yaml
    services:
      api:
        image: ghcr.io/acme/api:2.1.0
        deploy:
          resources:
            limits: {memory: 512M}
            reservations: {memory: 1G}
    ```

Use instead:
    ```yaml
    services:
      api:
        image: ghcr.io/acme/api:2.1.0
        deploy:
          resources:
            limits: {memory: 1G}
            reservations: {memory: 512M}
    ```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import as_cpus, dig, effective, services_with
from composegen.units import format_cpus

CODE = "CG102"
NAME = "reservation-above-limit"
SEVERITY = Severity.error


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for name, service in services_with(ctx, "deploy", "mem_reservation"):  # the others reserve nothing
        limit = effective(name, service, "memory_limit")
        reservation = effective(name, service, "memory_reservation")
        if limit is not None and reservation is not None and reservation.value > limit.value:
            yield Violation(
                reservation.path,
                f"service {name!r}: memory reservation {reservation.key} {reservation.shown()} is above "
                f"the limit {limit.key} {limit.shown()}: docker refuses to create the container",
                service=name,
            )
        cpus_limit = effective(name, service, "cpus_limit")
        raw = dig(service, "deploy", "resources", "reservations", "cpus")
        cpus_reserved = as_cpus(raw)
        if cpus_limit is not None and cpus_reserved is not None and cpus_reserved > cpus_limit.value:
            yield Violation(
                ("services", name, "deploy", "resources", "reservations", "cpus"),
                f"service {name!r}: CPU reservation {format_cpus(cpus_reserved)} is above the limit "
                f"{cpus_limit.key} {format_cpus(cpus_limit.value)}: the scheduler sets aside cores the "
                "container may not use (were the two swapped?)",
                service=name,
                severity=Severity.warning,
            )
