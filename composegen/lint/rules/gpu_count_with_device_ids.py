"""gpu-count-with-device-ids (CG314): a GPU request that sets both `count` and `device_ids`.

What it does:
    Flags a device request under `deploy.resources.reservations.devices` (or `gpus:`) that sets
    both `count` and `device_ids`.

Why is this bad?
    The compose specification makes them exclusive ("`count` and `device_ids` fields are
    mutually exclusive. Compose returns an error if both are specified"): `docker compose up`
    refuses the file, and a reader cannot tell which GPUs the service was meant to get.

Example:
    ```yaml
    services:
      llm:
        image: vllm/vllm-openai:v0.6.3
        deploy:
          resources:
            reservations:
              devices:
                - {driver: nvidia, count: 1, device_ids: ["0"], capabilities: [gpu]}
    ```

Use instead:
    ```yaml
    services:
      llm:
        image: vllm/vllm-openai:v0.6.3
        deploy:
          resources:
            reservations:
              devices:
                - {driver: nvidia, device_ids: ["0"], capabilities: [gpu]}
    ```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import dig, services_with

CODE = "CG314"
NAME = "gpu-count-with-device-ids"
SEVERITY = Severity.error


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for name, service in services_with(ctx, "deploy", "gpus"):  # no GPU request: most services
        lists = (
            (
                ("deploy", "resources", "reservations", "devices"),
                dig(service, "deploy", "resources", "reservations", "devices"),
            ),
            (("gpus",), service.get("gpus")),
        )
        for keys, entries in lists:
            for index, entry in enumerate(entries if isinstance(entries, list) else ()):
                if isinstance(entry, Mapping) and "count" in entry and "device_ids" in entry:
                    yield Violation(
                        ("services", name, *keys, index, "count"),
                        f"service {name!r}: a GPU request sets both count ({entry['count']}) and device_ids: "
                        "compose refuses them together; keep device_ids to pin GPUs, or count for any",
                        service=name,
                    )
