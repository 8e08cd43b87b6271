"""model-exceeds-gpu (CG311): a served model whose weights fit no GPU the service gets.

What it does:
    For a service running vLLM, TGI, llama.cpp's server or Ollama whose model composegen knows
    (the engine's `--model`/`-m`, or composegen.yaml's `models:`), computes the weights on each
    GPU: params × bits per weight (the engine's quantization or dtype, the model's name
    `-AWQ`/`.Q4_K_M.gguf`, or 16 bits; llama.cpp's table for GGUF), split over the tensor-parallel
    GPUs (vLLM `-tp`, TGI `--num-shard`) or the GPUs reserved (llama.cpp, Ollama), with the
    engine's own overhead (a CUDA context; vLLM's profiled activations; Ollama's 457 MiB per GPU
    and its graph). It flags the service when that is above the memory of one GPU: the host's
    (`host.gpus` in composegen.yaml; for vLLM and TGI, the share their memory budget takes), or,
    when composegen.yaml gives none, that of the largest GPU that exists (composegen's table).
    For llama.cpp with `-ngl` below the model's layers, only the layers on the GPU count. The
    models of compose's top-level `models:` (Docker Model Runner: llama.cpp on the host's GPU,
    Q4_K_M unless the tag says otherwise) are checked the same way.

Why is this bad?
    vLLM and TGI fail at start with CUDA out of memory while loading the weights; Ollama and
    llama.cpp keep what does not fit on the CPU, many times slower. A 405B model in fp16 is
    756 GiB: no single GPU holds it, so `count: 1` cannot serve it.

Example:
    ```yaml
    services:
      llm:
        image: vllm/vllm-openai:v0.6.3
        command: --model meta-llama/Llama-3.1-405B-Instruct
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
        command: --model meta-llama/Llama-3.1-405B-Instruct-FP8 --tensor-parallel-size 8
        deploy:
          resources:
            reservations:
              devices: [{driver: nvidia, count: 8, capabilities: [gpu]}]
    ```
    or a smaller or quantized model.
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

CODE = "CG311"
NAME = "model-exceeds-gpu"
SEVERITY = Severity.error


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    host = host_gpus(ctx)
    for name, service in llm_services(ctx):  # serving_plan is None for every other service
        found = serving_plan(ctx, name, service) if not is_fragment(ctx, service) else None
        if found is not None:
            yield from judge(("services", name), f"service {name!r}", name, found, host)
    for name, found in model_runner_plans(ctx):
        yield from judge(("models", name), f"model {name!r} (Docker Model Runner)", None, found, host)


def judge(path: KeyPath, who: str, service: str | None, found: Plan, host: HostGpus | None) -> Iterator[Violation]:
    from composegen.gpu_table import GPU_MEMORY, LARGEST_GPU

    need = found.per_gpu
    loaded = need.weights + need.overhead
    if host is not None:
        share = found.engine.budget_share.number if found.engine.budget_share is not None else 1.0
        room = host.memory * share
        room_text = f"one of the host's GPUs, {host.text}" + (
            f", of which {found.engine.name} takes {share:g} ({found.engine.budget_share.where})"
            if found.engine.budget_share is not None
            else ""
        )
    else:
        room = GPU_MEMORY[LARGEST_GPU]
        room_text = f"the largest GPU there is ({LARGEST_GPU}, {size_text(room)}; composegen.yaml names no host.gpus)"
    if loaded <= room:
        return
    split = f" ÷ {found.gpus} GPUs" if found.gpus > 1 else " on one GPU"
    offloads = found.engine.engine in ("ollama", "llama.cpp", "model-runner")
    yield Violation(
        path,
        f"{who}: {found.arch.name} at {found.bits:.2f} bits per weight ({found.bits_why}) is "
        f"{size_text(need.weights * found.gpus)} of weights{split} = {size_text(need.weights)} + "
        f"{size_text(need.overhead)} of {found.engine.name}'s overhead, above {room_text}: "
        + (
            "what does not fit runs on the CPU; quantize, or reserve more GPUs"
            if offloads
            else "it fails loading them; quantize, or split it over more GPUs (--tensor-parallel-size)"
        ),
        service=service,
        severity=Severity.warning if offloads else None,
    )
