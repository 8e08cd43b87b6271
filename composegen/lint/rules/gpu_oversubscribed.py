"""gpu-oversubscribed (CG313): services on one GPU whose memory budgets add up above it.

What it does:
    Places each service that reserves GPUs on its devices: `device_ids` are those GPUs; a
    `count: N` gets the first N (docker's NVIDIA runtime hands `count` requests the GPUs in
    order, so two `count: 1` services share GPU 0); `count: all` gets every GPU. On each GPU it
    adds what the services take: vLLM and TGI take their budget whatever they serve
    (`--gpu-memory-utilization`, 0.9 by default; `--cuda-memory-fraction`, 1.0), other engines
    whose model composegen knows take their estimate (weights, KV cache, overhead). It flags
    a GPU where the sum is above its memory (`host.gpus` in composegen.yaml), or, with no
    memory given, where the budgets' shares add up above 1.

Why is this bad?
    vLLM sizes its KV cache from the memory it sees as free when it starts: the second server on
    the GPU finds the first's budget taken and fails ("No available memory for the cache
    blocks"), or each OOMs under load, depending on which starts first.

Example:
    ```yaml
    services:
      chat:
        image: vllm/vllm-openai:v0.6.3
        command: --model meta-llama/Llama-3.1-8B-Instruct
        deploy: {resources: {reservations: {devices: [{driver: nvidia, count: 1, capabilities: [gpu]}]}}}
      embed:
        image: vllm/vllm-openai:v0.6.3
        command: --model BAAI/bge-m3
        deploy: {resources: {reservations: {devices: [{driver: nvidia, count: 1, capabilities: [gpu]}]}}}
    ```

Use instead:
    ```yaml
    services:
      chat:
        image: vllm/vllm-openai:v0.6.3
        command: --model meta-llama/Llama-3.1-8B-Instruct --gpu-memory-utilization 0.6
        deploy: {resources: {reservations: {devices: [{driver: nvidia, device_ids: ["0"], capabilities: [gpu]}]}}}
      embed:
        image: vllm/vllm-openai:v0.6.3
        command: --model BAAI/bge-m3 --gpu-memory-utilization 0.3
        deploy: {resources: {reservations: {devices: [{driver: nvidia, device_ids: ["0"], capabilities: [gpu]}]}}}
    ```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import gpu_reservation, host_gpus, is_fragment, serving_plan, size_text

CODE = "CG313"
NAME = "gpu-oversubscribed"
SEVERITY = Severity.error


def devices(reserved_ids: tuple[str, ...], count: int | None, host_count: int) -> tuple[str, ...]:
    if reserved_ids:
        return reserved_ids
    return tuple(str(i) for i in range(host_count if count is None else count))


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    host = host_gpus(ctx)
    on: dict[str, list[tuple[str, float, str]]] = {}  # device → (service, bytes or share, how)
    for name, service in ctx.services():
        if "deploy" not in service and "gpus" not in service:  # no GPU reserved: most services
            continue
        reserved = gpu_reservation(service)
        if reserved is None or is_fragment(ctx, service):
            continue
        from composegen.sizing.engines import engine_of  # lazy: only for a service that reserves a GPU

        engine = engine_of(ctx.facts(name))
        if engine is None:
            continue
        share = engine.budget_share
        if host is None:
            if share is None:
                continue
            amount, how = share.number, f"{share.number:g} ({share.where})"
        elif share is not None:
            amount, how = share.number * host.memory, f"{size_text(share.number * host.memory)} ({share.where})"
        else:
            found = serving_plan(ctx, name, service)
            if found is None:
                continue
            amount, how = found.per_gpu.needed, f"{size_text(found.per_gpu.needed)} (its estimate)"
        for device in devices(reserved.device_ids, reserved.number, host.number if host is not None else 1):
            on.setdefault(device, []).append((name, amount, how))
    limit = host.memory if host is not None else 1.0
    for device, users in on.items():
        if len(users) < 2 or sum(u[1] for u in users) <= limit:
            continue
        listed = " + ".join(f"{user} {how}" for user, _, how in users)
        total = sum(u[1] for u in users)
        above = f"{size_text(total)} > {host.text}" if host is not None else f"{total:g} of the GPU's memory"
        for user, _, _ in users:
            yield Violation(
                ("services", user, "deploy", "resources", "reservations", "devices"),
                f"service {user!r}: GPU {device} is shared by {listed} = {above}: the last to start "
                "finds no memory for its KV cache; pin each to its own GPU (device_ids) or lower "
                "their budgets (--gpu-memory-utilization) to add up below 1",
                service=user,
            )
