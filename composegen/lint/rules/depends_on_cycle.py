"""depends-on-cycle (CG604): services that wait for each other in a loop.

What it does:
    Finds cycles in the start-order graph: `depends_on`, and the dependencies compose adds on
    its own (`links`, `volumes_from: x`, `network_mode`, `ipc` or `pid: service:x`). Each cycle
    is one finding, at the first dependency of the cycle, naming it: `a → b → a`.

Why is this bad?
    compose orders container creation by this graph and refuses a cycle ("dependency cycle
    detected"): `up` starts nothing. It usually comes from a healthcheck wait added in both
    directions, or from a sidecar that shares a network namespace with a service that also
    depends on it.

Example:
    ```yaml
    services:
      api:
        image: ghcr.io/acme/api:2.1.0
        depends_on: [worker]
      worker:
        image: ghcr.io/acme/worker:2.1.0
        depends_on: [api]
    ```

Use instead:
    ```yaml
    services:
      api:
        image: ghcr.io/acme/api:2.1.0
      worker:
        image: ghcr.io/acme/worker:2.1.0
        depends_on: [api]
    ```
    keep the dependency in the direction the start order needs; the other service retries its
    connection instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import stack_references
from composegen.yamlio import KeyPath

CODE = "CG604"
NAME = "depends-on-cycle"
SEVERITY = Severity.error

#: Most cycles reported for one stack (the number of cycles of a dense graph explodes).
MAX_CYCLES = 50


def dependency_graph(ctx: LintContext) -> dict[str, dict[str, KeyPath]]:
    """service -> {service it depends on: path of the key that says so}, in file order."""
    names = [name for name, _ in ctx.services()]
    known = set(names)
    graph: dict[str, dict[str, KeyPath]] = {name: {} for name in names}
    for name, refs in stack_references(ctx):
        for section, target, path in refs:
            if section == "services" and target in known:
                graph[name].setdefault(target, path)
    return graph


def _components(graph: Mapping[str, Mapping[str, Any]]) -> list[list[str]]:
    """Strongly connected components (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(component)
    return found


def cycles(graph: Mapping[str, Mapping[str, Any]], limit: int = MAX_CYCLES) -> list[list[str]]:
    """Elementary cycles, each once, starting at its first service in file order (`[a, b]` is
    a → b → a), in file order of their first service; at most `limit`."""
    order = {name: i for i, name in enumerate(graph)}
    # a service that depends on nothing is in no cycle: most of a large stack, left out of the search
    graph = {name: {t: None for t in targets if graph[t]} for name, targets in graph.items() if targets}
    out: list[list[str]] = []
    for component in _components(graph):
        members = set(component)
        if len(component) == 1 and component[0] not in graph[component[0]]:
            continue  # a single service that does not depend on itself
        for start in sorted(component, key=order.__getitem__):
            allowed = {m for m in members if order[m] >= order[start]}
            path = [start]
            todo: list[Iterator[str]] = [iter(graph[start])]
            while todo and len(out) < limit:
                step = next(todo[-1], None)
                if step is None:
                    todo.pop()
                    path.pop()
                    continue
                if step == start:
                    out.append(list(path))
                elif step in allowed and step not in path:
                    path.append(step)
                    todo.append(iter(graph[step]))
    return sorted(out, key=lambda c: order[c[0]])


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    graph = dependency_graph(ctx)
    for cycle in cycles(graph):
        first, second = cycle[0], cycle[1] if len(cycle) > 1 else cycle[0]
        named = " → ".join([*cycle, cycle[0]])
        yield Violation(
            graph[first][second],
            f"depends_on cycle: {named}: compose refuses to start the stack; drop one of the dependencies",
            service=first,
        )
