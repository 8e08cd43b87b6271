"""schema-invalid (CG001): the stack breaks the compose specification.

What it does:
    Validates the interpolated stack against the compose-spec JSON schema, then the typed
    reading compose v2 does after it (sizes, durations, CPU counts, ports, volumes), and reports
    one finding per root cause at the offending key. In a merged stack (`-f a -f b`) it also
    reports a service that has neither an `image` nor a `build`.

    Validation runs on the interpolated values, as compose does: `ports: ["${PORT:-80}:80"]` is
    checked as `80:80`. A value that still holds a variable nobody set (`${PORT}` with `PORT`
    unset, a required `${PORT:?}`) is never a type error: the environment decides it, and
    required-variable-missing (CG003) reports the missing variable.

    A file linted on its own may be an overlay fragment (a service with no image and no build,
    like `docker-compose.override.yml`): it is checked against a relaxed shape where neither is
    required, because its base provides them.

Why is this bad?
    `docker compose` refuses the whole project at the first invalid value: `up`, `pull` and
    `config` all fail, so nothing starts. A typo in a key (`mem_limt`) is worse: compose refuses
    it too, but a linter that skips unknown keys lets the limit silently go missing.

Example:
    ```yaml
    services:
      web:
        image: nginx:1.27.1
        mem_limit: 512 megabytes
        restart: sometimes
    ```

Use instead:
    ```yaml
    services:
      web:
        image: nginx:1.27.1
        mem_limit: 512M
        restart: unless-stopped
    ```
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from composegen.compose.tree import dotted
from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import holds_unresolved, no_image_or_build, unresolved_origins

CODE = "CG001"
NAME = "schema-invalid"
SEVERITY = Severity.error


def in_file_order(ctx: LintContext, violations: Iterable[Violation]) -> list[Violation]:
    """Violations sorted by where they are written: file (in load order), line, column."""
    files = {str(f): i for i, f in enumerate(ctx.stack.files)}

    def key(violation: Violation) -> tuple[int, str, int, int]:
        origin = ctx.origin(violation.path)
        if origin is None:
            return (-1, "", 0, 0)
        return (files.get(origin.file, len(files)), origin.file, origin.line, origin.column)

    return sorted(violations, key=key)


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    yield from in_file_order(ctx, _violations(ctx))


def _violations(ctx: LintContext) -> Iterator[Violation]:
    from composegen.compose.schema import validate  # lazy: loads the schema on first use

    unresolved = unresolved_origins(ctx)
    for error in validate(ctx.data):
        if error.keyword != "unknown-key" and holds_unresolved(ctx.data, error.path, unresolved):
            continue  # the environment decides this value; CG003 names a missing required variable
        service = str(error.path[1]) if len(error.path) > 1 and error.path[0] == "services" else None
        yield Violation(error.path, f"{dotted(error.path) or '(top level)'}: {error.message}", service=service)
    if ctx.mode == "file":
        return  # an overlay fragment's base provides the image or build
    for name, definition in ctx.services():
        if no_image_or_build(definition):
            yield Violation(
                ("services", name),
                f"service {name!r} has neither an image nor a build context: compose refuses the project",
                service=name,
            )
