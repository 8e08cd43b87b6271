"""host-namespace (CG506): a container sharing the host's network, PID, IPC or other namespace.

What it does:
    Flags `network_mode: host`, `pid: host`, `ipc: host`, `uts: host`, `userns_mode: host` and
    `cgroup: host`.
    A host namespace written once in an anchor and merged into several services is one
    finding, at the anchor.

Why is this bad?
    Namespaces are what makes a container separate. With the host's network namespace every
    port the service opens is open on every host interface (no `ports:` mapping, no
    `127.0.0.1` binding, no Docker firewall rules) and it can reach services bound to the
    host's localhost; with the host's PID namespace it sees and can signal every host process
    (and read their environment with `SYS_PTRACE`); with the host's IPC namespace it shares
    memory segments with host processes.

Example:
    ```yaml
    services:
      web:
        image: ghcr.io/acme/web:2.1.0
        network_mode: host
    ```

Use instead:
    ```yaml
    services:
      web:
        image: ghcr.io/acme/web:2.1.0
        ports:
          - "127.0.0.1:8080:8080"
    ```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import once_per_origin, services_with

CODE = "CG506"
NAME = "host-namespace"
SEVERITY = Severity.warning
SECURITY_SEVERITY = 7.0  # SARIF security-severity: the host's network or processes, visible and reachable

_KEYS = {
    "network_mode": "the host's network: every port it opens is open on every host interface",
    "pid": "the host's process namespace: it sees and can signal every host process",
    "ipc": "the host's IPC namespace: it shares memory segments with host processes",
    "uts": "the host's hostname namespace: it can change the host's hostname",
    "userns_mode": "the host's user namespace: user-namespace remapping is off for it",
    "cgroup": "the host's cgroup namespace: it sees the host's whole cgroup tree",
}


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    yield from once_per_origin(ctx, _violations(ctx, options))


def _violations(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for name, service in services_with(ctx, *_KEYS):  # most services set none
        for key, why in _KEYS.items():
            value = service.get(key)
            if isinstance(value, str) and value.strip().lower() == "host":
                yield Violation(
                    ("services", name, key),
                    f"service {name!r} uses {key}: host, {why}",
                    service=name,
                )
