"""duplicate-key (CG002): a key written twice in one mapping.

What it does:
    Flags a mapping key that appears twice in the same mapping of one file, at the second
    occurrence (`<<:` merge keys and anchors are not duplicates: an explicit key overriding a
    merged one is how YAML merges work).

Why is this bad?
    compose v2 refuses the file ("mapping key ... already defined"). Tools that accept it keep
    only one of the two values, usually the last, so the first is silently dropped: a second
    `environment:` block replaces the first one whole, and the variables it set are gone.

Example:
    ```yaml
    services:
      web:
        image: nginx:1.27.1
        environment:
          TZ: UTC
        environment:
          LOG_LEVEL: info
    ```

Use instead:
    ```yaml
    services:
      web:
        image: nginx:1.27.1
        environment:
          TZ: UTC
          LOG_LEVEL: info
    ```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import problem_violations

CODE = "CG002"
NAME = "duplicate-key"
SEVERITY = Severity.error


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    yield from problem_violations(ctx, "duplicate-key")
