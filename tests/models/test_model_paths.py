"""`models: [{path: ...}]` in composegen.yaml: a model's size read from its files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from composegen.errors import InputError
from composegen.profiles.models import ModelRef
from composegen.sizing.catalog import footprint
from tests.models.test_local import LLAMA_CONFIG, llama_tensors, write_safetensors

PARAMS = 2 * 100 * 64 + 2 * (2 * 64 * 64 + 2 * 32 * 64 + 3 * 64 * 128 + 2 * 64) + 64


def model_folder(root: Path, dtype: str = "BF16") -> Path:
    folder = root / "models" / "tiny"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(LLAMA_CONFIG))
    write_safetensors(folder / "model.safetensors", llama_tensors(LLAMA_CONFIG, dtype))
    return folder


def test_a_path_gives_exact_params_the_checkpoints_dtype_and_kv(tmp_path: Path) -> None:
    model_folder(tmp_path)
    found = footprint(ModelRef.model_validate({"path": "models/tiny"}), "composegen.yaml", tmp_path)
    assert (found.params, found.dtype, found.bytes_per_param) == (PARAMS, "bf16", 2.0)
    assert found.kv_bytes_per_token == 2 * 2 * 2 * 16 * 2
    assert "models/tiny" in found.source


def test_a_declared_dtype_wins(tmp_path: Path) -> None:
    model_folder(tmp_path)
    found = footprint(ModelRef.model_validate({"path": "models/tiny", "dtype": "int8"}), "x", tmp_path)
    assert (found.params, found.dtype, found.bytes_per_param) == (PARAMS, "int8", 1.0)


def test_a_cache_path_with_a_name_picks_that_model(tmp_path: Path) -> None:
    for name in ("acme--one", "acme--two"):
        snapshot = tmp_path / "hf" / f"models--{name}" / "snapshots" / "r"
        snapshot.mkdir(parents=True)
        (snapshot / "config.json").write_text(json.dumps(LLAMA_CONFIG))
    with pytest.raises(InputError, match="holds 2 models"):
        footprint(ModelRef.model_validate({"path": "hf"}), "composegen.yaml:3", tmp_path)
    found = footprint(ModelRef.model_validate({"path": "hf", "name": "acme/two"}), "composegen.yaml:3", tmp_path)
    assert found.name == "acme/two"
    assert found.params == PARAMS  # config.json alone: the family's formula


def test_explain_reads_the_path_relative_to_composegen_yaml(tmp_path: Path) -> None:
    model_folder(tmp_path)
    (tmp_path / "docker-compose.yml").write_text("services:\n  inference:\n    image: inference:cpu\n")
    (tmp_path / "composegen.yaml").write_text(
        "services:\n  inference:\n    role: ml-inference\n    models:\n      - path: models/tiny\n"
    )
    elsewhere = tmp_path / "sub"
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "composegen", "explain", "-p", "dev", "inference", "--format", "json",
         "--project", str(tmp_path / "composegen.yaml")],
        cwd=elsewhere, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "tiny" in done.stdout and "hf-folder headers" in done.stdout


def test_a_missing_path_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="'nowhere' does not exist") as err:
        footprint(ModelRef.model_validate({"path": "nowhere"}), "composegen.yaml:5", tmp_path)
    assert err.value.where == "composegen.yaml:5"


def explain(project: Path, service: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "composegen", "explain", "-p", "dev", service],
        cwd=project, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_model_in_a_mounted_hugging_face_cache_is_read(tmp_path: Path) -> None:
    snapshot = tmp_path / "hf" / "hub" / "models--acme--tiny-llama" / "snapshots" / "r1"
    model_folder(tmp_path)
    snapshot.parent.mkdir(parents=True)
    (tmp_path / "models" / "tiny").rename(snapshot)
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  llm:\n    image: vllm/vllm-openai:v0.6.3\n    command: --model acme/tiny-llama\n"
        "    volumes:\n      - ./hf:/root/.cache/huggingface\n"
    )
    done = explain(tmp_path, "llm")
    assert done.returncode == 0, done.stderr
    assert "acme/tiny-llama" in done.stdout and "hf-folder headers" in done.stdout
    assert f"acme/tiny-llama params = {PARAMS}" in done.stdout
    assert "acme/tiny-llama weights (bf16) = 170 KiB" in done.stdout  # the checkpoint's dtype
    assert "acme/tiny-llama KV bytes/token (fp16) = 256 B" in done.stdout


def test_a_model_path_under_a_bind_mount_is_read(tmp_path: Path) -> None:
    model_folder(tmp_path)
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  llm:\n    image: vllm/vllm-openai:v0.6.3\n    command: --model /models/tiny --dtype float16\n"
        "    volumes:\n      - type: bind\n        source: ./models\n        target: /models\n"
    )
    done = explain(tmp_path, "llm")
    assert done.returncode == 0, done.stderr
    assert "models/tiny (hf-folder headers)" in done.stdout
    assert "fp16" in done.stdout


def test_an_unknown_model_not_in_any_mount_is_still_refused(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  llm:\n    image: vllm/vllm-openai:v0.6.3\n    command: --model acme/elsewhere\n"
        "    volumes:\n      - ./hf:/root/.cache/huggingface\n"
    )
    done = explain(tmp_path, "llm")
    assert done.returncode == 2
    assert "whose size composegen does not know" in done.stderr and done.stderr.count("\n") == 1


def test_a_gguf_under_a_bind_mount_is_read_with_its_quantization(tmp_path: Path) -> None:
    from tests.models.test_local import write_gguf

    (tmp_path / "models").mkdir()
    counts = write_gguf(tmp_path / "models" / "tiny.gguf")
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  llm:\n    image: ghcr.io/ggml-org/llama.cpp:server\n    command: -m /models/tiny.gguf -c 2048\n"
        "    volumes:\n      - ./models:/models:ro\n"
    )
    done = explain(tmp_path, "llm")
    assert done.returncode == 0, done.stderr
    assert f"tiny-test params = {sum(counts.values())}" in done.stdout
    assert "tiny-test weights (Q4_K_M)" in done.stdout
    assert "models/tiny.gguf (gguf headers)" in done.stdout
