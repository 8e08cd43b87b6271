"""ml-models-exceed-limit (CG301): an ML service whose models, once per worker, do not fit its limit.

What it does:
    For a service with role `ml-inference` and `models:` in composegen.yaml, works out the memory
    its model copies need: without `preload: true` every gunicorn worker loads its own copy, so
    workers × (weights + framework runtime); with it, one copy shared copy-on-write. Flags the
    service when that alone is above its memory limit (an error), or when the whole expected
    working set (activations and the load overhead too, or the declared `memory:`) is (a warning).
    The workers are composegen.yaml's `workers:`, else what the service's own command or
    environment runs (gunicorn's `-w`, `GUNICORN_CMD_ARGS`, `WEB_CONCURRENCY`, uvicorn's
    `--workers`, celery's `--concurrency`; composegen.facts), and gunicorn's `--preload` counts as
    `preload: true`. The numbers are composegen's calculators' (facts/sizing.md §ML models), named in the message.

Why is this bad?
    The weights are not optional: a worker that cannot load them is OOM-killed during startup,
    gunicorn starts another, and the service restart-loops without ever serving a request. Four
    workers each loading bart-large, roberta-base, roberta-large and distilroberta in fp32 need
    4 × 4.33 GiB; a claim of "1.2-1.5 GB per worker" for these four is low by 1.7-3×.

Example:
    ```yaml
    # composegen.yaml: services: {inference: {workers: 4, models: [{name: bart-large}, ...]}}
    services:
      inference:
        image: ghcr.io/acme/inference:0.9.0
        deploy:
          resources:
            limits: {memory: 8G}
    ```

Use instead:
    ```yaml
    # composegen.yaml: services: {inference: {workers: 4, preload: true, models: [...]}}
    services:
      inference:
        image: ghcr.io/acme/inference:0.9.0
        deploy:
          resources:
            limits: {memory: 8G}
    ```
    or fewer workers, a smaller dtype, or the limit `composegen render` derives.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import cited_briefly, memory_limit, services_in_role, worker_processes
from composegen.units import GIB

CODE = "CG301"
NAME = "ml-models-exceed-limit"
SEVERITY = Severity.error


def gib(n: float) -> str:
    """Model sizes read best in one unit: `0.73 GiB`, `17.35 GiB`."""
    return f"{n / GIB:.2f} GiB"


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for name, service in services_in_role(ctx, "ml-inference"):
        inputs = ctx.inputs.get(name)
        if inputs is None or inputs.role != "ml-inference" or not inputs.models:
            continue
        limit = memory_limit(name, service)
        if limit is None:
            continue
        from composegen.sizing.ml import RUNTIME, weights  # lazy: only for an ML service with models

        sizing = ctx.expected(name)
        found = sizing.extra.get("workers") if sizing is not None else None
        planned = workers = int(found.value) if found is not None else (inputs.spec.workers or 1)
        facts = ctx.facts(name)
        running = worker_processes(facts) if facts is not None and inputs.spec.workers is None else None
        read_from = ""
        if running is not None:  # the command line runs these, whatever the calculator's default
            workers, read_from = running.processes, f" ({cited_briefly(running.fact)})"
        preload = inputs.spec.preload or (facts is not None and facts.value("preload", "gunicorn") is True)
        w = weights(inputs.models).value
        per_copy = w + RUNTIME
        models = ", ".join(f"{m.name} {m.dtype}" for m in inputs.models)
        copy_text = f"{gib(per_copy)} of models ({gib(w)} weights of {models} + {gib(RUNTIME)} runtime)"
        if preload:
            floor, floor_text = per_copy, f"one shared copy (preload) of {copy_text}"
        else:
            floor = workers * per_copy
            floor_text = f"{workers} worker{'s' if workers != 1 else ''}{read_from} × {copy_text} = {gib(floor)}"
        if floor > limit.value:
            advice = (
                "a bigger limit or a smaller dtype"
                if preload or workers == 1
                else "preload: true (one copy shared by the workers), fewer workers, or a bigger limit"
            )
            yield Violation(
                limit.path,
                f"service {name!r}: {floor_text} > limit {limit.shown()}: every start is OOM-killed while "
                f"loading; use {advice}",
                service=name,
            )
            continue
        if sizing is None or sizing.memory.value <= limit.value:
            continue
        how = (
            "declared working set (composegen.yaml memory:)"
            if inputs.spec.memory is not None
            else f"estimated working set for {planned} worker{'s' if planned != 1 else ''} (weights, runtime, "
            "activations, load overhead)"
        )
        yield Violation(
            limit.path,
            f"service {name!r}: {how} {gib(sizing.memory.value)} > limit {limit.shown()}: the models fit, "
            "but serving them does not",
            service=name,
            severity=Severity.warning,
        )
