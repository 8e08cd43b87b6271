"""legacy-resource-conflict (CG108): a legacy resource key and `deploy.resources` disagree.

What it does:
    Flags a service that sets both a legacy key and its `deploy.resources` twin to different
    values: `mem_limit` and `limits.memory`, `mem_reservation` and `reservations.memory`, `cpus`
    and `limits.cpus`, `pids_limit` and `limits.pids`. A `deploy.resources.limits` (or
    `reservations`) block that lacks the twin counts as a different value: compose v2 compares
    the legacy value with the block's, 0 when the key is missing.

Why is this bad?
    Compose v2 refuses the whole project: "can't set distinct values on 'mem_limit' and
    'deploy.resources.limits.memory'". It happens most often when an override file sets
    `deploy.resources` over a base that uses the legacy keys (or the other way round): each file
    is fine alone, the merged stack does not start.

Example:
    ```yaml
    services:
      db:
        image: postgres:16.4
        mem_limit: 1g
        deploy:
          resources:
            limits:
              memory: 2G
    ```

Use instead:
    ```yaml
    services:
      db:
        image: postgres:16.4
        deploy:
          resources:
            limits:
              memory: 2G
    ```
    One of the two keys, or the same value in both. Values are compared as sizes: `1g` and
    `1024M` agree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.compose.tree import is_mapping
from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import PAIRS, Setting, dig, services_with, settings
from composegen.yamlio import KeyPath

CODE = "CG108"
NAME = "legacy-resource-conflict"
SEVERITY = Severity.error


#: The legacy keys of PAIRS: a service with none of them has nothing to conflict.
LEGACY_KEYS = frozenset(pair.legacy for pair in PAIRS.values())


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for name, service in services_with(ctx, *LEGACY_KEYS):  # most services set none
        for which, pair in PAIRS.items():
            deploy, legacy = settings(name, service, which)
            if legacy is None or legacy.value == 0:  # compose checks a legacy value other than 0
                continue
            if deploy is not None:
                if deploy.value != legacy.value:
                    yield _differ(ctx, name, legacy, deploy.path, f"{deploy.key} {deploy.shown()}")
                continue
            block = pair.deploy[:-1]
            if is_mapping(dig(service, *block)) and dig(service, *pair.deploy) is None:
                # compose-go compares against the block's value, 0 when the key is missing
                section = ".".join(block)
                yield _differ(
                    ctx, name, legacy, ("services", name, *block), f"{section} without {pair.deploy[-1]}", unset=True
                )


def _differ(
    ctx: LintContext, name: str, legacy: Setting, other_path: KeyPath, other: str, unset: bool = False
) -> Violation:
    there = ctx.origin(other_path)
    here = ctx.origin(legacy.path)
    where = ""
    if there is not None:
        where = f" (line {there.line})" if here is not None and here.file == there.file else f" ({there.where()})"
    why = (
        "a missing value counts as distinct, and compose v2 refuses distinct values"
        if unset
        else ("compose v2 refuses distinct values")
    )
    fix = f"set {legacy.key}'s value there too, or keep one of the two" if unset else "keep one of the two keys"
    return Violation(
        legacy.path,
        f"service {name!r}: {legacy.key} {legacy.shown()} and {other}{where} differ: {why}; {fix}",
        service=name,
    )
