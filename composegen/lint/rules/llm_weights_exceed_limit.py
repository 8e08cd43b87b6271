"""llm-weights-exceed-limit (CG302): an LLM server whose weights alone are above its memory limit.

What it does:
    For a service with role `llm` and `models:` in composegen.yaml, adds up the models' weights
    (parameters × bytes per parameter of the dtype: fp32 4, fp16/bf16 2, int8 1, int4 0.5) and
    flags the service when they alone are above its memory limit (an error). When they fit but
    the expected working set does not (weights + framework runtime + KV cache for the context
    length × concurrent sequences, or the declared `memory:`), it is a warning.

Why is this bad?
    A server cannot run a model it cannot load: it is OOM-killed while reading the weights, on
    every restart. "llama3-70b in 32g" fails at every dtype: the int4 weights alone are
    32.85 GiB (facts/sizing.md §ML models). The KV cache comes on top and grows with the
    context length and the number of sequences served at once.

Example:
    ```yaml
    # composegen.yaml: services: {llm: {models: [{name: llama3-70b, dtype: int4}], context_length: 8192}}
    services:
      llm:
        image: vllm/vllm-openai:v0.6.3
        deploy:
          resources:
            limits: {memory: 32G}
    ```

Use instead:
    ```yaml
    # composegen.yaml: services: {llm: {models: [{name: llama3-8b, dtype: int4}], context_length: 8192}}
    services:
      llm:
        image: vllm/vllm-openai:v0.6.3
        deploy:
          resources:
            limits: {memory: 32G}
    ```
    or a host with the memory the model needs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import memory_limit
from composegen.units import human_bytes

CODE = "CG302"
NAME = "llm-weights-exceed-limit"
SEVERITY = Severity.error


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for name, service in ctx.services():
        inputs = ctx.inputs.get(name)
        if inputs is None or inputs.role != "llm" or not inputs.models:
            continue
        limit = memory_limit(name, service)
        if limit is None:
            continue
        from composegen.sizing.ml import weights  # lazy: only for an llm service with models

        w = weights(inputs.models)
        models = " + ".join(
            f"{m.name} {m.dtype} ({m.params / 1e9:.2f}B params × {m.bytes_per_param:g} bytes = "
            f"{human_bytes(m.params * m.bytes_per_param)})"
            for m in inputs.models
        )
        if w.value > limit.value:
            yield Violation(
                limit.path,
                f"service {name!r}: the weights alone, {models}"
                + (f" = {human_bytes(w.value)}" if len(inputs.models) > 1 else "")
                + f", are above the limit {limit.shown()}: the server is OOM-killed loading them",
                service=name,
            )
            continue
        sizing = ctx.expected(name)
        if sizing is None or sizing.memory.value <= limit.value:
            continue
        how = (
            "declared working set (composegen.yaml memory:)"
            if inputs.spec.memory is not None
            else "estimated working set (weights + runtime + KV cache)"
        )
        yield Violation(
            limit.path,
            f"service {name!r}: {how} {human_bytes(sizing.memory.value)} > limit {limit.shown()}: the weights "
            f"({human_bytes(w.value)}) fit, serving them does not",
            service=name,
            severity=Severity.warning,
        )
