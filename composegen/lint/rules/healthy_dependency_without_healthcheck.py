"""healthy-dependency-without-healthcheck (CG201): others wait for it to be healthy; it has no healthcheck.

What it does:
    Flags a service that another service waits for with
    `depends_on: {db: {condition: service_healthy}}` when it has no healthcheck: none at all, one
    with `disable: true`, or one whose test is `["NONE"]`. Reported once per service, naming the
    services that wait for it.

Why is this bad?
    `docker compose up` cannot tell when the dependency is healthy and fails: "dependency failed
    to start: container db has no healthcheck configured". A healthcheck in the image (a
    Dockerfile `HEALTHCHECK`) also counts, which composegen cannot see: for a built image or one it
    does not know, which the authors probably rely on, this is only information; for a disabled
    healthcheck, or an official database image (which defines none), it is an error.

Example:
    ```yaml
    services:
      web:
        image: ghcr.io/acme/web:3.0.0
        depends_on:
          db: {condition: service_healthy}
      db:
        image: postgres:16.4
    ```

Use instead:
    ```yaml
    services:
      web:
        image: ghcr.io/acme/web:3.0.0
        depends_on:
          db: {condition: service_healthy}
      db:
        image: postgres:16.4
        healthcheck:
          test: ["CMD-SHELL", "pg_isready -h 127.0.0.1 -U postgres"]
          interval: 5s
          retries: 10
          start_period: 30s
    ```

A file linted on its own is not flagged for a dependency it does not define, or defines only as
an override fragment (no image, no build): its base may give the healthcheck.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.compose.tree import is_mapping
from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import disabled, healthcheck, is_fragment

CODE = "CG201"
NAME = "healthy-dependency-without-healthcheck"
SEVERITY = Severity.error

#: Images whose Dockerfile defines no HEALTHCHECK (the official database images and those built
#: on them): with no healthcheck in the compose file, `up` is certain to fail.
NO_IMAGE_HEALTHCHECK = frozenset(
    {
        "postgres",
        "postgis/postgis",
        "pgvector/pgvector",
        "timescale/timescaledb",
        "redis",
        "valkey/valkey",
        "mysql",
        "mariadb",
        "mongo",
        "clickhouse/clickhouse-server",
        "elasticsearch",
        "docker.elastic.co/elasticsearch/elasticsearch",
    }
)


def has_test(check: Mapping[str, Any] | None) -> bool:
    test = None if check is None else check.get("test")
    return (isinstance(test, str) and bool(test.strip())) or (isinstance(test, list) and bool(test))


def waiting(ctx: LintContext) -> dict[str, list[str]]:
    """{dependency: [services that wait for it with condition: service_healthy]}."""
    found: dict[str, list[str]] = {}
    for name, service in ctx.services():
        depends = service.get("depends_on")
        if not is_mapping(depends):
            continue  # the list form has no conditions
        for dependency, spec in depends.items():
            if is_mapping(spec) and spec.get("condition") == "service_healthy":
                found.setdefault(str(dependency), []).append(name)
    return found


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    dependents = waiting(ctx)
    if not dependents:
        return
    services = dict(ctx.services())
    for name, service in services.items():
        waiters = dependents.get(name)
        if not waiters or is_fragment(ctx, service):
            continue
        who = ", ".join(repr(w) for w in waiters)
        verb = "waits" if len(waiters) == 1 else "wait"
        fails = f"`docker compose up` fails: 'container {name} has no healthcheck configured'"
        check_ = healthcheck(service)
        if check_ is not None and disabled(check_):
            key = "disable" if check_.get("disable") is True else "test"
            yield Violation(
                ("services", name, "healthcheck", key),
                f"service {name!r} has its healthcheck disabled, but {who} {verb} for it with "
                f"condition: service_healthy: {fails}",
                service=name,
            )
            continue
        if has_test(check_):
            continue
        from composegen.sizing.common import image_repository  # lazy: only for a waited-on service

        image = service.get("image")
        repository = image_repository(image) if isinstance(image, str) and "build" not in service else None
        if repository in NO_IMAGE_HEALTHCHECK:
            yield Violation(
                ("services", name),
                f"service {name!r} has no healthcheck (the {repository} image defines none), but {who} "
                f"{verb} for it with condition: service_healthy: {fails}",
                service=name,
            )
        else:
            yield Violation(
                ("services", name),
                f"service {name!r} has no healthcheck in the compose file, but {who} {verb} for it with condition: "
                f"service_healthy: check that its image defines a HEALTHCHECK, or {fails}",
                service=name,
                severity=Severity.info,
            )
