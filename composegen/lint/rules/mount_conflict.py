"""mount-conflict (CG005): two mounts on one container path.

What it does:
    Flags a service that mounts two things (volumes, binds, tmpfs entries, in any form) on the
    same container path, after merging: the later one is reported, naming the earlier one.
    Paths are compared the way compose compares them (`/data/` and `/data` are one path).

Why is this bad?
    compose v2 refuses to create the container ("target /data already mounted"), so the
    service never starts. It often comes from an overlay adding `tmpfs: [/run:size=64m]` to a
    base that already mounts `/run`, or a volume and a tmpfs both meant for a cache folder.

Example:
    ```yaml
    services:
      db:
        image: postgres:16.4
        volumes:
          - pgdata:/var/lib/postgresql/data
        tmpfs:
          - /var/lib/postgresql/data
    ```

Use instead:
    keep one of the two mounts; to change a mount an overlay inherits, tag the list
    `!override` in the overlay so it replaces the base's entries instead of adding to them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import problem_violations

CODE = "CG005"
NAME = "mount-conflict"
SEVERITY = Severity.error


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    yield from problem_violations(ctx, "mount-conflict", ": compose refuses to create the container")
