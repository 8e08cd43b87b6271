"""undefined-reference (CG006): a service refers to something the stack does not define.

What it does:
    Flags a reference to a service, network, named volume, secret or config that the stack
    does not define: `depends_on`, `links`, `volumes_from`, `network_mode`/`ipc`/`pid:
    service:x`, `networks`, a named volume in `volumes`, `secrets`, `configs`. The `default`
    network always exists. `depends_on` with `required: false` must still name a service of
    the stack (compose only lets it be disabled by a profile).

    A file linted on its own that is an overlay (it has a service with no image and no build,
    or is named like `docker-compose.override.yml`) is not checked: its base defines what it
    refers to. Lint the merged stack with `-f` to check it.

Why is this bad?
    compose refuses the whole project ("service web refers to undefined network backend",
    "depends on undefined service db"), usually after a rename or a copy from another stack.

Example:
    ```yaml
    services:
      web:
        image: ghcr.io/acme/web:2.1.0
        depends_on: [database]
        volumes:
          - uploads:/srv/uploads
      db:
        image: postgres:16.4
    ```

Use instead:
    ```yaml
    services:
      web:
        image: ghcr.io/acme/web:2.1.0
        depends_on: [db]
        volumes:
          - uploads:/srv/uploads
      db:
        image: postgres:16.4
    volumes:
      uploads:
    ```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import PurePath
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import (
    holds_unresolved,
    no_image_or_build,
    stack_references,
    unresolved_origins,
)

CODE = "CG006"
NAME = "undefined-reference"
SEVERITY = Severity.error


def _is_overlay(ctx: LintContext) -> bool:
    if any(no_image_or_build(service) for _, service in ctx.services()):
        return True
    return any("override" in PurePath(str(file)).name for file in ctx.stack.files)


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    if ctx.mode == "file" and _is_overlay(ctx):
        return  # its base defines what it refers to
    defined: dict[str, set[str]] = {}
    for section in ("services", "networks", "volumes", "secrets", "configs"):
        found = ctx.data.get(section)
        defined[section] = {str(k) for k in found} if isinstance(found, Mapping) else set()
    defined["networks"].add("default")
    singular = {
        "services": "service",
        "networks": "network",
        "volumes": "volume",
        "secrets": "secret",
        "configs": "config",
    }
    unresolved = unresolved_origins(ctx)
    for name, refs in stack_references(ctx):
        for section, target, path in refs:
            if not target or target in defined[section] or holds_unresolved(ctx.data, path, unresolved):
                continue  # defined, or named by a variable the environment decides
            yield Violation(
                path,
                f"service {name!r} refers to undefined {singular[section]} {target!r}: "
                f"compose refuses the project (define it under top-level `{section}:`)"
                if section != "services"
                else f"service {name!r} refers to undefined service {target!r}: compose refuses the project",
                service=name,
            )
