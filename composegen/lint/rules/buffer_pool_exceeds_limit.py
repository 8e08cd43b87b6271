"""buffer-pool-exceeds-limit (CG308): an InnoDB buffer pool or WiredTiger cache at or above the limit.

What it does:
    Reads MySQL's and MariaDB's `--innodb-buffer-pool-size` and MongoDB's
    `--wiredTigerCacheSizeGB` from the service's command (composegen.facts) and flags a cache at
    or above the service's memory limit (an error).

Why is this bad?
    The buffer pool and the WiredTiger cache fill with data as it is read and are never given
    back: once they pass the limit (with the server's own memory besides: connections, sorts,
    the oplog), the kernel kills the database, and it is killed again after each restart as soon
    as the working set is read back. MySQL's guidance is a pool of at most 80% of a dedicated
    host's memory; MongoDB's default cache is half of (memory − 1 GB).

Example:
    ```yaml
    services:
      db:
        image: mysql:8.4.3
        command: --innodb-buffer-pool-size=2G
        mem_limit: 1g
    ```

Use instead:
    ```yaml
    services:
      db:
        image: mysql:8.4.3
        command: --innodb-buffer-pool-size=512M
        mem_limit: 1g
    ```

`--fix` sets the buffer pool to half the limit (the WiredTiger cache to half of the limit less
1 GB, at least 0.25) where the command writes it.
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
)
from composegen.units import GIB

CODE = "CG308"
NAME = "buffer-pool-exceeds-limit"
SEVERITY = Severity.error
FIXABLE = True


def _suggest(program: str, limit: float) -> tuple[str, str]:
    """Half the limit, as the server's flag and its value (MongoDB's default is half of memory − 1 GB,
    at least 0.25)."""
    if program == "mongodb":
        value = f"{max(0.25, round((limit - GIB) / 2 / GIB, 2)):g}"
        return f"--wiredTigerCacheSizeGB {value}", value
    value = f"{mebibytes(limit / 2)}M"
    return f"--innodb-buffer-pool-size={value}", value


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for found in limited_services(ctx):
        for program, setting, what in (
            ("mysql", "innodb_buffer_pool_size", "InnoDB buffer pool"),
            ("mongodb", "wiredtiger_cache", "WiredTiger cache"),
        ):
            fact = number_fact(found.facts, setting, program)
            if fact is None or float(fact.value or 0) < found.limit.value:
                continue
            suggest, value = _suggest(program, found.limit.value)
            yield at_fact(
                found,
                fact,
                f"service {found.name!r}: {what} {cited(fact)} = {size_text(float(fact.value or 0))} is at or above "
                f"{limit_cited(ctx, found.limit)}: the database is killed as the cache fills; set "
                f"{suggest} or raise the limit",
                fix=setting_fix(ctx, [(fact, value)]),
            )
