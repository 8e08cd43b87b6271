"""swarm-unsupported-key (CG403): a key `docker stack deploy` rejects or ignores.

What it does:
    For a stack deployed to Swarm, flags `mem_limit`, `memswap_limit` and `cpuset`, which
    `docker stack deploy` refuses (an error), and `security_opt` and `shm_size`, which it
    ignores (a warning). See facts/compose-spec.md, "What compose v2 honours outside Swarm".

Why is this bad?
    A refused key stops the deploy, whatever its value (even an empty `${VAR}`). An ignored key
    silently removes what it was for: the seccomp or no-new-privileges options of `security_opt`
    are not applied, and a database that needed a larger `/dev/shm` gets docker's 64M and fails
    its parallel queries.

Example:
    ```yaml
    services:
      db:
        image: postgres:16.4
        mem_limit: 2g
        shm_size: 256m
    ```

Use instead:
    ```yaml
    services:
      db:
        image: postgres:16.4
        deploy:
          resources:
            limits: {memory: 2G}
        volumes:
          - type: tmpfs
            target: /dev/shm
            tmpfs: {size: 268435456}
    ```
    (a tmpfs on /dev/shm is the usual Swarm replacement for `shm_size`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation

CODE = "CG403"
NAME = "swarm-unsupported-key"
SEVERITY = Severity.error

#: key -> (refused, what to use instead)
KEYS: dict[str, tuple[bool, str]] = {
    "mem_limit": (True, "use deploy.resources.limits.memory"),
    "memswap_limit": (True, "Swarm has no swap limit: remove it"),
    "cpuset": (True, "Swarm cannot pin cores: remove it"),
    "security_opt": (False, "Swarm services run without these options"),
    "shm_size": (False, "mount a `type: tmpfs` volume at /dev/shm instead"),
}


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    if ctx.target != "swarm":
        return
    for name, service in ctx.services():
        for key in service:
            if key not in KEYS or service[key] is None:
                continue
            refused, advice = KEYS[key]
            verb = "refuses" if refused else "ignores"
            yield Violation(
                ("services", name, key),
                f"service {name!r}: `docker stack deploy` {verb} {key}; {advice}",
                service=name,
                severity=None if refused else Severity.warning,
            )
