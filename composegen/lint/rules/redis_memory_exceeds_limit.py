"""redis-memory-exceeds-limit (CG307): a Redis or Valkey maxmemory that does not fit the limit.

What it does:
    For a Redis or Valkey server with a memory limit, reads `--maxmemory`, `--appendonly` and
    `--save` from its command (composegen.facts). A maxmemory at or above the limit is an error.
    With persistence on (`--appendonly yes` or a `--save` schedule), twice the maxmemory above the
    limit is a warning. No maxmemory at all is a warning too, unless the server reads a config
    file (composegen does not read it: it may set one).

Why is this bad?
    Redis stops at maxmemory (it evicts keys or refuses writes, by maxmemory-policy); the kernel
    stops the container at its limit by killing it, losing what was not persisted. Without
    maxmemory Redis grows until that kill. A snapshot or an AOF rewrite forks the server, and
    every page written while the child runs is copied: with a busy dataset, up to twice the
    memory (https://redis.io/docs/latest/operate/oss_and_stack/management/admin/).

Example:
    ```yaml
    services:
      cache:
        image: redis:7.4.1
        command: redis-server --maxmemory 2gb --appendonly yes
        mem_limit: 1g
    ```

Use instead:
    ```yaml
    services:
      cache:
        image: redis:7.4.1
        command: redis-server --maxmemory 400mb --maxmemory-policy allkeys-lru --appendonly yes
        mem_limit: 1g
    ```

`--fix` lowers a maxmemory the command writes to the suggestion (three quarters of the limit;
four tenths with persistence, for the fork). No fix where maxmemory is missing: adding it needs a
`--maxmemory-policy`, and whether the data may be evicted (a cache) or must not (a store) is yours
to say.
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

CODE = "CG307"
NAME = "redis-memory-exceeds-limit"
SEVERITY = Severity.error
FIXABLE = True


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for found in limited_services(ctx):
        facts = found.facts
        if "redis" not in facts.programs:
            continue
        limit = found.limit.value
        maxmemory = number_fact(facts, "maxmemory", "redis")
        appendonly = facts.get("appendonly", "redis")
        save = facts.get("save", "redis")
        persists = [
            f for f in (appendonly, save) if f is not None and f.status == "read" and f.value not in (False, "")
        ]
        share = 0.4 if persists else 0.75
        lowered = f"{mebibytes(limit * share)}mb"
        suggest = f"--maxmemory {lowered}"
        if maxmemory is None or not maxmemory.value:
            if facts.get("maxmemory", "redis") is not None or facts.get("config_file", "redis") is not None:
                continue  # unreadable (`$MAXMEMORY`) or set in a config file composegen does not read
            command = next((c for c in facts.commands if c.program == "redis"), None)
            yield Violation(
                ("services", found.name),
                f"service {found.name!r}: Redis runs with no maxmemory under {limit_cited(ctx, found.limit)}: it grows "
                f"until the kernel kills it; add {suggest} and a --maxmemory-policy to its command",
                service=found.name,
                severity=Severity.warning,
                origin=command.origin if command is not None and facts.argv and "command" in found.service else None,
            )
            continue
        value = float(maxmemory.value)
        if value >= limit:
            yield at_fact(
                found,
                maxmemory,
                f"service {found.name!r}: maxmemory {cited(maxmemory)} = {size_text(value)} is at or above "
                f"{limit_cited(ctx, found.limit)}: the kernel kills Redis before it evicts; set {suggest} or raise "
                "the limit",
                fix=setting_fix(ctx, [(maxmemory, lowered)]),
            )
        elif persists and 2 * value > limit:
            how = " and ".join(cited(f) for f in persists)
            yield at_fact(
                found,
                maxmemory,
                f"service {found.name!r}: maxmemory {cited(maxmemory)} = {size_text(value)} with persistence ({how}): "
                f"a snapshot or AOF rewrite forks Redis and can need twice that, {size_text(2 * value)}, above "
                f"{limit_cited(ctx, found.limit)}; set {suggest} or raise the limit",
                Severity.warning,
                setting_fix(ctx, [(maxmemory, lowered)]),
            )
