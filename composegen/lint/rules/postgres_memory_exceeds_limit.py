"""postgres-memory-exceeds-limit (CG306): PostgreSQL settings that do not fit the memory limit.

What it does:
    For a PostgreSQL service, reads the `-c` settings of its command (composegen.facts):
    `shared_buffers` at or above the memory limit is an error. Where the command sets
    `shared_buffers`, `work_mem` or `max_connections`, it also adds shared_buffers + work_mem ×
    max_connections (PostgreSQL's defaults, 128MB, 4MB and 100, for those not set) + the size of a
    tmpfs data directory (under /var/lib/postgresql), and warns when that is above the limit and
    work_mem is raised above its 4MB default or the data is on a tmpfs (4MB is pgtune's floor:
    small plans, composegen's among them, accept that every connection sorting at once would not
    fit).

Why is this bad?
    Shared buffers are shared memory the container is charged for as they fill: with
    shared_buffers at or above the limit, the kernel kills the server once enough of the data
    has been read, every time. Each connection may use work_mem per sort or hash at once, and a
    tmpfs data directory holds the whole database in the container's memory: under load, the sum
    is what the container needs.

Example:
    ```yaml
    services:
      db:
        image: postgres:16.4
        command: postgres -c shared_buffers=2GB
        mem_limit: 1g
    ```

Use instead:
    ```yaml
    services:
      db:
        image: postgres:16.4
        command: postgres -c shared_buffers=256MB
        mem_limit: 1g
    ```
    shared_buffers of about a quarter of the limit (pgtune), or a bigger limit.

`--fix` sets shared_buffers to a quarter of the limit where the command writes it (the error).
The warning has no fix: whether to lower work_mem, lower max_connections (and add a pooler) or
raise the limit depends on the workload, and no one of them is mechanical.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import (
    at_fact,
    cited,
    limit_cited,
    limited_services,
    mebibytes,
    number_fact,
    setting_fix,
    size_text,
    tmpfs_mounts,
)
from composegen.units import MIB

CODE = "CG306"
NAME = "postgres-memory-exceeds-limit"
SEVERITY = Severity.error
FIXABLE = True

#: PostgreSQL's defaults (https://www.postgresql.org/docs/current/runtime-config-resource.html,
#: runtime-config-connection.html).
DEFAULTS = {"shared_buffers": 128 * MIB, "work_mem": 4 * MIB, "max_connections": 100}
#: Where the official image keeps its data (PGDATA's default is below it).
DATA_ROOT = "/var/lib/postgresql"


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for found in limited_services(ctx):
        if "postgres" not in found.facts.programs:
            continue
        limit = found.limit.value
        facts = {s: number_fact(found.facts, s, "postgres") for s in DEFAULTS}
        shared = facts["shared_buffers"]
        quarter_value = f"{mebibytes(limit / 4)}MB"
        quarter = f"-c shared_buffers={quarter_value}"
        if shared is not None and float(shared.value or 0) >= limit:
            yield at_fact(
                found,
                shared,
                f"service {found.name!r}: shared_buffers {cited(shared)} = {size_text(float(shared.value or 0))} is "
                f"at or above {limit_cited(ctx, found.limit)}: the server is killed as its buffers fill; set "
                f"{quarter} (a quarter of the limit) or raise the limit",
                fix=setting_fix(ctx, [(shared, quarter_value)]),
            )
            continue
        written = [f for f in facts.values() if f is not None]
        if not written:
            continue
        value = {
            s: float(f.value or 0) if f is not None else float(d)
            for (s, f), d in zip(facts.items(), DEFAULTS.values(), strict=True)
        }
        data = [m for m in tmpfs_mounts(found.name, found.service) if m.size and m.target.startswith(DATA_ROOT)]
        tmpfs = sum(m.size or 0 for m in data)
        need = value["shared_buffers"] + value["work_mem"] * value["max_connections"] + tmpfs
        if need <= limit or (value["work_mem"] <= DEFAULTS["work_mem"] and not tmpfs):
            continue  # work_mem at its default is pgtune's floor too: composegen's own plans use it
        parts = [
            f"shared_buffers {size_text(value['shared_buffers'])}",
            f"work_mem {size_text(value['work_mem'])} × max_connections {value['max_connections']:g}",
            *(f"a tmpfs data directory of {size_text(tmpfs)}" for _ in data[:1]),
        ]
        read = ", ".join(cited(f) for f in written)
        yield at_fact(
            found,
            written[0],
            f"service {found.name!r}: {' + '.join(parts)} = {size_text(need)} ({read}; PostgreSQL's defaults for the "
            f"rest) is above {limit_cited(ctx, found.limit)}: under load the server is killed; lower work_mem or "
            f"max_connections (a pooler such as PgBouncer), or raise the limit",
            Severity.warning,
        )
