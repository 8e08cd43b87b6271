"""tmpfs-unbounded (CG106): a tmpfs mount with no size.

What it does:
    Flags a tmpfs mount that sets no size: a short-form entry (`tmpfs: [/tmp]`,
    `/run:mode=1777`) without `size=`, or a long-form volume (`type: tmpfs`) without
    `tmpfs.size` (or with size 0).

Why is this bad?
    An unsized tmpfs may grow to half of the host's RAM (the kernel's default), and its pages are
    charged to the container's memory cgroup. A runaway log or temp file then fills memory, not
    disk: with a memory limit the container is OOM-killed instead of getting a clean "No space
    left on device"; without one it takes memory from every other service on the host.

Example:
    ```yaml
    services:
      api:
        image: ghcr.io/acme/api:2.1.0
        tmpfs:
          - /tmp
    ```

Use instead:
    ```yaml
    services:
      api:
        image: ghcr.io/acme/api:2.1.0
        tmpfs:
          - /tmp:size=64m
    ```
    (and count the 64m in the memory limit). For `docker stack deploy`, use the long form:
    `volumes: [{type: tmpfs, target: /tmp, tmpfs: {size: 67108864}}]`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import services_with, tmpfs_mounts

CODE = "CG106"
NAME = "tmpfs-unbounded"
SEVERITY = Severity.warning
SEVERITY_BY_USAGE = {"dev": Severity.info, "pytest": Severity.info}


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for name, service in services_with(ctx, "tmpfs", "volumes"):  # (no tmpfs mount in the others)
        for mount in tmpfs_mounts(name, service):
            if mount.size is not None or not mount.readable:
                continue
            if mount.short and ctx.target == "swarm":
                continue  # `docker stack deploy` does not mount it at all: CG402 says so
            if mount.short:
                how = f"`{mount.target}:size=64m`"
            else:
                how = "`tmpfs: {size: 67108864}`" if ctx.target == "swarm" else "`tmpfs: {size: 64m}`"
            yield Violation(
                mount.path,
                f"service {name!r}: tmpfs {mount.target or '(no target)'} has no size: it may grow to half of "
                f"the host's RAM, charged to the container's memory; give it one, like {how}",
                service=name,
            )
