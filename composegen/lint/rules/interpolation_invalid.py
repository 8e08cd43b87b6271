"""interpolation-invalid (CG004): a `$` template compose cannot read.

What it does:
    Flags a value holding a malformed variable template: an unclosed `${`, a `${}` naming no
    variable, or an unknown operator (`${VAR:=x}`, `${VAR/a/b}`: shell forms compose does not
    support).

Why is this bad?
    compose refuses the whole project ("invalid interpolation format"). A literal dollar sign
    (a password, a bcrypt hash, a shell snippet in a healthcheck) must be written `$$`.

Example:
    ```yaml
    services:
      web:
        image: nginx:1.27.1
        healthcheck:
          test: ["CMD-SHELL", "test -n ${HOSTNAME/x/y}"]
    ```

Use instead:
    ```yaml
    services:
      web:
        image: nginx:1.27.1
        healthcheck:
          test: ["CMD-SHELL", "test -n $${HOSTNAME}"]
    ```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import problem_violations

CODE = "CG004"
NAME = "interpolation-invalid"
SEVERITY = Severity.error


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    yield from problem_violations(ctx, "variable-invalid", " (write a literal $ as $$)")
