"""swarm-only-key (CG401): a Swarm-only `deploy` key in a stack run with `docker compose`.

What it does:
    For a stack run with `docker compose` (the default target), flags the `deploy` keys that
    only `docker stack deploy` acts on: `resources.reservations.cpus`, `update_config`,
    `rollback_config`, `placement`, `endpoint_mode` and `labels`.

Why is this bad?
    Compose v2 accepts them and does nothing with them (facts/compose-spec.md, "What compose v2
    honours outside Swarm"): a CPU reservation reserves nothing, a rolling-update policy never
    rolls, placement constraints place nothing, and `deploy.labels` (set on the Swarm service,
    not the container) never reach a container, so a reverse proxy reading container labels
    does not see them. The file promises behaviour the stack does not have.

Example:
    ```yaml
    services:
      api:
        image: ghcr.io/acme/api:2.1.0
        deploy:
          resources:
            reservations: {cpus: "0.5"}
          update_config: {parallelism: 1, order: start-first}
          labels:
            traefik.enable: "true"
    ```

Use instead:
    ```yaml
    services:
      api:
        image: ghcr.io/acme/api:2.1.0
        labels:
          traefik.enable: "true"
    ```
    or lint with the Swarm target when the file is meant for `docker stack deploy`. A stack
    that says so itself is linted as one without being told: a file named like
    `docker-stack.yml` or `stack-prod.yml`, `deploy.mode: global`, `placement`, `update_config`,
    `rollback_config` or an overlay network (`--target compose` says otherwise).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import dig, services_with

CODE = "CG401"
NAME = "swarm-only-key"
SEVERITY = Severity.warning
SEVERITY_BY_USAGE = {"dev": Severity.info}

#: (key path under the service, what it would have done under Swarm)
SWARM_ONLY: tuple[tuple[tuple[str, ...], str], ...] = (
    (("deploy", "resources", "reservations", "cpus"), "reserves cores for the task"),
    (("deploy", "update_config"), "paces rolling updates"),
    (("deploy", "rollback_config"), "paces rollbacks"),
    (("deploy", "placement"), "chooses the node"),
    (("deploy", "endpoint_mode"), "chooses VIP or DNS round robin"),
    (("deploy", "labels"), "labels the Swarm service, not the container"),
)


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    if ctx.target != "compose":
        return
    for name, service in services_with(ctx, "deploy"):  # every key of SWARM_ONLY is under it
        for keys, purpose in SWARM_ONLY:
            if dig(service, *keys) is None:
                continue
            yield Violation(
                ("services", name, *keys),
                f"service {name!r}: {'.'.join(keys)} only works with `docker stack deploy` (it {purpose}); "
                "`docker compose` ignores it",
                service=name,
            )
