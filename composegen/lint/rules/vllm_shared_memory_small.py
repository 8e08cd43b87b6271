"""vllm-shared-memory-small (CG315): vLLM without `ipc: host` or a large `shm_size`.

What it does:
    Flags a service that runs vLLM (its command, or the vllm/vllm-openai image; composegen.facts)
    with neither `ipc: host` nor a `shm_size` of at least 1 GiB (or a tmpfs of that size at
    /dev/shm).

Why is this bad?
    vLLM's Docker guide: "You can either use the `ipc=host` flag or `--shm-size` flag to allow
    the container to access the host's shared memory. vLLM uses PyTorch, which uses shared memory
    to share data between processes under the hood, particularly for tensor parallel inference."
    Docker gives a container 64 MiB of /dev/shm: workers die with bus errors or NCCL failures
    once tensors pass through it.

Example:
    ```yaml
    services:
      llm:
        image: vllm/vllm-openai:v0.6.3
        command: --model meta-llama/Llama-3.1-8B-Instruct --tensor-parallel-size 2
    ```

Use instead:
    ```yaml
    services:
      llm:
        image: vllm/vllm-openai:v0.6.3
        command: --model meta-llama/Llama-3.1-8B-Instruct --tensor-parallel-size 2
        shm_size: 8g
    ```

    `ipc: host` passes too (the guide's other way), but it shares the host's IPC namespace,
    which host-namespace (CG506) reports.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import as_bytes, is_fragment, llm_services, tmpfs_mounts
from composegen.units import GIB

CODE = "CG315"
NAME = "vllm-shared-memory-small"
SEVERITY = Severity.warning
SEVERITY_BY_USAGE = {"dev": Severity.info, "pytest": Severity.info}

#: The least /dev/shm composegen accepts for vLLM: TGI's and vLLM's guides use 1g and more.
LEAST = 1 * GIB


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for name, service in llm_services(ctx):
        facts = ctx.facts(name)
        if facts is None or "vllm" not in facts.programs or is_fragment(ctx, service):
            continue
        if service.get("ipc") == "host":
            continue
        raw = service.get("shm_size")
        size = as_bytes(raw) if raw is not None else None
        if raw is not None and size is None:
            continue  # unresolved: nothing to judge
        shm = [m for m in tmpfs_mounts(name, service) if m.target == "/dev/shm" and m.size is not None]
        if (size or 0) >= LEAST or any((m.size or 0) >= LEAST for m in shm):
            continue
        said = f"shm_size {raw}" if raw is not None else "docker's 64 MiB /dev/shm (no shm_size, no ipc: host)"
        yield Violation(
            ("services", name, "shm_size") if raw is not None else ("services", name),
            f"service {name!r} runs vLLM with {said}: PyTorch passes tensors between vLLM's processes "
            "through /dev/shm; set `shm_size: 8g` (vLLM's Docker guide; its other way, `ipc: host`, "
            "shares the host's IPC namespace: CG506)",
            service=name,
        )
