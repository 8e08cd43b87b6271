"""gpu-reservation-missing (CG310): an inference engine that reserves no GPU.

What it does:
    Flags a service that runs vLLM or text-generation-inference (its command or image;
    composegen.facts), or llama.cpp's server with a CUDA/ROCm image or `-ngl`, or Ollama on a host
    whose GPUs composegen.yaml declares (`host.gpus`), when it reserves no GPU: no
    `deploy.resources.reservations.devices` entry with `capabilities: [gpu]` (or a GPU driver),
    no `gpus:`, no GPU device (ROCm's `/dev/kfd` and `/dev/dri`, a CDI name such as
    `nvidia.com/gpu=all`) and no `runtime: nvidia`. An image built for the CPU (`cpu` in its
    name or tag) is left alone.

Why is this bad?
    Docker hands a container no GPU unless it asks for one. vLLM and TGI then fail at start
    ("No CUDA GPUs are available"); llama.cpp and Ollama fall back to the CPU, an order of
    magnitude slower, and put the weights and KV cache in the container's RAM instead of VRAM.

Example:
    ```yaml
    services:
      llm:
        image: vllm/vllm-openai:v0.6.3
        command: --model meta-llama/Llama-3.1-8B-Instruct
    ```

Use instead:
    ```yaml
    services:
      llm:
        image: vllm/vllm-openai:v0.6.3
        command: --model meta-llama/Llama-3.1-8B-Instruct
        deploy:
          resources:
            reservations:
              devices:
                - {driver: nvidia, count: 1, capabilities: [gpu]}
    ```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import gets_gpu, host_gpus, is_fragment, llm_services, wants_gpu

CODE = "CG310"
NAME = "gpu-reservation-missing"
SEVERITY = Severity.warning


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for name, service in llm_services(ctx):
        if gets_gpu(service):
            continue
        if is_fragment(ctx, service):
            continue
        why = wants_gpu(ctx.facts(name), host_gpus(ctx) is not None)
        if why is None:
            continue
        yield Violation(
            ("services", name),
            f"service {name!r} runs {why}, but reserves none: docker gives it no GPU; add "
            "deploy.resources.reservations.devices: [{driver: nvidia, count: 1, capabilities: [gpu]}]",
            service=name,
        )
