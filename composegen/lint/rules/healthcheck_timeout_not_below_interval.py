"""healthcheck-timeout-not-below-interval (CG203): a healthcheck timeout as long as its interval, or longer.

What it does:
    Flags a healthcheck whose `timeout` is not shorter than its `interval`, when both are set.
    (Either one left unset may come from the image's HEALTHCHECK, which composegen cannot see.)

Why is this bad?
    Docker runs one probe at a time and waits `interval` after each one ends. A service that
    hangs makes every probe run its whole timeout, so it is marked unhealthy only after
    `retries × (interval + timeout)`: with a timeout as long as the interval, twice as late as
    the interval suggests, or later. A probe that answers at all answers in well under the
    interval; a timeout at or above it is usually a pasted value (both 30s are docker's defaults)
    rather than a decision.

Reported as information by default, as a warning in prod, where how fast a hung service is
noticed matters.

Example:
    ```yaml
    services:
      api:
        image: ghcr.io/acme/api:2.1.0
        healthcheck:
          test: ["CMD", "curl", "-fsS", "http://localhost:8000/health"]
          interval: 5s
          timeout: 10s
    ```

Use instead:
    ```yaml
    services:
      api:
        image: ghcr.io/acme/api:2.1.0
        healthcheck:
          test: ["CMD", "curl", "-fsS", "http://localhost:8000/health"]
          interval: 10s
          timeout: 3s
    ```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import as_count, as_seconds, disabled, healthcheck, services_with
from composegen.units import format_duration

CODE = "CG203"
NAME = "healthcheck-timeout-not-below-interval"
SEVERITY = Severity.info
SEVERITY_BY_USAGE = {"prod": Severity.warning}

#: Docker's default healthcheck retries (facts/sizing.md §Healthchecks).
DEFAULT_RETRIES = 3


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for name, service in services_with(ctx, "healthcheck"):  # (healthcheck is None for the others)
        hc = healthcheck(service)
        if hc is None or disabled(hc):
            continue
        interval = as_seconds(hc.get("interval"))
        timeout = as_seconds(hc.get("timeout"))
        if interval is None or timeout is None or interval == 0 or timeout < interval:
            continue
        retries = as_count(hc.get("retries")) if "retries" in hc else DEFAULT_RETRIES
        late = (
            f"; a hung service is marked unhealthy after retries {retries} × (interval + timeout) = "
            f"{format_duration(retries * (interval + timeout))}"
            if retries is not None and retries > 0
            else ""
        )
        yield Violation(
            ("services", name, "healthcheck", "timeout"),
            f"service {name!r}: healthcheck timeout {format_duration(timeout)} is not below its interval "
            f"{format_duration(interval)}{late}: make the timeout shorter than the interval",
            service=name,
        )
