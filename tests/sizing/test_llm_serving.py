"""LLM serving engines and GPUs (issue 15 items 3-4): the math of composegen.sizing.serving, the
GPU table and reservations, and render's plan for the cases in llm_serving_cases.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from composegen import gpu_table
from composegen.render.overlay import plan
from composegen.sizing import gpus, serving
from composegen.sizing.quantity import Quantity
from composegen.units import GIB, KIB, MIB
from composegen.yamlio import read_document

CASES: list[dict[str, Any]] = read_document(Path(__file__).parent / "llm_serving_cases.yaml").data["cases"]


def size(text: str) -> float:
    amount, unit = text.split()
    return float(amount) * {"GiB": GIB, "MiB": MIB}[unit]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_render_plans_llm_servers(tmp_path: Path, case: dict[str, Any]) -> None:
    (tmp_path / "docker-compose.yml").write_text(case["compose"])
    if "project" in case:
        (tmp_path / "composegen.yaml").write_text("compose_files: [docker-compose.yml]\n" + case["project"])
    service = plan("dev", None, tmp_path).stack.service(case["service"])
    assert service is not None
    working = service.sizing.memory.value / 1.2  # the dev profile's margin (shm_size rides on top)
    if "memory_below" in case:
        assert working < size(case["memory_below"]), working / GIB
    if "memory_above" in case:
        assert working > size(case["memory_above"]), working / GIB
    for name, expected in case.get("extra", {}).items():
        assert service.sizing.extra[name].value == pytest.approx(size(expected), rel=1e-3), name
    env = {e.key: e.value for e in service.environment}
    for key, value in case.get("env", {}).items():
        assert env.get(key) == value, (key, env)
    if "gpus" in case:
        assert service.gpus == case["gpus"]
    if "shm" in case:
        assert service.sizing.shm_size is not None
        assert service.sizing.shm_size.value == size(case["shm"])


@pytest.mark.parametrize(
    ("fmt", "bits"),
    [
        ("fp16", 16),
        ("bf16", 16),
        ("fp8", 8),
        ("int8", 8),
        ("awq", 4.15625),
        ("GPTQ", 4.15625),
        ("Q4_0", 4.5),
        ("q8_0", 8.5008),
        ("Q4_K_M", 4.8944),
        ("q6_k", 6.5633),
        ("fp8_e4m3", 8),
        ("unheard-of", None),
    ],
)
def test_bits_per_weight(fmt: str, bits: float | None) -> None:
    assert serving.weight_bits(fmt) == bits


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("Qwen/Qwen2.5-7B-Instruct-AWQ", "awq"),
        ("/models/llama-3-8b.Q4_K_M.gguf", "q4_k_m"),
        ("llama3.1:8b-instruct-q8_0", "q8_0"),
        ("meta-llama/Llama-3.1-8B-Instruct", None),
    ],
)
def test_format_from_a_models_name(name: str, fmt: str | None) -> None:
    assert serving.format_in_name(name) == fmt


def test_kv_cache_is_two_layers_kv_heads_head_dim_bytes_tokens() -> None:
    arch = serving.architecture("llama3-8b")
    assert arch is not None
    assert serving.kv_per_token(arch, 2.0) == 128 * KIB  # facts/sizing.md: Llama-3-8B 128 KiB fp16
    assert serving.kv_cache_bytes(arch, serving.KV_BYTES["fp8"], 8192, 4) == 8192 * 4 * 64 * KIB
    assert serving.KV_BYTES["q8_0"] == 34 / 32 and serving.KV_BYTES["q4_0"] == 18 / 32
    mla = serving.architecture("deepseek-v3")  # MLA: one latent of 512 + 64 per layer
    assert mla is not None and serving.kv_per_token(mla, 2.0) == 61 * 576 * 2


@pytest.mark.parametrize(
    ("name", "found"),
    [
        ("llama3.1:8b", "meta-llama/Llama-3.1-8B"),
        ("llama3.1:70b-instruct-q4_K_M", "meta-llama/Llama-3.1-70B-Instruct"),
        ("deepseek-ai/DeepSeek-V3", "deepseek-ai/DeepSeek-V3"),
        ("/models/Meta-Llama-3-8B.Q8_0.gguf", "meta-llama/Meta-Llama-3-8B"),
        ("acme/unknown", None),
    ],
)
def test_architecture_by_name_tag_or_file(name: str, found: str | None) -> None:
    arch = serving.architecture(name)
    assert (arch.name if arch is not None else None) == found


def test_gpu_table_by_name() -> None:
    assert gpu_table.gpu_memory("NVIDIA H100 80GB") == 80 * GIB
    assert gpu_table.gpu_memory("RTX 4090") == 24 * GIB
    assert gpu_table.gpu_memory("a100-40gb") == 40 * GIB
    assert gpu_table.gpu_memory("Voodoo 5") is None


@pytest.mark.parametrize(
    ("service", "number", "ids"),
    [
        (
            {
                "deploy": {
                    "resources": {
                        "reservations": {"devices": [{"driver": "nvidia", "count": 2, "capabilities": ["gpu"]}]}
                    }
                }
            },
            2,
            (),
        ),
        (
            {
                "deploy": {
                    "resources": {"reservations": {"devices": [{"capabilities": ["gpu"], "device_ids": ["1", "3"]}]}}
                }
            },
            0,
            ("1", "3"),
        ),
        ({"deploy": {"resources": {"reservations": {"devices": [{"driver": "nvidia", "count": "all"}]}}}}, None, ()),
        ({"deploy": {"resources": {"reservations": {"devices": [{"driver": "nvidia"}]}}}}, None, ()),
        ({"gpus": "all"}, None, ()),
        ({"gpus": [{"driver": "nvidia", "count": 1}]}, 1, ()),
    ],
)
def test_gpu_reservations_read(service: dict[str, Any], number: int | None, ids: tuple[str, ...]) -> None:
    assert gpus.reservation(service) == gpus.Reservation(number, ids)


def test_no_gpu_reserved() -> None:
    assert gpus.reservation({"image": "nginx"}) is None
    assert (
        gpus.reservation({"deploy": {"resources": {"reservations": {"devices": [{"capabilities": ["tpu"]}]}}}}) is None
    )


def test_the_overlay_writes_the_gpu_reservation_compose_reads(tmp_path: Path) -> None:
    from composegen.compose.stack import load_stack
    from composegen.render.overlay import render_planned

    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  llm:\n    image: vllm/vllm-openai:v0.6.3\n    command: --model llama3-8b -tp 2\n"
    )
    (tmp_path / "composegen.yaml").write_text("host: {memory: 128G, cpus: 32, gpus: {count: 4, model: L40S}}\n")
    out = tmp_path / "docker-compose.dev.yml"
    out.write_text(render_planned(plan("dev", None, tmp_path), out))
    merged = load_stack([tmp_path / "docker-compose.yml", out])
    llm = merged.services["llm"]
    assert gpus.reservation(llm) == gpus.Reservation(2, ())
    assert llm["shm_size"] == "2G"


def test_the_overlay_reserves_no_nvidia_gpu_for_a_gpu_handed_over_as_a_device(tmp_path: Path) -> None:
    """vLLM on ROCm (OPEA's ChatQnA, tests/lint/corpus2) gets its GPUs as /dev/kfd and /dev/dri:
    an NVIDIA device request beside them keeps it from starting on an AMD host."""
    from composegen.compose.stack import load_stack
    from composegen.render.overlay import render_planned

    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  llm:\n    image: rocm/vllm:rocm6.3.1_vllm_0.8.5\n"
        "    command: vllm serve Qwen/Qwen2.5-0.5B-Instruct\n    shm_size: 8g\n    devices: [/dev/kfd, /dev/dri]\n"
    )
    (tmp_path / "composegen.yaml").write_text("host: {memory: 64G, cpus: 16, gpus: {count: 1, model: MI300X}}\n")
    out = tmp_path / "docker-compose.prod.yml"
    out.write_text(render_planned(plan("prod", None, tmp_path), out))
    merged = load_stack([tmp_path / "docker-compose.yml", out])
    assert gpus.reservation(merged.services["llm"]) is None
    assert gpus.gpu_handed_over(merged.services["llm"]) == "device /dev/kfd"


@pytest.mark.parametrize(
    ("service", "how"),
    [
        ({"devices": ["/dev/kfd:/dev/kfd", "/dev/dri:/dev/dri"]}, "device /dev/kfd"),
        ({"devices": ["/dev/dri/renderD128:/dev/dri/renderD128:rwm"]}, "device /dev/dri/renderD128"),
        ({"devices": [{"source": "/dev/nvidia0", "target": "/dev/nvidia0"}]}, "device /dev/nvidia0"),
        ({"devices": ["nvidia.com/gpu=all"]}, "device nvidia.com/gpu=all"),
        ({"runtime": "nvidia"}, "runtime: nvidia"),
        ({"devices": ["/dev/fuse", "/dev/snd:/dev/snd", "/dev/driver"], "runtime": "runc"}, None),
        ({"image": "nginx"}, None),
    ],
)
def test_gpus_handed_over_read(service: dict[str, Any], how: str | None) -> None:
    assert gpus.gpu_handed_over(service) == how


@pytest.mark.parametrize("stack", ["ollama", "vllm"])
def test_the_llm_examples_overlays_are_current(stack: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from composegen.render.overlay import render_planned

    monkeypatch.setenv("HF_TOKEN", "hf_example")
    folder = Path(__file__).resolve().parents[2] / "examples" / "llm" / stack
    out = folder / "docker-compose.prod.yml"
    assert render_planned(plan("prod", None, folder), out) == out.read_text(), f"re-render examples/llm/{stack}"


def test_an_ollama_pull_beside_the_server_is_sized_as_a_client(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  pull:\n    image: ollama/ollama:0.5.7\n    command: [pull, 'llama3.1:8b']\n"
    )
    service = plan("prod", None, tmp_path).stack.service("pull")
    assert service is not None and service.memory_limit.value < 1 * GIB


def test_llm_servers_keep_their_images_user_and_writable_root(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text("services:\n  ollama:\n    image: ollama/ollama:0.5.7\n")
    (tmp_path / "composegen.yaml").write_text("services: {ollama: {models: [{name: 'llama3.1:8b'}]}}\n")
    service = plan("prod", None, tmp_path).stack.service("ollama")
    assert service is not None
    assert not service.hardening.read_only and service.hardening.user is None


def test_int4_on_an_engine_that_serves_gguf_is_a_gguf_type() -> None:
    from composegen.sizing.engines import Engine, Setting, bits_per_weight

    def engine(name: str, model: str) -> Engine:
        one = Setting(1, "test")
        return Engine(name, Setting(model, "test"), None, Setting("f16", "test"), one, one, one, None, None, None)

    assert bits_per_weight(engine("ollama", "llama3.1:8b"), "int4")[0] == 4.8944  # Q4_K_M, its default tags
    assert bits_per_weight(engine("llama.cpp", "/m/llama3-8b.Q4_0.gguf"), "int4")[0] == 4.5  # the file says
    assert bits_per_weight(engine("vllm", "llama3-8b"), "int4")[0] == 4.0
    assert bits_per_weight(engine("vllm", "Qwen/Qwen2.5-7B-Instruct-AWQ"))[0] == 4 + 20 / 128


@pytest.mark.parametrize(
    ("context", "parallel", "unified", "cells"),
    [
        (4096, 1, False, 4096),
        (4000, 1, False, 4096),  # -c is padded to 256 cells
        (100, 1, False, 256),
        (4096, 4, False, 4096),  # 4 streams of 1024
        (4096, 3, False, 4608),  # each slot's 1365 is padded to 1536
        (6000, 3, False, 6144),
        (4096, 3, True, 4096),  # --kv-unified: one stream the slots share
    ],
)
def test_llama_cpp_kv_cells(context: int, parallel: int, unified: bool, cells: int) -> None:
    assert serving.llama_cpp_cells(context, parallel, unified) == cells


def test_llama_cpp_compute_is_a_batch_through_a_layer_and_one_output_per_slot() -> None:
    # SmolLM2-135M: 512 tokens × (6 × 576 + 3 × 1536) f32 values, and 2 × 3 slots × 49152 logits
    assert serving.llama_cpp_compute(576, 1536, 49152, 512, 3) == 4 * (512 * 8064 + 6 * 49152)
    # not the reserved buffer's logits for every token of the batch (512 × 49152 × 4 = 96 MiB)
    assert serving.llama_cpp_compute(576, 1536, 49152, 512, 1) < 20 * MIB


def _parts(q: Quantity) -> list[Quantity]:
    return [q, *(p for part in q.parts for p in _parts(part))]


@pytest.mark.parametrize(
    ("command", "project", "kind", "words"),
    [
        ("-m /models/Llama-3.1-8B-Instruct-Q4_K_M.gguf", "", "default", "llama.cpp's default"),
        (
            "-m /models/mystery.gguf",
            "services: {llama: {models: [{name: mystery, params: 1000000000, kv_bytes_per_token: 65536}]}}\n",
            "assumed",
            "-c N in the command",
        ),
    ],
)
def test_llama_cpp_context_says_where_it_comes_from(
    tmp_path: Path, command: str, project: str, kind: str, words: str
) -> None:
    """The context llama.cpp runs without -c is labelled: its default (the model's training context),
    or composegen's assumption where the training context is unknown, naming how to declare it."""
    compose = f"services:\n  llama:\n    image: ghcr.io/ggml-org/llama.cpp:server\n    command: {command}\n"
    (tmp_path / "docker-compose.yml").write_text(compose)
    if project:
        (tmp_path / "composegen.yaml").write_text("compose_files: [docker-compose.yml]\n" + project)
    service = plan("dev", None, tmp_path).stack.service("llama")
    assert service is not None
    context = next(q for q in _parts(service.sizing.memory) if q.name == "context (-c)")
    assert context.source_kind == kind
    assert words in context.source
