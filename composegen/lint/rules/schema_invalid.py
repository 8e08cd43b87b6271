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

from composegen.compose.tree import Origin, SDict, SList, dotted, key_origin
from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.yamlio import KeyPath

CODE = "CG001"
NAME = "schema-invalid"
SEVERITY = Severity.error

#: Problems of loading that leave a value unresolved (the environment decides it).
_UNRESOLVED = ("variable-unset", "variable-required", "variable-invalid")


def _origins_below(value: Any, limit: int = 10_000) -> Iterator[Origin]:
    """The origins of every key and item inside `value` (bounded: a value is never huge here)."""
    stack = [value]
    seen = 0
    while stack and seen < limit:
        node = stack.pop()
        seen += 1
        if isinstance(node, SDict):
            yield from node.origins.values()
            stack.extend(node.values())
        elif isinstance(node, SList):
            yield from (o for o in node.origins if o is not None)
            stack.extend(node)
        elif isinstance(node, Mapping):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def has_child(node: Any, key: Any) -> bool:
    """Whether `node[key]` exists: a mapping's key or a list's index."""
    if isinstance(node, (dict, Mapping)):
        return key in node
    return isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)


def _value_at(data: Any, path: KeyPath) -> tuple[bool, Any, Origin | None]:
    """(found, value, origin of its key) at `path` of the merged model."""
    node = data
    origin: Origin | None = None
    for key in path:
        if not has_child(node, key):
            return False, None, None
        origin = key_origin(node, key)
        node = node[key]
    return True, node, origin


def unresolved_origins(ctx: LintContext) -> set[Origin]:
    """Origins of the values that hold a variable the environment left unset (or malformed)."""
    return {p.origin for p in ctx.stack.problems if p.kind in _UNRESOLVED and p.origin is not None}


def holds_unresolved(data: Any, path: KeyPath, unresolved: set[Origin]) -> bool:
    """Whether the value at `path` (or anything inside it) holds a variable left unresolved."""
    if not unresolved:
        return False
    found, value, origin = _value_at(data, path)
    if not found:
        return False
    if origin is not None and origin in unresolved:
        return True
    return any(o in unresolved for o in _origins_below(value))


def is_fragment(service: Mapping[str, Any]) -> bool:
    """A service that only adds to one defined elsewhere: neither an image nor a build."""
    return "image" not in service and "build" not in service


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
        if is_fragment(definition):
            yield Violation(
                ("services", name),
                f"service {name!r} has neither an image nor a build context: compose refuses the project",
                service=name,
            )
