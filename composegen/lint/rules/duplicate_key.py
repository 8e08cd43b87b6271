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

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from composegen.compose.stack import Problem, ProblemKind
from composegen.compose.tree import Origin, key_origin
from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.yamlio import KeyPath

CODE = "CG002"
NAME = "duplicate-key"
SEVERITY = Severity.error


def origin_index(data: Any, wanted: Collection[Origin] | None = None) -> dict[Origin, KeyPath]:
    """Every origin of the merged model (or those in `wanted`) and the (first) key path that
    carries it."""
    index: dict[Origin, KeyPath] = {}
    lines = None if wanted is None else {o.line for o in wanted}  # a cheap test before `in targets`
    targets: Collection[Origin] = () if wanted is None else wanted
    todo: list[tuple[Any, KeyPath]] = [(data, ())]
    while todo:
        node, path = todo.pop()
        if isinstance(node, (dict, Mapping)):
            for key, item in node.items():
                origin = key_origin(node, key)
                if origin is not None and (lines is None or (origin.line in lines and origin in targets)):
                    index.setdefault(origin, (*path, key))
                if isinstance(item, (dict, list)) or (not isinstance(item, _SCALARS) and isinstance(item, Mapping)):
                    todo.append((item, (*path, key)))
        elif isinstance(node, list):
            for position, item in enumerate(node):
                origin = key_origin(node, position)
                if origin is not None and (lines is None or (origin.line in lines and origin in targets)):
                    index.setdefault(origin, (*path, position))
                if isinstance(item, (dict, list)) or (not isinstance(item, _SCALARS) and isinstance(item, Mapping)):
                    todo.append((item, (*path, position)))
    return index


_SCALARS = (str, int, float, type(None))


def problem_violations(ctx: LintContext, kind: ProblemKind, describe: str = "") -> Iterator[Violation]:
    """One violation per distinct problem of `kind` found while loading the stack, placed at the
    key the problem names. A problem's path is into its own file; where that key survives in
    the merged model it is found by its origin, otherwise the nearest key of the path is used
    and the message names the file and line."""
    problems: list[Problem] = [p for p in ctx.stack.problems if p.kind == kind]
    if not problems:
        return
    index = origin_index(ctx.data, {p.origin for p in problems if p.origin is not None})
    seen: set[tuple[Origin | None, str]] = set()
    for problem in problems:
        marker = (problem.origin, problem.message)
        if marker in seen:
            continue  # one anchor expanded in many places: one finding
        seen.add(marker)
        path = index.get(problem.origin) if problem.origin is not None else None
        message = problem.message + describe
        if path is None:
            path = problem.path
            found = ctx.origin(path)
            if problem.origin is not None and found != problem.origin:
                message = f"{message} (at {problem.origin.file}:{problem.origin.line})"
        service = str(path[1]) if len(path) > 1 and path[0] == "services" else None
        yield Violation(path, message, service=service)


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    yield from problem_violations(ctx, "duplicate-key")
