"""kv-cache-exceeds-gpu (CG312): the KV cache at the engine's max context does not fit beside the weights.

What it does:
    For an LLM serving engine whose model composegen knows, on a host whose GPUs composegen.yaml
    declares (`host.gpus`), computes the KV cache = 2 × layers × KV heads × head dim × bytes per
    element (the engine's KV dtype: fp16, fp8, q8_0, q4_0) × the context: vLLM's
    `--max-model-len` (default: the model's max positions) for one sequence, TGI's
    `--max-total-tokens`, llama.cpp's `-c` (all its `-np` slots together), Ollama's
    OLLAMA_CONTEXT_LENGTH × OLLAMA_NUM_PARALLEL, a top-level `models:` entry's `context_size`
    (Docker Model Runner). It flags the service when that cache does not
    fit in what the weights and the engine's overhead leave of its budget on each GPU (vLLM:
    `--gpu-memory-utilization` × the GPU's memory), and says the largest context that fits.
    A model too large for the GPU at all is CG311's.

    With or without GPUs, it also warns about llama.cpp's server run without `-c` (nor
    LLAMA_ARG_CTX_SIZE, nor composegen.yaml's `context_length`, which the overlay writes as
    LLAMA_ARG_CTX_SIZE) on a model whose training context makes the KV cache larger than the
    weights: llama.cpp's default `-c` is that whole context (common/common.h `n_ctx = 0`, "0 ==
    context the model was trained with"), for each slot without a unified KV cache; composegen
    sizes for it, and the cure is an explicit `-c`.

Why is this bad?
    vLLM refuses to start ("... KV cache is needed, which is larger than the available KV cache
    memory"); Ollama and llama.cpp move layers to the CPU and slow down many times. The cure is
    a setting: a shorter context, fewer parallel sequences, or an 8-bit KV cache. llama.cpp
    without `-c` reserves the KV cache of the model's whole training context (128K tokens, 16 GiB
    for Llama 3.1 8B) however short its prompts are, and its limit must hold it.

Example:
    ```yaml
    # composegen.yaml: host: {memory: 64G, cpus: 16, gpus: {count: 1, model: L4}}
    services:
      llm:
        image: vllm/vllm-openai:v0.6.3
        command: --model meta-llama/Llama-3.1-8B-Instruct
        deploy:
          resources:
            reservations:
              devices: [{driver: nvidia, count: 1, capabilities: [gpu]}]
    ```

Use instead:
    ```yaml
    services:
      llm:
        image: vllm/vllm-openai:v0.6.3
        command: --model meta-llama/Llama-3.1-8B-Instruct --max-model-len 16384
        deploy:
          resources:
            reservations:
              devices: [{driver: nvidia, count: 1, capabilities: [gpu]}]
    ```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import (
    HostGpus,
    host_gpus,
    is_fragment,
    llm_services,
    model_runner_plans,
    serving_plan,
    size_text,
)
from composegen.yamlio import KeyPath

if TYPE_CHECKING:
    from composegen.sizing.engines import Plan

CODE = "CG312"
NAME = "kv-cache-exceeds-gpu"
SEVERITY = Severity.error

#: The setting that bounds the context, as each engine names it.
CONTEXT_SETTING = {
    "vllm": "--max-model-len",
    "tgi": "--max-total-tokens",
    "llama.cpp": "-c",
    "ollama": "OLLAMA_CONTEXT_LENGTH",
    "model-runner": "context_size",
}


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    host = host_gpus(ctx)
    for name, service in llm_services(ctx):  # serving_plan is None for every other service
        found = serving_plan(ctx, name, service) if not is_fragment(ctx, service) else None
        if found is None:
            continue
        judged = list(judge(("services", name), f"service {name!r}", name, found, host)) if host is not None else []
        yield from judged or context_unset(name, found)
    if host is None:
        return
    for name, found in model_runner_plans(ctx):
        yield from judge(("models", name), f"model {name!r} (Docker Model Runner)", None, found, host)


#: The context the advice prices, as an example of an explicit `-c`.
EXAMPLE_CONTEXT = 8192


def context_unset(service: str, found: Plan) -> Iterator[Violation]:
    """llama.cpp's server without `-c`, whose default (the training context) makes the KV cache
    larger than the weights."""
    from composegen.sizing.serving import kv_cache_bytes, llama_cpp_cells, weights_bytes

    engine = found.engine
    if engine.engine != "llama.cpp" or engine.context.value is not None:
        return
    slots = max(1, int(engine.sequences.number))
    kv = kv_cache_bytes(found.arch, found.kv_bytes, llama_cpp_cells(found.context, slots, engine.unified))
    weights = weights_bytes(found.arch.params, found.bits)
    if kv <= weights:
        return
    example = kv_cache_bytes(found.arch, found.kv_bytes, EXAMPLE_CONTEXT)
    yield Violation(
        ("services", service),
        f"service {service!r} runs llama.cpp's server without -c: its default is {found.arch.name}'s training "
        f"context ({found.context} tokens; {engine.context.where}; {slots} slots, {engine.sequences.where}), "
        f"whose KV cache ({size_text(kv)}, KV {found.kv_why}) is above the weights ({size_text(weights)}) "
        f"and held however short the prompts are: set -c to the context the clients need "
        f"(-c {EXAMPLE_CONTEXT}: {size_text(example)})",
        service=service,
        severity=Severity.warning,
    )


def judge(path: KeyPath, who: str, service: str | None, found: Plan, host: HostGpus) -> Iterator[Violation]:
    from composegen.sizing.serving import kv_per_token, largest_context

    need = found.per_gpu
    engine = found.engine
    share = engine.budget_share.number if engine.budget_share is not None else 1.0
    room = host.memory * share - need.weights - need.overhead
    if room <= 0:
        return  # the weights do not fit: CG311
    sequences = 1 if engine.engine != "ollama" else max(1, int(engine.sequences.number))
    kv = found.one_sequence_kv * sequences
    if kv + need.graph <= room:
        return
    per_token = kv_per_token(found.arch, found.kv_bytes) / found.gpus * sequences
    # the graph grows with the context too (Ollama's estimate): the context that fits, with it
    graph_per_token = need.graph / max(1, found.context)
    fits = largest_context(room, per_token + graph_per_token)
    context_where = engine.context.where
    if engine.engine == "ollama" and sequences > 1:
        context_where += f" × {sequences} parallel ({engine.sequences.where})"
    yield Violation(
        path,
        f"{who}: the KV cache at {found.context} tokens ({context_where}; KV {found.kv_why}) is "
        f"{size_text(kv)} per GPU"
        + (f" (+ {size_text(need.graph)} of {engine.name}'s compute graph)" if need.graph else "")
        + f", above the {size_text(room)} that {engine.name}'s budget leaves beside "
        f"{size_text(need.weights)} of weights and {size_text(need.overhead)} of overhead on {host.text}: "
        f"set {CONTEXT_SETTING[engine.engine]} to {fits} or less, or an 8-bit KV cache",
        service=service,
        severity=Severity.warning if engine.engine in ("ollama", "llama.cpp", "model-runner") else None,
    )
