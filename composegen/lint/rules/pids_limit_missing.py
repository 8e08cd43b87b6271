"""pids-limit-missing (CG107): a service with no limit on its number of processes.

What it does:
    Flags a service that sets neither `deploy.resources.limits.pids` nor `pids_limit`. An
    explicit `-1` (no limit, chosen) is respected.

Why is this bad?
    A fork bomb, or a worker pool that respawns without bound, can exhaust the host's process
    table (and its memory: every process has a kernel stack and page tables). Nothing else on the
    host can then start a process, `docker exec` included. A pids limit confines the damage to the
    container that misbehaves.

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
              pids: 256
    ```

Reported as information by default and in dev, as a warning in prod. A file linted on its own
that only adds to another (a service with no image and no build) is not flagged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation, new_violation
from composegen.lint.readers import dig, fragments

CODE = "CG107"
NAME = "pids-limit-missing"
SEVERITY = Severity.info
SEVERITY_BY_USAGE = {"prod": Severity.warning}


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    fragment_names = fragments(ctx)  # (`is_fragment` of each service, found once)
    for name, service in ctx.services():
        if name in fragment_names:
            continue
        if service.get("pids_limit") is not None:
            continue
        # (most services have no `deploy`: and then no call to look into it)
        if "deploy" in service and dig(service, "deploy", "resources", "limits", "pids") is not None:
            continue
        yield new_violation((("services", name), f"service {name!r} has no pids limit", name, None, None, None))
