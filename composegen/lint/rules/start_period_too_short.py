"""start-period-too-short (CG204): a healthcheck start_period shorter than the service's startup.

What it does:
    Compares a healthcheck's `start_period` (docker's default 0s when unset) with the time the
    service is expected to take to become healthy: the `startup:` declared for it in
    composegen.yaml, else the calculator's estimate for its role. It also works out when docker
    first marks the container unhealthy: `start_period + retries × interval` (defaults 0s, 3 and
    30s). A declared startup longer than start_period is reported: a warning when the container is
    marked unhealthy before the startup ends, information otherwise. An estimate (derived from
    declared inputs, like a test count or a model's weights, with assumed rates) is reported, as
    information, only when the container would be unhealthy before it is up. A bare default
    ("assumed", "default") is never reported.

Why is this bad?
    Probe failures during `start_period` do not count; after it, `retries` failures in a row mark
    the container unhealthy. A service that needs two minutes to load its models or collect its
    tests, behind a healthcheck that gives up after one, is unhealthy before it could ever be
    healthy: `depends_on: service_healthy` fails, `up --wait` fails, and Swarm or an autoheal
    sidecar restarts it in a loop.

Example:
    ```yaml
    # composegen.yaml: services: {api: {startup: 2m}}
    services:
      api:
        image: ghcr.io/acme/api:2.1.0
        healthcheck:
          test: ["CMD", "curl", "-fsS", "http://localhost:8000/health"]
          interval: 10s
          retries: 3
          start_period: 20s
    ```

Use instead:
    ```yaml
    services:
      api:
        image: ghcr.io/acme/api:2.1.0
        healthcheck:
          test: ["CMD", "curl", "-fsS", "http://localhost:8000/health"]
          interval: 10s
          retries: 3
          start_period: 3m
          start_interval: 2s
    ```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import (
    Strength,
    as_count,
    as_seconds,
    disabled,
    expected_startup,
    healthcheck,
    is_fragment,
    services_with,
)
from composegen.units import format_duration

if TYPE_CHECKING:
    from composegen.sizing.quantity import Quantity

CODE = "CG204"
NAME = "start-period-too-short"
SEVERITY = Severity.warning

#: Docker's healthcheck defaults (facts/sizing.md §Healthchecks).
DEFAULT_INTERVAL = 30.0
DEFAULT_RETRIES = 3


def describe(q: Quantity, how: Strength) -> str:
    if how == "declared":
        return f"declared startup {format_duration(q.value)}" + (f" ({q.source})" if q.source else "")
    return f"estimated startup {format_duration(q.value)} ({q.name}: {q.formula or q.source})"


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for name, service in services_with(ctx, "healthcheck"):  # (healthcheck is None for the others)
        hc = healthcheck(service)
        if hc is None or disabled(hc) or is_fragment(ctx, service):
            continue
        expected = expected_startup(ctx, name)
        if expected is None or expected[1] == "default":
            continue
        startup, how = expected
        values = [
            as_seconds(hc["start_period"]) if "start_period" in hc else 0.0,
            as_seconds(hc["interval"]) if "interval" in hc else DEFAULT_INTERVAL,
            as_count(hc["retries"]) if "retries" in hc else DEFAULT_RETRIES,
        ]
        if any(v is None for v in values):
            continue  # an unresolved ${VAR} or a value the schema rule reports
        start_period, interval, retries = (float(v or 0) for v in values)
        if start_period >= startup.value:
            continue
        unhealthy = start_period + retries * interval
        early = unhealthy < startup.value
        if how == "estimate" and not early:
            continue
        written = f"start_period {format_duration(start_period) if start_period else '0s'}"
        if "start_period" not in hc:
            written += " (unset)"
        consequence = (
            f"with interval {format_duration(interval)} × retries {int(retries)} it is marked unhealthy after "
            f"about {format_duration(unhealthy)}, before it is expected to be up"
            if early
            else "its probes fail from the end of start_period until it is up, and only interval "
            f"{format_duration(interval)} × retries {int(retries)} keeps it from being marked unhealthy"
        )
        here = ("services", name, "healthcheck")
        path = (*here, "start_period") if "start_period" in hc else here
        yield Violation(
            path,
            f"service {name!r}: {written} is shorter than its {describe(startup, how)}: {consequence}",
            service=name,
            severity=None if how == "declared" and early else Severity.info,
        )
