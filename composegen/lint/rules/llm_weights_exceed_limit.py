"""llm-weights-exceed-limit (CG302): an LLM server whose weights alone are above its memory limit.

What it does:
    For a service with role `llm` and `models:` in composegen.yaml (else the model its command
    serves, where composegen knows it: vLLM's `--model`, TGI's `--model-id`, llama.cpp's `-m`,
    with vLLM's `--dtype`; composegen.facts), adds up the models' weights
    (parameters × bytes per parameter of the dtype: fp32 4, fp16/bf16 2, int8 1, int4 0.5) and
    flags the service when they alone are above its memory limit (an error). When they fit but
    the expected working set does not (weights + framework runtime + KV cache for the context
    length × concurrent sequences, or the declared `memory:`), it is a warning. A service given
    GPUs (`deploy.resources.reservations.devices`, `gpus:`, a GPU device such as ROCm's
    `/dev/kfd`, `runtime: nvidia`) holds its weights and KV cache in VRAM, not in its memory
    limit: CG311 and CG312 judge those.

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
from typing import TYPE_CHECKING, Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import cited_briefly, gets_gpu, memory_limit, services_in_role
from composegen.units import human_bytes

if TYPE_CHECKING:
    from composegen.facts import Fact, ServiceFacts
    from composegen.models.footprint import ModelFootprint

CODE = "CG302"
NAME = "llm-weights-exceed-limit"
SEVERITY = Severity.error


#: vLLM's `--dtype` values, as composegen's dtypes; `auto` is the checkpoint's own: 16-bit for the
#: models composegen knows.
DTYPES = {"auto": "bf16", "half": "fp16", "float16": "fp16", "bfloat16": "bf16", "float": "fp32", "float32": "fp32"}
#: The LLM servers whose `model` setting names the model they load.
SERVERS = ("vllm", "tgi", "llama.cpp")


def served_model(facts: ServiceFacts | None) -> tuple[ModelFootprint, Fact] | None:
    """The model a server's command loads, where composegen knows its size (and no quantization
    makes its bytes per parameter unknown); None otherwise."""
    if facts is None:
        return None
    from composegen.models.footprint import ModelFootprint
    from composegen.sizing.catalog import BYTES_PER_PARAM, known_model

    for program in SERVERS:
        model = facts.get("model", program)
        if model is None or model.status != "read" or facts.get("quantization", program) is not None:
            continue
        known = known_model(str(model.value))
        dtype = DTYPES.get(str(facts.value("dtype", program) or "auto").lower())
        if known is None or dtype is None:
            continue
        footprint = ModelFootprint(
            known.name, known.params, dtype, BYTES_PER_PARAM[dtype], known.kv_bytes_per_token, "facts/sizing.md"
        )
        return footprint, model
    return None


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for name, service in services_in_role(ctx, "llm"):
        inputs = ctx.inputs.get(name)
        if inputs is None or inputs.role != "llm":
            continue
        limit = memory_limit(name, service)
        if limit is None or gets_gpu(service):
            continue  # a service given GPUs keeps its weights in VRAM: CG311 and CG312 judge them
        from composegen.sizing.ml import weights  # lazy: only for an llm service with a limit

        footprints, read_from = inputs.models, ""
        if not footprints:
            served = served_model(ctx.facts(name))
            if served is None:
                continue
            footprints, read_from = (served[0],), f" ({cited_briefly(served[1])})"
        w = weights(footprints)
        models = " + ".join(
            f"{m.name} {m.dtype}{read_from} ({m.params / 1e9:.2f}B params × {m.bytes_per_param:g} bytes = "
            f"{human_bytes(m.params * m.bytes_per_param)})"
            for m in footprints
        )
        if w.value > limit.value:
            yield Violation(
                limit.path,
                f"service {name!r}: the weights alone, {models}"
                + (f" = {human_bytes(w.value)}" if len(footprints) > 1 else "")
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
