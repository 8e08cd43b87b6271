"""tmpfs-exceeds-memory-limit (CG105): tmpfs sizes plus the service's own memory above its limit.

What it does:
    Adds up the sizes of a service's tmpfs mounts (short `tmpfs: /path:size=64m` entries and
    long `type: tmpfs` volumes), its `shm_size` (the /dev/shm docker mounts, a tmpfs too; not
    where a tmpfs at /dev/shm replaces it, `ipc` gives it none, or for Swarm, which ignores
    shm_size) and the working set the service is expected to need: the `memory:` declared in
    composegen.yaml, else composegen's estimate for its role where that rests on declared inputs
    or measured facts (workers and memory per worker, a test count, models), not on assumptions
    alone. An estimate holds the /dev/shm composegen plans for the role: a /dev/shm no bigger
    adds nothing to it, a bigger one is counted in its place. Flags the service when the sum is
    above its memory limit (a warning), or when the mounts alone reach it (an error). The message
    says whether the working set is declared or an estimate. Unsized mounts are CG106's business
    and are not counted.

Why is this bad?
    tmpfs pages are charged to the container's memory cgroup. A container limited to 64M that
    writes 100M into a 128M tmpfs is OOM-killed (checked on a real engine, facts/sizing.md).
    /dev/shm is such a tmpfs: a browser or a database that fills a 2g `shm_size` under a 1g
    limit is killed the same way.
    A tmpfs data directory that fills up as the test data grows kills the database at a random
    moment, with no "disk full" error to point at it.

Example:
    ```yaml
    services:
      db:
        image: postgres:16.4
        tmpfs:
          - /var/lib/postgresql/data:size=1g
        deploy:
          resources:
            limits: {memory: 1G}
    ```

Use instead:
    ```yaml
    services:
      db:
        image: postgres:16.4
        tmpfs:
          - /var/lib/postgresql/data:size=1g
        deploy:
          resources:
            limits: {memory: 2G}   # 1g of tmpfs + the server's working set
    ```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import memory_limited, memory_mounts, strength
from composegen.units import format_bytes, human_bytes

CODE = "CG105"
NAME = "tmpfs-exceeds-memory-limit"
SEVERITY = Severity.warning


class Process(NamedTuple):
    """What the service itself needs besides its tmpfs mounts: `value` bytes, `how` it is known,
    and the /dev/shm already in it (`shm`: the calculator's own, in an estimate; 0 when declared)."""

    value: float
    how: str
    shm: float = 0.0


def expected_process(ctx: LintContext, name: str) -> Process | None:
    """What the service itself needs besides its tmpfs mounts: the working set declared in
    composegen.yaml, else the calculator's estimate when it rests on something the user declared
    or a measured fact (with the /dev/shm the calculator plans in it). None when the role is only
    the generic default, or when the estimate is made of composegen's assumptions alone (lint
    sizes with a neutral profile, not the one the stack was sized with: its RAM budgets would be
    guesses)."""
    inputs = ctx.inputs.get(name)
    if inputs is None:
        return None
    if inputs.spec.memory is not None:
        return Process(float(inputs.spec.memory), "declared working set (composegen.yaml)")
    sizing = ctx.expected(name)
    if sizing is None or inputs.role_reason.startswith("default") or strength(sizing.memory) != "estimate":
        return None
    own_mounts = sum(m.size.value for m in sizing.tmpfs)  # already in sizing.memory
    value = sizing.memory.value - own_mounts
    if value <= 0:
        return None
    shm = sizing.shm_size.value if sizing.shm_size is not None else 0.0
    return Process(value, f"estimated working set for role {inputs.role}", shm)


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for name, service, limit in memory_limited(ctx):
        mounts = memory_mounts(ctx, name, service)
        if not mounts:
            continue
        process = expected_process(ctx, name)
        held = process.shm if process is not None else 0.0
        # a /dev/shm no bigger than the one the estimate holds adds nothing to it; a bigger one is
        # counted in its place
        mounts = [m for m in mounts if m.target != "/dev/shm" or (m.size or 0) > held]
        if not mounts:
            continue
        if process is not None and held and any(m.target == "/dev/shm" for m in mounts):
            process = process._replace(value=process.value - held)
        tmpfs = sum(m.size or 0 for m in mounts)
        listed = ", ".join(f"{m.target} {format_bytes(m.size or 0)}" for m in mounts)
        total = tmpfs + (process.value if process else 0)
        full = tmpfs >= limit.value  # nothing left for the processes once the tmpfs is full
        if total <= limit.value and not full:
            continue
        sum_text = f"tmpfs {human_bytes(tmpfs)} ({listed})"
        if process is not None:
            sum_text += f" + {process.how} {human_bytes(process.value)} = {human_bytes(total)}"
        above = ">" if total > limit.value else "="
        yield Violation(
            limit.path,
            f"service {name!r}: {sum_text} {above} memory limit {limit.shown()}: tmpfs pages are charged to the "
            "container's memory, "
            + ("so filling the tmpfs alone OOM-kills it" if full else "so a full tmpfs gets it OOM-killed"),
            service=name,
            severity=Severity.error if full else None,
        )
