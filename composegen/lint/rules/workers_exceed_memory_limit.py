"""workers-exceed-memory-limit (CG309): more worker processes than the memory limit holds.

What it does:
    Reads the worker count a Python server or worker runs with, from its command and environment
    (composegen.facts: gunicorn's `-w`/`--workers`, `GUNICORN_CMD_ARGS` and `WEB_CONCURRENCY`;
    uvicorn's and hypercorn's `--workers`; celery's `--concurrency` or `--autoscale` maximum with
    the prefork pool), multiplies it by the memory of one process (composegen's calculators:
    `memory_per_worker:` in composegen.yaml, else the measured figure of the detected framework,
    else the calculator's default), adds the parent process, and warns when that is above the
    service's memory limit.

Why is this bad?
    Every worker is a process that imports the whole application. A worker count chosen for a
    big host, in a container limit sized for a few workers, is OOM-killed as the workers warm
    up; gunicorn then restarts them, and they are killed again. `gunicorn -w 12` in 256M is
    twelve copies of the app in room for three.

Example:
    ```yaml
    services:
      web:
        image: ghcr.io/acme/shop:3.2.0
        command: gunicorn -w 12 shop.wsgi
        mem_limit: 256m
    ```

Use instead:
    ```yaml
    services:
      web:
        image: ghcr.io/acme/shop:3.2.0
        command: gunicorn -w 2 shop.wsgi
        mem_limit: 256m
    ```
    or a limit that holds the workers (composegen render sizes it), or declare
    `memory_per_worker:` in composegen.yaml where your app is lighter than the estimate.

`--fix` lowers the worker count (`-w`, `--workers`, `--concurrency`, `WEB_CONCURRENCY`, ...) to
what the message says fits, where the base file writes it. No fix for `--autoscale` (two numbers
to choose) or where not even one worker would be fewer than what runs.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import (
    WEB_SERVERS,
    at_fact,
    cited,
    limit_cited,
    limited_services,
    setting_fix,
    size_text,
    worker_processes,
)

CODE = "CG309"
NAME = "workers-exceed-memory-limit"
SEVERITY = Severity.warning
FIXABLE = True
SEVERITY_BY_USAGE = {"dev": Severity.info}

#: Roles other rules size: ML servers load models per worker (ml-models-exceed-limit).
OTHER_RULES = frozenset({"ml-inference", "llm"})


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for found in limited_services(ctx):
        inputs = ctx.inputs.get(found.name)
        if inputs is None or inputs.role in OTHER_RULES or inputs.spec.memory is not None:
            continue
        chosen = worker_processes(found.facts)
        if chosen is None or chosen.processes < 2:
            continue
        fact, count, program = chosen
        from composegen.profiles.plain import neutral_profile  # lazy: only for a server with a worker count
        from composegen.sizing import python_web, worker
        from composegen.sizing.quantity import given

        profile = neutral_profile()
        workers = given("workers", count, "count", cited(fact))
        if program in WEB_SERVERS:
            per = python_web.per_worker_memory(inputs, profile)
            need = python_web.processes_memory(inputs, profile, workers).value
        else:
            per = python_web.per_worker_memory(
                inputs, profile, worker.DEFAULT_PROCESS_MEMORY, "composegen default, assumed", "assumed"
            )
            need = worker.processes(inputs, profile, workers).value
        limit = found.limit.value
        if need <= limit:
            continue
        parent = need - count * per.value
        fits = max(1, math.floor((limit - parent) / per.value)) if per.value > 0 else 1
        yield at_fact(
            found,
            fact,
            f"service {found.name!r}: {count} {program} worker processes {cited(fact)} × {size_text(per.value)} each "
            f"({_short(per.source)}) + {size_text(parent)} for the parent process = {size_text(need)}, above "
            f"{limit_cited(ctx, found.limit)}: the workers are OOM-killed as they warm up; run at most {fits}, or "
            f"raise the limit to {size_text(need)}",
            fix=setting_fix(ctx, [(fact, str(fits))]) if fits >= 1 and fits < count else None,
        )


def _short(source: str) -> str:
    """Where the per-process figure comes from, in a few words."""
    if source.startswith(("composegen.yaml", "profile")):
        return source
    return "measured for a small app, docs/sizing.md" if source.startswith("measured") else "composegen's assumption"
