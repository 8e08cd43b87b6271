"""confinement-disabled (CG510): `security_opt` switches off the container's confinement.

What it does:
    Flags a `security_opt` entry that turns a kernel confinement off: `label=disable` (or
    `label:disable`: no SELinux separation), `seccomp=unconfined` (every system call allowed),
    `apparmor=unconfined` and `systempaths=unconfined` (the host's `/proc` and `/sys` paths no
    longer masked). `no-new-privileges`, a custom seccomp profile or an SELinux `label=type:...`
    are fine.
    An entry written once in an anchor and merged into several services is one finding, at
    the anchor.

Why is this bad?
    These profiles are what stops a process that breaks out of its file system view: SELinux
    labels keep it from reading host files a bind mount happens to expose, seccomp blocks the
    system calls most kernel exploits use (`keyctl`, `bpf`, `unshare`...), AppArmor denies
    writes to `/proc` and `/sys`. Turning one off is a step towards `privileged: true`, usually
    taken to silence a permission error that a narrower fix would solve.

Example:
    ```yaml
    services:
      app:
        image: ghcr.io/acme/app:2.1.0
        volumes: ["./data:/data"]
        security_opt:
          - label=disable
    ```

Use instead:
    ```yaml
    services:
      app:
        image: ghcr.io/acme/app:2.1.0
        volumes: ["./data:/data:Z"]
        security_opt:
          - no-new-privileges:true
    ```
    relabel the mount (`:z` shared, `:Z` private) instead of disabling SELinux, or give the
    service a seccomp profile that allows the one call it needs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.compose.syntax import go_format
from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import once_per_origin, services_with

CODE = "CG510"
NAME = "confinement-disabled"
SEVERITY = Severity.warning
SECURITY_SEVERITY = 7.0  # SARIF security-severity: a kernel defence switched off
SEVERITY_BY_USAGE = {"prod": Severity.error}

_OFF = {
    ("label", "disable"): "SELinux separation",
    ("seccomp", "unconfined"): "the seccomp filter of system calls",
    ("apparmor", "unconfined"): "the AppArmor profile",
    ("systempaths", "unconfined"): "the masking of the host's /proc and /sys paths",
}


def switched_off(entry: Any) -> str | None:
    """What a `security_opt` entry turns off (`label=disable`, `seccomp:unconfined`), or None."""
    if isinstance(entry, bool) or not isinstance(entry, (str, int, float)):
        return None
    text = go_format(entry).strip().lower()
    for separator in ("=", ":"):
        key, found, value = text.partition(separator)
        if found:
            return _OFF.get((key.strip(), value.strip()))
    return None


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    yield from once_per_origin(ctx, _violations(ctx))


def _violations(ctx: LintContext) -> Iterator[Violation]:
    for name, service in services_with(ctx, "security_opt"):  # (most services set none)
        listed = service.get("security_opt")
        for index, entry in enumerate(listed if isinstance(listed, list) else []):
            what = switched_off(entry)
            if what is None:
                continue
            yield Violation(
                ("services", name, "security_opt", index),
                f"service {name!r} sets security_opt {go_format(entry).strip()}, which turns off {what}: "
                "fix the permission it works around (relabel a mount with :z, allow one system call)",
                service=name,
            )
