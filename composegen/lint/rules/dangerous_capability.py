"""dangerous-capability (CG505): `cap_add` grants a capability that breaks isolation.

What it does:
    Flags each `cap_add` entry that grants a capability able to break out of the container or
    take over the host's network or kernel: `ALL`, `SYS_ADMIN`, `SYS_MODULE`, `SYS_RAWIO`,
    `SYS_PTRACE`, `SYS_BOOT`, `SYS_TIME`, `DAC_READ_SEARCH`, `NET_ADMIN`, `MAC_ADMIN`,
    `MAC_OVERRIDE`, `BPF`, `PERFMON`, `SYSLOG` (with or without the `CAP_` prefix, any case).
    The option `capabilities` sets the list.
    A capability written once in an anchor and merged into several services is one
    finding, at the anchor.

Why is this bad?
    Docker drops these on purpose. `SYS_ADMIN` alone allows mounting file systems and most of
    what `privileged` does; `SYS_MODULE` loads kernel code; `DAC_READ_SEARCH` opened the
    "shocker" escape (reading any host file by handle); `SYS_PTRACE` reads other processes'
    memory; `NET_ADMIN` rewrites routes and firewall rules of the network the container
    shares. A service that truly needs one (a VPN needs `NET_ADMIN`) should say so in a
    `# composegen: disable-line=CG505` comment, so the exception is reviewed.

Example:
    ```yaml
    services:
      agent:
        image: ghcr.io/acme/agent:3.0.1
        cap_add: [SYS_ADMIN]
    ```

Use instead:
    ```yaml
    services:
      agent:
        image: ghcr.io/acme/agent:3.0.1
        cap_drop: [ALL]
        cap_add: [NET_BIND_SERVICE]
    ```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import once_per_origin, services_with

CODE = "CG505"
NAME = "dangerous-capability"
SEVERITY = Severity.warning
SECURITY_SEVERITY = 8.0  # SARIF security-severity: several capabilities are a known escape
SEVERITY_BY_USAGE = {"prod": Severity.error}
OPTIONS: dict[str, Any] = {
    "capabilities": [
        "ALL",
        "SYS_ADMIN",
        "SYS_MODULE",
        "SYS_RAWIO",
        "SYS_PTRACE",
        "SYS_BOOT",
        "SYS_TIME",
        "DAC_READ_SEARCH",
        "NET_ADMIN",
        "MAC_ADMIN",
        "MAC_OVERRIDE",
        "BPF",
        "PERFMON",
        "SYSLOG",
    ],
}

_WHY = {
    "ALL": "every capability: as good as privileged",
    "SYS_ADMIN": "mount file systems and most of what privileged allows",
    "SYS_MODULE": "load kernel modules: code in the host's kernel",
    "SYS_RAWIO": "raw access to host memory and I/O ports",
    "SYS_PTRACE": "trace other processes and read their memory",
    "SYS_BOOT": "reboot the host",
    "SYS_TIME": "set the host's clock",
    "DAC_READ_SEARCH": "read any host file by handle (the 'shocker' escape)",
    "NET_ADMIN": "rewrite interfaces, routes and firewall rules of its network",
    "MAC_ADMIN": "change the AppArmor/SELinux policy",
    "MAC_OVERRIDE": "bypass the AppArmor/SELinux policy",
    "BPF": "load BPF programs into the host's kernel",
    "PERFMON": "observe the host's kernel and other processes",
    "SYSLOG": "read and clear the host's kernel log",
}


def normalize(capability: Any) -> str:
    return str(capability).strip().upper().removeprefix("CAP_")


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    yield from once_per_origin(ctx, _violations(ctx, options))


def _violations(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    dangerous = {normalize(c) for c in options.get("capabilities", ())}
    for name, service in services_with(ctx, "cap_add"):  # (most services add none)
        added = service.get("cap_add")
        for index, entry in enumerate(added if isinstance(added, list) else []):
            cap = normalize(entry)
            if cap not in dangerous:
                continue
            why = _WHY.get(cap, "a capability Docker drops by default")
            yield Violation(
                ("services", name, "cap_add", index),
                f"service {name!r} adds capability {cap} ({why}): drop it, or document why it is needed",
                service=name,
            )
