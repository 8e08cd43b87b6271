"""database-port-exposed (CG507): a database port published on every interface.

What it does:
    Flags a `ports:` entry that publishes a database's port without a loopback host address:
    any port of a service whose role is a database (postgres, mysql, redis, mongo, clickhouse,
    elasticsearch, kafka: from composegen.yaml or detected from the image, so redis or valkey
    on any port), or a well-known database port as the container port (PostgreSQL 5432, MySQL
    3306, Redis 6379, MongoDB 27017, Elasticsearch 9200, ClickHouse 8123, Kafka 9092, MSSQL
    1433, Oracle 1521, CockroachDB 26257, Neo4j 7474 and 7687, Milvus 19530, Gremlin 8182;
    9000, the ClickHouse native port, only for a ClickHouse service, since MinIO, PHP-FPM and
    Portainer use it too). Kafka Connect, the Kafka REST proxy and Kafka UIs are not brokers.
    `"5432:5432"`, `"0.0.0.0:5432:5432"` and `"5432"` (a random host port) are flagged;
    `"127.0.0.1:5432:5432"` and `"[::1]:5432:5432"` are not, nor is a port bound to one
    specific address the author chose.
    A port mapping written once in an anchor and merged into several services is one
    finding, at the anchor.

Why is this bad?
    Docker publishes ports through its own iptables rules, before the host firewall (`ufw`,
    `firewalld`) sees the packet: a port published on `0.0.0.0` is reachable from the
    internet even when the firewall says it is closed. Databases shipped by compose files often
    have default or no passwords (Redis has none by default), and scanners find open 6379 and
    27017 ports within minutes.

Example:
    ```yaml
    services:
      db:
        image: postgres:16.4
        ports:
          - "5432:5432"
    ```

Use instead:
    ```yaml
    services:
      db:
        image: postgres:16.4
        ports:
          - "127.0.0.1:5432:5432"
    ```
    or no `ports:` at all: services of the stack reach it by name on the stack's network.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.compose.syntax import Port, SyntaxProblem, parse_port
from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import once_per_origin, services_with

CODE = "CG507"
NAME = "database-port-exposed"
SEVERITY = Severity.warning
SECURITY_SEVERITY = 7.5  # SARIF security-severity: a database reachable from the internet
SEVERITY_BY_USAGE = {"dev": Severity.info, "pytest": Severity.info, "prod": Severity.error}
OPTIONS: dict[str, Any] = {
    "roles": ["postgres", "mysql", "redis", "mongo", "clickhouse", "elasticsearch", "kafka"],
    "ports": [5432, 3306, 6379, 27017, 9200, 8123, 9092, 1433, 1521, 26257, 7474, 7687, 19530, 8182],
    # ports that are a database's only for a service of that role
    "role_ports": {"clickhouse": [9000, 9009]},
}

_ANY_ADDRESS = frozenset({"", "0.0.0.0", "::", "[::]"})


def on_every_interface(port: Port) -> bool:
    return port.host_ip is None or str(port.host_ip).strip() in _ANY_ADDRESS


def _ports(value: Any) -> Iterator[tuple[int, Port]]:
    for index, entry in enumerate(value if isinstance(value, list) else []):
        try:
            parsed = parse_port(entry)
        except SyntaxProblem:
            continue  # schema-invalid reports it
        for port in parsed:
            yield index, port


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    yield from once_per_origin(ctx, _violations(ctx, options))


def _violations(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    roles = {str(r) for r in options.get("roles", ())}
    well_known = {int(p) for p in options.get("ports", ()) if str(p).isdigit()}
    role_ports = options.get("role_ports", {})
    for name, service in services_with(ctx, "ports"):  # most services publish nothing
        role = ctx.role(name)
        extra = role_ports.get(role, ()) if isinstance(role_ports, Mapping) and role else ()
        known = well_known | {int(p) for p in extra if str(p).isdigit()}
        reported: set[int] = set()
        for index, port in _ports(service.get("ports")):
            if index in reported or not on_every_interface(port):
                continue
            if role not in roles and port.target not in known:
                continue
            reported.add(index)
            what = f"port {port.target} of a {role} service" if role in roles else f"database port {port.target}"
            where = f"host port {port.published}" if port.published else "a random host port"
            yield Violation(
                ("services", name, "ports", index),
                f"service {name!r} publishes {what} on every interface ({where}; Docker's rules bypass "
                f"the host firewall): bind it to 127.0.0.1 or drop the mapping",
                service=name,
            )
