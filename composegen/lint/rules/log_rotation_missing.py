"""log-rotation-missing (CG603): container logs that grow without bound.

What it does:
    Flags a service that logs with the `json-file` driver (compose's default when `logging:`
    names no driver) and sets no `max-size` option. Other drivers (`local`, which rotates by
    default, `journald`, `syslog`, `none`...) are not flagged, nor is a driver given by a
    variable the environment leaves unset. A file linted on its own that only adds to another
    (a service with no image and no build) is not flagged: its base may set it.

Why is this bad?
    json-file keeps every line the container ever printed: `max-size` defaults to unlimited
    (and `max-file` only works with it). A chatty service fills `/var/lib/docker` in days, and
    then every container on the host fails to write, including the databases. A daemon-wide
    `log-opts` in `/etc/docker/daemon.json` avoids it, but nothing in the compose file says the
    host has one.

Example:
    ```yaml
    services:
      web:
        image: ghcr.io/acme/web:2.1.0
    ```

Use instead:
    ```yaml
    services:
      web:
        image: ghcr.io/acme/web:2.1.0
        logging:
          driver: json-file
          options:
            max-size: "10m"
            max-file: "3"
    ```
    (an `x-logging: &logging` block merged into each service keeps it in one place).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation, new_violation
from composegen.lint.readers import fragments, written_with_variable

CODE = "CG603"
NAME = "log-rotation-missing"
SEVERITY = Severity.warning
SEVERITY_BY_USAGE = {"dev": Severity.info, "pytest": Severity.info}


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    fragment_names = fragments(ctx)  # (`is_fragment` of each service, found once)
    for name, service in ctx.services():
        logging = service.get("logging")
        if name in fragment_names:
            continue  # its base may set it
        if logging is not None and not isinstance(logging, Mapping):
            continue  # schema-invalid reports it
        driver = logging.get("driver") if logging is not None else None
        if driver is not None and str(driver).strip() == "":
            if written_with_variable(ctx, ("services", name, "logging", "driver")):
                continue  # the environment decides
            driver = None
        if driver is not None and str(driver).strip() != "json-file":
            continue
        opts = logging.get("options") if logging is not None else None
        # (None asked first: most services set no options, and asking the Mapping ABC about None is slow)
        if opts is not None and isinstance(opts, Mapping) and opts.get("max-size") not in (None, ""):
            continue
        if (
            opts is not None
            and isinstance(opts, Mapping)
            and written_with_variable(ctx, ("services", name, "logging", "options", "max-size"))
        ):
            continue  # the environment decides
        path = ("services", name, "logging") if logging is not None else ("services", name)
        yield new_violation(
            (
                path,
                f"service {name!r} logs with json-file and no max-size: the log grows until the disk is full; "
                'set logging.options.max-size (e.g. "10m")',
                name,  # service
                None,  # fix
                None,  # severity: the rule's
                None,  # origin: its key's
            )
        )
