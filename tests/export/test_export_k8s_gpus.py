"""`composegen export k8s`: GPUs a compose service reserves become `nvidia.com/gpu` in its
container's limits and requests (issue 15 item 4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from composegen.export import k8s
from composegen.render.overlay import plan

VLLM = (
    "    image: vllm/vllm-openai:v0.6.3\n"
    "    command: --model meta-llama/Llama-3.1-8B-Instruct --max-model-len 8192\n"
    "    ipc: host\n"
)


def _resources(folder: Path, service: str) -> dict[str, Any]:
    exported = k8s.export_k8s(plan("dev", None, folder))
    for doc in yaml.safe_load_all(k8s.stream_text(exported)):
        if doc and doc.get("kind") in ("Deployment", "StatefulSet") and doc["metadata"]["name"] == service:
            resources: dict[str, Any] = doc["spec"]["template"]["spec"]["containers"][0]["resources"]
            return resources
    raise AssertionError(f"no workload {service}")


@pytest.mark.parametrize(
    ("reservation", "project", "gpus"),
    [
        (
            "    deploy: {resources: {reservations: {devices: [{driver: nvidia, count: 2, capabilities: [gpu]}]}}}\n",
            "",
            "2",
        ),
        ("    gpus: all\n", "host: {memory: 256G, cpus: 32, gpus: {count: 4, model: A100}}\n", "4"),
        ("    gpus: [{driver: nvidia, device_ids: ['0', '1', '2']}]\n", "", "3"),
    ],
)
def test_gpus_reserved_in_compose_are_requested_and_limited(
    tmp_path: Path, reservation: str, project: str, gpus: str
) -> None:
    (tmp_path / "docker-compose.yml").write_text("services:\n  llm:\n" + VLLM + reservation)
    if project:
        (tmp_path / "composegen.yaml").write_text("compose_files: [docker-compose.yml]\n" + project)
    resources = _resources(tmp_path, "llm")
    assert resources["limits"]["nvidia.com/gpu"] == gpus
    assert resources["requests"]["nvidia.com/gpu"] == gpus


def test_a_service_without_gpus_asks_for_none(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text("services:\n  llm:\n" + VLLM)
    resources = _resources(tmp_path, "llm")
    assert "nvidia.com/gpu" not in resources["limits"]
