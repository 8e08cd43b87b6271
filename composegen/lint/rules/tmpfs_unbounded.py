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
from typing import Any, NamedTuple

from composegen.compose.syntax import go_format
from composegen.compose.tree import is_mapping
from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.rules.legacy_resource_conflict import as_bytes, dig
from composegen.yamlio import KeyPath

CODE = "CG106"
NAME = "tmpfs-unbounded"
SEVERITY = Severity.warning
SEVERITY_BY_USAGE = {"dev": Severity.info, "pytest": Severity.info}


class Mount(NamedTuple):
    """One tmpfs mount of a service.

    `size` is in bytes; None when no size is given (unbounded) or when it cannot be read
    (`readable` False: an unresolved variable, a percentage, a typo), which no rule judges.
    """

    path: KeyPath  # of the entry in the merged stack
    target: str
    size: int | None
    readable: bool
    short: bool  # the short `tmpfs:` form (ignored by `docker stack deploy`)


def _short(path: KeyPath, entry: Any) -> Mount | None:
    if isinstance(entry, bool) or not isinstance(entry, (str, int, float)):
        return None
    text = go_format(entry).strip()
    if not text or "$" in text:
        return None
    target, _, options = text.partition(":")
    size: int | None = None
    readable = True
    for option in options.split(","):
        key, sep, value = option.strip().partition("=")
        if key.strip().lower() != "size" or not sep:
            continue
        size = as_bytes(value.strip())
        readable = size is not None
    return Mount(path, target.strip(), size or None, readable, True)


def _long(path: KeyPath, entry: Mapping[str, Any]) -> Mount:
    raw = dig(entry, "tmpfs", "size")
    target = entry.get("target")
    size = as_bytes(raw) if raw is not None else None
    readable = raw is None or size is not None
    return Mount(path, str(target) if target is not None else "", size or None, readable, False)


def tmpfs_mounts(name: str, service: Mapping[str, Any]) -> list[Mount]:
    """Every tmpfs mount of a service: the short `tmpfs:` entries, then `type: tmpfs` volumes."""
    mounts: list[Mount] = []
    short = service.get("tmpfs")
    if isinstance(short, list):
        for index, entry in enumerate(short):
            found = _short(("services", name, "tmpfs", index), entry)
            if found is not None:
                mounts.append(found)
    elif short is not None:
        found = _short(("services", name, "tmpfs"), short)
        if found is not None:
            mounts.append(found)
    volumes = service.get("volumes")
    for index, entry in enumerate(volumes if isinstance(volumes, list) else []):
        if is_mapping(entry) and entry.get("type") == "tmpfs":
            mounts.append(_long(("services", name, "volumes", index), entry))
    return mounts


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for name, service in ctx.services():
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
