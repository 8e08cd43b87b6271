"""memory-limit-missing (CG101): a service with no memory limit.

What it does:
    Flags a service that sets neither `deploy.resources.limits.memory` nor `mem_limit`.

Why is this bad?
    Without a limit a container may take all of the host's memory; the kernel's OOM killer then
    picks a victim on the host, often another service, or dockerd itself. With a limit the
    container that overruns is the one killed, and you can size it.

Example:
    ```yaml
    services:
      worker:
        image: ghcr.io/acme/worker:1.4.0
    ```

Use instead:
    ```yaml
    services:
      worker:
        image: ghcr.io/acme/worker:1.4.0
        deploy:
          resources:
            limits:
              memory: "512M"
    ```
    or let `composegen render` derive the number.

A file linted on its own that only adds to another (a service with no image and no build, as in
an override file) is not flagged: its base may set the limit. Lint the merged stack with `-f` to
check it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation, new_violation

CODE = "CG101"
NAME = "memory-limit-missing"
SEVERITY = Severity.warning
SEVERITY_BY_USAGE = {"dev": Severity.info, "prod": Severity.error}


def _limit(service: Mapping[str, Any]) -> Any:
    deploy = service.get("deploy")
    if deploy is None:  # most services: and asking the Mapping ABC about None is slow
        return service.get("mem_limit")
    resources = deploy.get("resources") if isinstance(deploy, Mapping) else None
    limits = resources.get("limits") if isinstance(resources, Mapping) else None
    from_deploy = limits.get("memory") if isinstance(limits, Mapping) else None
    return from_deploy if from_deploy is not None else service.get("mem_limit")


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for name, service in ctx.services():
        if ctx.mode == "file" and "image" not in service and "build" not in service:
            continue  # a fragment of an override file: its base may set the limit
        if _limit(service) is None:
            yield new_violation((("services", name), f"service {name!r} has no memory limit", name, None, None, None))
