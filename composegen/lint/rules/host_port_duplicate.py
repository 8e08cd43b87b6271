"""host-port-duplicate (CG606): two services publish the same host port.

What it does:
    Flags a `ports:` entry that publishes a host port (same protocol, overlapping host
    address) that an earlier entry of the stack already publishes, naming that one. Published
    ranges (`8000-8010:8000-8010`) count port by port. A host port given by a variable left
    unset, and a random host port (`"80"`), are not compared. Services whose `profiles:` lists
    are both non-empty and share no profile never start together, so they may reuse a port.

Why is this bad?
    The second container fails to start ("Bind for 0.0.0.0:8080 failed: port is already
    allocated"), and `up` stops there, often after the first service already started, so the
    stack is half up. Which one loses depends on start order.

Example:
    ```yaml
    services:
      web:
        image: ghcr.io/acme/web:2.1.0
        ports: ["8080:8080"]
      admin:
        image: ghcr.io/acme/admin:2.1.0
        ports: ["8080:8000"]
    ```

Use instead:
    ```yaml
    services:
      web:
        image: ghcr.io/acme/web:2.1.0
        ports: ["8080:8080"]
      admin:
        image: ghcr.io/acme/admin:2.1.0
        ports: ["8081:8000"]
    ```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from composegen.compose.syntax import SyntaxProblem, parse_port
from composegen.compose.tree import dotted
from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import run_together
from composegen.yamlio import KeyPath

CODE = "CG606"
NAME = "host-port-duplicate"
SEVERITY = Severity.error

_WILDCARDS = {"0.0.0.0": frozenset({4}), "::": frozenset({6})}


class Binding(NamedTuple):
    """One host port a service publishes, and where."""

    service: str
    path: KeyPath
    port: int
    protocol: str
    host_ip: str | None

    def families(self) -> frozenset[int]:
        if self.host_ip is None:
            return frozenset({4, 6})
        return _WILDCARDS.get(self.host_ip, frozenset({6 if ":" in self.host_ip else 4}))

    def is_wildcard(self) -> bool:
        return self.host_ip is None or self.host_ip in _WILDCARDS

    def clashes(self, other: Binding) -> bool:
        if self.port != other.port or self.protocol != other.protocol:
            return False
        if not self.families() & other.families():
            return False
        return self.is_wildcard() or other.is_wildcard() or self.host_ip == other.host_ip


def _published(text: str) -> range | None:
    first, sep, last = text.partition("-")
    if not (first + last).isascii() or not first.isdigit() or (sep and not last.isdigit()):  # (`²` is a digit)
        return None
    start, end = int(first), int(last) if sep else int(first)
    return range(start, min(end, 65535) + 1) if start <= end else None


def bindings(name: str, service: Mapping[str, Any]) -> Iterator[Binding]:
    ports = service.get("ports")
    for index, entry in enumerate(ports if isinstance(ports, list) else []):
        try:
            parsed = parse_port(entry)
        except SyntaxProblem:
            continue  # schema-invalid reports it
        for port in parsed:
            if not port.published:
                continue  # a random host port never clashes
            numbers = _published(port.published.strip())
            if numbers is None:
                continue
            ip = str(port.host_ip).strip().strip("[]") if port.host_ip else None
            for number in numbers:
                yield Binding(name, ("services", name, "ports", index), number, port.protocol.lower(), ip or None)


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    services = dict(ctx.services())
    seen: dict[tuple[int, str], list[Binding]] = {}
    reported: set[KeyPath] = set()
    for name, service in services.items():
        if "ports" not in service:  # no binding: most services
            continue
        if str(service.get("network_mode", "")).startswith(("service:", "container:")):
            continue  # ports of a shared namespace are refused elsewhere
        for binding in bindings(name, service):
            earlier = seen.setdefault((binding.port, binding.protocol), [])
            clash = next(
                (
                    b
                    for b in earlier
                    if b.path != binding.path and binding.clashes(b) and run_together(services[b.service], service)
                ),
                None,
            )
            earlier.append(binding)
            if clash is None or binding.path in reported:
                continue
            reported.add(binding.path)
            by = f"service {clash.service!r}" if clash.service != name else "this service"
            yield Violation(
                binding.path,
                f"service {name!r} publishes host port {binding.port}/{binding.protocol}, which {by} already "
                f"publishes ({dotted(clash.path)}): the second container fails to start",
                service=name,
            )
