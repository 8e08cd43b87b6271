"""memory-integer (CG109): a `deploy.resources` memory value written as an integer.

What it does:
    Flags `deploy.resources.limits.memory` or `deploy.resources.reservations.memory` written as a
    YAML number (`memory: 536870912`) instead of a size string.

Why is this bad?
    Compose v2 refuses the file: "services.web.deploy.resources.limits.memory must be a string".
    (The legacy `mem_limit` takes a number; its `deploy` twin does not.) `--fix` writes the same
    size as a string.

Example:
    ```yaml
    services:
      web:
        image: nginx:1.27.1
        deploy:
          resources:
            limits:
              memory: 536870912
    ```

Use instead:
    ```yaml
    services:
      web:
        image: nginx:1.27.1
        deploy:
          resources:
            limits:
              memory: "512M"
    ```

The fix is offered only where the number was written directly at that key; a value that comes
through an anchor or a `<<:` merge key is shared with other services, so it is left to you.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Edit, Fix, Severity, Violation
from composegen.lint.readers import dig, services_with, written_directly
from composegen.units import format_bytes
from composegen.yamlio import KeyPath

CODE = "CG109"
NAME = "memory-integer"
SEVERITY = Severity.error
FIXABLE = True

KINDS = ("limits", "reservations")


def _raw(data: Any, path: KeyPath) -> tuple[bool, Any]:
    node = data
    for key in path:
        in_mapping = isinstance(node, Mapping) and key in node
        in_list = isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)
        if not (in_mapping or in_list):
            return False, None
        node = node[key]
    return True, node


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for name, service in services_with(ctx, "deploy"):  # every value it reads is under deploy.resources
        for kind in KINDS:
            value = dig(service, "deploy", "resources", kind, "memory")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                continue
            path: KeyPath = ("services", name, "deploy", "resources", kind, "memory")
            text = format_bytes(value)
            fix = None
            file = written_directly(ctx, path)
            if file is not None:
                document = next(d for d in ctx.stack.documents if d.path == file)
                found, raw = _raw(document.data, path)
                if found and raw == value and not isinstance(raw, bool):
                    fix = Fix(f'write memory as the string "{text}"', (Edit(file, path, "set", text),))
            yield Violation(
                path,
                f"service {name!r}: deploy.resources.{kind}.memory is the number {value}: compose v2 "
                f'refuses numbers here ("must be a string"); write "{text}"',
                service=name,
                fix=fix,
            )
