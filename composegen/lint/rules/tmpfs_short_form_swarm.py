"""tmpfs-short-form-swarm (CG402): the short `tmpfs:` form in a stack for `docker stack deploy`.

What it does:
    For a stack deployed to Swarm, flags a service's `tmpfs:` key. It is an error when the
    service also has `read_only: true`, whose writes then have nowhere to go.

Why is this bad?
    `docker stack deploy` does not convert the short form: the service runs without the mount,
    silently (facts/compose-spec.md, "What compose v2 honours outside Swarm"). Writes to the
    path land in the container's writable layer, on disk and unbounded, or fail on a read-only
    root filesystem. Only the long volume form (`type: tmpfs`) reaches a Swarm service.

Example:
    ```yaml
    services:
      api:
        image: ghcr.io/acme/api:2.1.0
        read_only: true
        tmpfs:
          - /tmp:size=64m
    ```

Use instead:
    ```yaml
    services:
      api:
        image: ghcr.io/acme/api:2.1.0
        read_only: true
        volumes:
          - type: tmpfs
            target: /tmp
            tmpfs: {size: 67108864}
    ```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation

CODE = "CG402"
NAME = "tmpfs-short-form-swarm"
SEVERITY = Severity.warning


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    if ctx.target != "swarm":
        return
    for name, service in ctx.services():
        value = service.get("tmpfs")
        if value is None or value == [] or value == "":
            continue
        read_only = service.get("read_only") is True
        yield Violation(
            ("services", name, "tmpfs"),
            f"service {name!r}: `docker stack deploy` ignores the short tmpfs form, so the service runs without "
            "these mounts"
            + ("; with read_only: true, writes to them fail" if read_only else "")
            + "; use `volumes: [{type: tmpfs, target: ..., tmpfs: {size: ...}}]`",
            service=name,
            severity=Severity.error if read_only else None,
        )
