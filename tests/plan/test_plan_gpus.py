"""`composegen plan` places services that reserve GPUs on hosts with GPUs free (issue 15 item 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from composegen.errors import InputError
from composegen.plan.capacity import PlanRequest, build_plan, parse_host
from composegen.sizing.quantity import given

COMPOSE = """services:
  llm:
    image: vllm/vllm-openai:v0.6.3
    command: --model meta-llama/Llama-3.1-8B-Instruct --max-model-len 8192
    ipc: host
    deploy:
      resources:
        reservations:
          devices: [{driver: nvidia, count: 1, capabilities: [gpu]}]
  web:
    image: nginx:1.27.1
"""


def test_a_gpu_service_goes_to_the_gpu_host(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(COMPOSE)
    plan = build_plan(PlanRequest("dev", None, tmp_path, hosts=("64g/16", "64g/16+1gpu")))
    where = {item.service: b.host.label for b in plan.bins for item in b.items}
    assert where["llm"] == "64G/16+1gpu"
    assert plan.fits


def test_host_gpus_come_from_composegen_yaml(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(COMPOSE)
    (tmp_path / "composegen.yaml").write_text("host: {memory: 64G, cpus: 16, gpus: {count: 2, model: L4}}\n")
    plan = build_plan(PlanRequest("dev", None, tmp_path))
    assert plan.hosts[0].gpus == 2 and plan.fits


def test_no_gpu_host_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(COMPOSE)
    with pytest.raises(InputError, match=r"one replica of llm needs .* \(1 GPUs\), more than any host has"):
        build_plan(PlanRequest("dev", None, tmp_path, hosts=("64g/16",)))


def test_host_text_takes_gpus() -> None:
    reserve = given("host reserve", 2**30, "bytes", "test")
    assert parse_host("256g/32+8gpu", reserve).gpus == 8
    assert parse_host("256g/32/4g+1gpus", reserve).gpus == 1
    assert parse_host("64g/16", reserve).gpus == 0
