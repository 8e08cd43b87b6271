"""container-name-duplicate (CG605): two containers with one name.

What it does:
    Flags a `container_name` that an earlier service of the stack already uses, and a service
    that sets `container_name` and runs more than one replica (`scale`, `deploy.replicas`).
    Services whose `profiles:` lists are both non-empty and share no profile never start
    together, so they may share a name. A name given by a variable left unset is not compared.

Why is this bad?
    Container names are unique per Docker host: compose refuses the project ("container name
    ... is already in use by service ..."), and with replicas it cannot name the second one.
    A fixed `container_name` also stops two copies of the stack (two checkouts, a CI job next
    to a dev stack) from running on one host.

Example:
    ```yaml
    services:
      api:
        image: ghcr.io/acme/api:2.1.0
        container_name: app
      worker:
        image: ghcr.io/acme/worker:2.1.0
        container_name: app
    ```

Use instead:
    ```yaml
    services:
      api:
        image: ghcr.io/acme/api:2.1.0
      worker:
        image: ghcr.io/acme/worker:2.1.0
    ```
    let compose name containers (`<project>-<service>-1`), or give each a distinct name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import run_together

CODE = "CG605"
NAME = "container-name-duplicate"
SEVERITY = Severity.error


def _replicas(service: Mapping[str, Any]) -> int:
    deploy = service.get("deploy")
    for value in (deploy.get("replicas") if isinstance(deploy, Mapping) else None, service.get("scale")):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return 1


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    services = dict(ctx.services())
    owners: dict[str, list[str]] = {}
    for name, service in services.items():
        container = service.get("container_name")
        if not isinstance(container, str) or not container.strip():
            continue
        path = ("services", name, "container_name")
        if _replicas(service) > 1:
            yield Violation(
                path,
                f"service {name!r} sets container_name {container!r} and runs {_replicas(service)} replicas: "
                "compose cannot name the second container; drop container_name",
                service=name,
            )
        earlier = owners.setdefault(container, [])
        other = next((o for o in earlier if run_together(services[o], service)), None)
        earlier.append(name)
        if other is not None:
            yield Violation(
                path,
                f"service {name!r} uses container_name {container!r}, which service {other!r} already uses: "
                "container names are unique per host",
                service=name,
            )
