"""healthcheck-disable-with-keys (CG205): `disable: true` written together with other healthcheck keys.

What it does:
    Flags a healthcheck that says `disable: true` and, in the same file, sets `test`, `interval`
    or other keys. Turning off a base file's healthcheck from an override file (the base sets
    `test`, the override only `disable: true`) is the normal way to do it and is not flagged.

Why is this bad?
    `disable: true` wins: compose runs the container with the healthcheck off (and the image's
    HEALTHCHECK off too) and ignores every other key. Whoever reads the file sees a test and
    timings that never run; whoever removes `disable` later gets a healthcheck nobody has tried.

Example:
    ```yaml
    services:
      worker:
        image: ghcr.io/acme/worker:1.4.0
        healthcheck:
          disable: true
          test: ["CMD", "celery", "inspect", "ping"]
          interval: 30s
    ```

Use instead:
    ```yaml
    services:
      worker:
        image: ghcr.io/acme/worker:1.4.0
        healthcheck:
          disable: true
    ```
    or remove `disable` to keep the healthcheck.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import healthcheck, services_with

CODE = "CG205"
NAME = "healthcheck-disable-with-keys"
SEVERITY = Severity.warning
SEVERITY_BY_USAGE = {"dev": Severity.info}


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for name, service in services_with(ctx, "healthcheck"):  # (healthcheck is None for the others)
        hc = healthcheck(service)
        if hc is None or hc.get("disable") is not True:
            continue
        here = ("services", name, "healthcheck")
        disable = ctx.origin((*here, "disable"))
        others = []
        for key in hc:
            if key == "disable" or str(key).startswith("x-"):
                continue
            origin = ctx.origin((*here, key))
            if disable is None or origin is None or origin.file == disable.file:
                others.append(str(key))
        if not others:
            continue
        yield Violation(
            (*here, "disable"),
            f"service {name!r}: healthcheck has disable: true and also {', '.join(others)}: the healthcheck is "
            "off and those keys are ignored",
            service=name,
        )
