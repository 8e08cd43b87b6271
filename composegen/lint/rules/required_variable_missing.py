"""required-variable-missing (CG003): a `${VAR:?message}` whose variable has no value.

What it does:
    Flags each value that uses a required variable (`${VAR:?message}`: unset or empty is an
    error, `${VAR?message}`: unset is an error) when the environment the stack is linted with
    (the shell, then the project's `.env`) does not provide it. The finding names the variable
    and repeats the file's own message.

Why is this bad?
    compose refuses the whole project until the variable is set: `up` fails before any
    container is created, with the message the file wrote after `?`. Catching it in lint (or in
    CI, linting with the deployment's `.env`) saves a failed deploy.

Example:
    ```yaml
    services:
      db:
        image: postgres:16.4
        environment:
          POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}
    ```
    linted with no `POSTGRES_PASSWORD` in the environment or `.env`.

Use instead:
    set the variable in the project's `.env` (or the environment of the deploy job), or give it
    a default where a default is safe: `${LOG_LEVEL:-info}`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import problem_violations

CODE = "CG003"
NAME = "required-variable-missing"
SEVERITY = Severity.error


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    yield from problem_violations(ctx, "variable-required", ": compose refuses the project until it is set")
