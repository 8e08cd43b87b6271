"""privileged (CG501): a container running with `privileged: true`.

What it does:
    Flags a service that sets `privileged: true`.
    `privileged: true` written once in an anchor and merged into several services is one
    finding, at the anchor.

Why is this bad?
    A privileged container gets every capability, every host device, no seccomp or AppArmor
    profile and a writable `/sys`: root in it is root on the host (mount the host's disk, load
    a kernel module). One exploited bug in the service is a compromised host.

Example:
    ```yaml
    services:
      vpn:
        image: ghcr.io/acme/vpn:1.2.0
        privileged: true
    ```

Use instead:
    ```yaml
    services:
      vpn:
        image: ghcr.io/acme/vpn:1.2.0
        cap_add: [NET_ADMIN]
        devices: [/dev/net/tun]
    ```
    grant the one capability or device the service needs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import once_per_origin

CODE = "CG501"
NAME = "privileged"
SEVERITY = Severity.warning
SECURITY_SEVERITY = 9.0  # SARIF security-severity: root in the container is root on the host
SEVERITY_BY_USAGE = {"prod": Severity.error}


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    yield from once_per_origin(ctx, _violations(ctx, options))


def _violations(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for name, service in ctx.services():
        if service.get("privileged") is True:
            yield Violation(
                ("services", name, "privileged"),
                f"service {name!r} runs privileged: root in the container is root on the host; "
                "grant only the capabilities or devices it needs",
                service=name,
            )
