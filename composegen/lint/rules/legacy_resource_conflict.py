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

This module also holds the small, defensive readers of resource values that the other resource
and fit rules share (a value may be any type in a real file, or an unresolved `${VAR}`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from composegen.compose.tree import is_mapping
from composegen.errors import UnitError
from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.units import parse_bytes, parse_cpus, parse_duration
from composegen.yamlio import KeyPath

CODE = "CG108"
NAME = "legacy-resource-conflict"
SEVERITY = Severity.error

# --- shared readers ------------------------------------------------------------------------------


def dig(value: Any, *keys: str) -> Any:
    """`value[k1][k2]...`, or None as soon as a level is missing or not a mapping."""
    for key in keys:
        if not is_mapping(value):
            return None
        value = value.get(key)
    return value


def _unresolved(value: Any) -> bool:
    """An empty string (an unset `${VAR}`) or text still holding a `$`: nothing to judge."""
    return isinstance(value, str) and (not value.strip() or "$" in value)


def as_bytes(value: Any) -> int | None:
    """Bytes from a compose size; None when missing, unresolved or not a size (the schema rule
    reports those)."""
    if value is None or isinstance(value, bool) or _unresolved(value):
        return None
    try:
        return parse_bytes(value)
    except UnitError:
        return None


def as_cpus(value: Any) -> float | None:
    """Cores from a compose `cpus` value; None when missing, unresolved or not a finite number."""
    if value is None or isinstance(value, bool) or _unresolved(value):
        return None
    try:
        cpus = parse_cpus(value)
    except UnitError:
        return None
    return cpus if math.isfinite(cpus) else None


def as_seconds(value: Any) -> float | None:
    """Seconds from a compose duration; None when missing, unresolved or not a finite duration."""
    if value is None or isinstance(value, bool) or _unresolved(value):
        return None
    try:
        seconds = parse_duration(value)
    except UnitError:
        return None
    return seconds if math.isfinite(seconds) else None


def as_count(value: Any) -> int | None:
    """A whole number (pids, replicas), also from a numeric string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = value.strip() if isinstance(value, str) else ""
    if text.isascii() and text.lstrip("+-").isdigit() and len(text) <= 20:  # a 64-bit count at most
        return int(text)
    return None


class Setting(NamedTuple):
    """One resource value of a service: where it is (a key path of the merged stack), how it was
    written, and what it means (bytes, cores or a count)."""

    path: KeyPath
    raw: Any
    value: float

    @property
    def key(self) -> str:
        """The key as a reader finds it under the service: `mem_limit`, `deploy.resources.limits.memory`."""
        return ".".join(str(k) for k in self.path[2:])

    def shown(self) -> str:
        return str(self.raw)


class Pair(NamedTuple):
    """A `deploy.resources` key and the legacy key compose v2 holds to the same value."""

    deploy: tuple[str, ...]
    legacy: str
    parse: Callable[[Any], float | None]


PAIRS: dict[str, Pair] = {
    "memory_limit": Pair(("deploy", "resources", "limits", "memory"), "mem_limit", as_bytes),
    "memory_reservation": Pair(("deploy", "resources", "reservations", "memory"), "mem_reservation", as_bytes),
    "cpus_limit": Pair(("deploy", "resources", "limits", "cpus"), "cpus", as_cpus),
    "pids_limit": Pair(("deploy", "resources", "limits", "pids"), "pids_limit", as_count),
}


def settings(name: str, service: Mapping[str, Any], which: str) -> tuple[Setting | None, Setting | None]:
    """(deploy setting, legacy setting) of one pair in PAIRS, each None when unset or unreadable."""
    pair = PAIRS[which]
    found: list[Setting | None] = []
    for keys in (pair.deploy, (pair.legacy,)):
        raw = dig(service, *keys)
        value = pair.parse(raw)
        found.append(None if value is None else Setting(("services", name, *keys), raw, float(value)))
    return found[0], found[1]


def effective(name: str, service: Mapping[str, Any], which: str) -> Setting | None:
    """The value compose applies (deploy first, then the legacy key). A memory or cpus value of 0
    means "no limit" to docker, so it reads as unset."""
    deploy, legacy = settings(name, service, which)
    found = deploy or legacy
    if found is None or (which != "pids_limit" and found.value <= 0):
        return None
    return found


def memory_limit(name: str, service: Mapping[str, Any]) -> Setting | None:
    """The service's memory limit (`deploy.resources.limits.memory`, else `mem_limit`)."""
    return effective(name, service, "memory_limit")


def replicas(service: Mapping[str, Any]) -> int:
    """Containers compose runs for a service: `deploy.replicas`, else `scale`, else 1
    (`deploy.mode: global` runs one per node: 1 on a compose host)."""
    if dig(service, "deploy", "mode") == "global":
        return 1
    for raw in (dig(service, "deploy", "replicas"), service.get("scale")):
        count = as_count(raw)
        if count is not None and count >= 0:
            return count
    return 1


def is_fragment(ctx: LintContext, service: Mapping[str, Any]) -> bool:
    """A service of a file linted alone that has neither image nor build: part of an override
    file, whose base may set what it lacks."""
    return ctx.mode == "file" and "image" not in service and "build" not in service


# --- the rule ------------------------------------------------------------------------------------


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for name, service in ctx.services():
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
