"""start-interval-without-start-period (CG202): a healthcheck `start_interval` with no `start_period`.

What it does:
    Flags a healthcheck that sets `start_interval` but no `start_period` (an error), or a
    `start_period` of zero (a warning). `--fix` adds a `start_period`: the service's expected
    startup where composegen knows it from declared inputs, else 30s.

Why is this bad?
    `start_interval` is the probe pace during the start period only. Without a `start_period`,
    `docker compose up` refuses to create the container: "healthcheck.start_interval requires
    healthcheck.start_period to be set" (at container creation, so `docker compose config`
    does not catch it). With a zero start period the fast start-up probing never happens.

Example:
    ```yaml
    services:
      api:
        image: ghcr.io/acme/api:2.1.0
        healthcheck:
          test: ["CMD", "curl", "-fsS", "http://localhost:8000/health"]
          interval: 30s
          start_interval: 2s
    ```

Use instead:
    ```yaml
    services:
      api:
        image: ghcr.io/acme/api:2.1.0
        healthcheck:
          test: ["CMD", "curl", "-fsS", "http://localhost:8000/health"]
          interval: 30s
          start_period: 1m
          start_interval: 2s
    ```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Edit, Fix, Severity, Violation
from composegen.lint.readers import as_seconds, disabled, expected_startup, healthcheck, services_with, written_directly
from composegen.units import format_duration
from composegen.yamlio import KeyPath

CODE = "CG202"
NAME = "start-interval-without-start-period"
SEVERITY = Severity.error
FIXABLE = True

#: The start_period the fix writes when composegen has no expectation for the service.
FALLBACK = 30.0


def _fix(ctx: LintContext, name: str) -> Fix | None:
    here: KeyPath = ("services", name, "healthcheck")
    file = written_directly(ctx, here)
    if file is None or written_directly(ctx, (*here, "start_interval")) != file:
        return None  # the healthcheck comes through an anchor, a merge key or another file
    expected = expected_startup(ctx, name)
    seconds = expected[0].value if expected is not None and expected[1] != "default" else FALLBACK
    value = format_duration(max(seconds, 1.0))
    return Fix(f"set start_period: {value}", (Edit(file, (*here, "start_period"), "set", value),))


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for name, service in services_with(ctx, "healthcheck"):  # (healthcheck is None for the others)
        hc = healthcheck(service)
        if hc is None or disabled(hc) or "start_interval" not in hc:
            continue
        pace = as_seconds(hc.get("start_interval"))
        if pace is None or pace == 0:
            continue  # unset, unresolved ${VAR}, or a value the schema rule reports
        if "start_period" not in hc or hc.get("start_period") is None:
            yield Violation(
                ("services", name, "healthcheck", "start_interval"),
                f"service {name!r}: healthcheck start_interval without start_period: compose refuses to create "
                "the container ('healthcheck.start_interval requires healthcheck.start_period to be set')",
                service=name,
                fix=_fix(ctx, name),
            )
        elif as_seconds(hc.get("start_period")) == 0:
            yield Violation(
                ("services", name, "healthcheck", "start_period"),
                f"service {name!r}: healthcheck start_period is 0, so its start_interval never applies",
                service=name,
                fix=_fix(ctx, name),
                severity=Severity.warning,
            )
