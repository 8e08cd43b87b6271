"""Model files read from their headers: safetensors and GGUF files the tests write, with known tensors."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import gguf  # the [gguf] extra, in the test extras: these tests run, never skip
import pytest

from composegen.errors import InputError
from composegen.models.local import inspect, read_safetensors_header

LLAMA_CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "num_hidden_layers": 2,
    "hidden_size": 64,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "intermediate_size": 128,
    "vocab_size": 100,
    "max_position_embeddings": 256,
    "tie_word_embeddings": False,
}
BYTES = {"F32": 4, "BF16": 2, "F16": 2, "I8": 1}


def write_safetensors(path: Path, tensors: dict[str, tuple[str, list[int]]], *, extra_header: bytes = b"") -> None:
    """A safetensors file: 8-byte little-endian header length, the JSON header, zeroed data."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        size = BYTES[dtype]
        for n in shape:
            size *= n
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode() + extra_header
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(offset))


def llama_tensors(config: dict[str, Any], dtype: str) -> dict[str, tuple[str, list[int]]]:
    """The tensors of a Llama checkpoint with this config (modeling_llama.py's names)."""
    h, i, v = config["hidden_size"], config["intermediate_size"], config["vocab_size"]
    kv = config["num_key_value_heads"] * h // config["num_attention_heads"]
    tensors = {"model.embed_tokens.weight": (dtype, [v, h]), "model.norm.weight": (dtype, [h]),
               "lm_head.weight": (dtype, [v, h])}  # fmt: skip
    for layer in range(config["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        shapes = {"self_attn.q_proj": [h, h], "self_attn.k_proj": [kv, h], "self_attn.v_proj": [kv, h],
                  "self_attn.o_proj": [h, h], "mlp.gate_proj": [i, h], "mlp.up_proj": [i, h],
                  "mlp.down_proj": [h, i], "input_layernorm": [h], "post_attention_layernorm": [h]}  # fmt: skip
        tensors.update({f"{p}{name}.weight": (dtype, shape) for name, shape in shapes.items()})
    return tensors


def test_a_model_folder_gives_exact_params_and_bytes(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(LLAMA_CONFIG))
    tensors = llama_tensors(LLAMA_CONFIG, "BF16")
    names = list(tensors)
    write_safetensors(tmp_path / "model-00001-of-00002.safetensors", {n: tensors[n] for n in names[:10]})
    write_safetensors(tmp_path / "model-00002-of-00002.safetensors", {n: tensors[n] for n in names[10:]})
    (model,) = inspect(tmp_path)
    # embeddings and head 2 × 100 × 64; per layer q, o 64²; k, v 32 × 64; MLP 3 × 64 × 128; norms 2 × 64; final norm
    expected = 2 * 100 * 64 + 2 * (2 * 64 * 64 + 2 * 32 * 64 + 3 * 64 * 128 + 2 * 64) + 64
    assert model.params == expected
    assert model.weight_bytes == 2 * expected
    assert model.dtypes == {"BF16": expected}
    assert model.composegen_dtype == "bf16"
    assert model.tensors == len(tensors)
    assert model.arch is not None
    assert (model.arch.kind, model.arch.layers, model.arch.kv_heads, model.arch.head_dim) == ("decoder", 2, 2, 16)
    assert model.arch.params == expected  # the headers' count, the formula agreeing with it
    assert model.arch.kv_bytes_per_token("fp16") == 2 * 2 * 2 * 16 * 2
    assert model.context_length == 256


def test_config_alone_counts_params_by_the_family_formula(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(LLAMA_CONFIG))
    (model,) = inspect(tmp_path)
    assert model.weight_bytes is None
    assert model.params == 2 * 100 * 64 + 2 * (2 * 64 * 64 + 2 * 32 * 64 + 3 * 64 * 128 + 2 * 64) + 64


def test_a_hugging_face_cache_lists_its_snapshots(tmp_path: Path) -> None:
    model_dir = tmp_path / "hub" / "models--acme--tiny-llama"
    snapshot = model_dir / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (model_dir / "refs").mkdir()
    (model_dir / "refs" / "main").write_text("abc123")
    (snapshot / "config.json").write_text(json.dumps(LLAMA_CONFIG))
    write_safetensors(snapshot / "model.safetensors", llama_tensors(LLAMA_CONFIG, "F32"))
    (model,) = inspect(tmp_path)
    assert model.name == "acme/tiny-llama"
    assert model.composegen_dtype == "fp32"
    assert model.weight_bytes == 4 * (model.params or 0)


def test_a_safetensors_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "adapter.safetensors"
    write_safetensors(path, {"a": ("F16", [3, 5]), "b": ("I8", [7])})
    (model,) = inspect(path)
    assert (model.params, model.weight_bytes, model.dtypes) == (22, 37, {"F16": 15, "I8": 7})
    assert read_safetensors_header(path).metadata == {"format": "pt"}


def test_a_known_model_names_its_catalog_entry(tmp_path: Path) -> None:
    folder = tmp_path / "hub" / "models--meta-llama--Meta-Llama-3-8B" / "snapshots" / "r1"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(LLAMA_CONFIG))
    (model,) = inspect(tmp_path)
    assert model.catalog == "meta-llama/Meta-Llama-3-8B"


def _bad_safetensors(path: Path, case: str) -> None:
    if case == "short":
        path.write_bytes(b"\x01\x02")
    elif case == "length past the end":
        path.write_bytes(struct.pack("<Q", 10**6) + b"{}")
    elif case == "not json":
        path.write_bytes(struct.pack("<Q", 4) + b"\xff\xfe{{")
    elif case == "bad tensor":
        raw = json.dumps({"w": {"dtype": "F99", "shape": [2], "data_offsets": [0, 8]}}).encode()
        path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(8))
    elif case == "shape does not fill offsets":
        raw = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}).encode()
        path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(8))
    elif case == "metadata not a mapping":
        raw = json.dumps({"__metadata__": [1]}).encode()
        path.write_bytes(struct.pack("<Q", len(raw)) + raw)
    elif case == "truncated data":
        raw = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}).encode()
        path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(8))


@pytest.mark.parametrize(
    "case",
    [
        "short",
        "length past the end",
        "not json",
        "bad tensor",
        "shape does not fill offsets",
        "metadata not a mapping",
        "truncated data",
    ],
)
def test_a_bad_safetensors_file_is_one_error_naming_it(tmp_path: Path, case: str) -> None:
    path = tmp_path / "model.safetensors"
    _bad_safetensors(path, case)
    with pytest.raises(InputError) as err:
        inspect(path)
    assert err.value.where == str(path)
    assert "\n" not in err.value.one_line()


def test_bad_config_json_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{\n  "model_type": "llama",\n  oops\n}')
    with pytest.raises(InputError) as err:
        inspect(tmp_path)
    assert err.value.where == f"{tmp_path / 'config.json'}:3"


def test_a_config_nested_too_deep_is_one_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("[" * 100_000)
    with pytest.raises(InputError) as err:
        inspect(tmp_path)
    assert err.value.where.startswith(str(tmp_path / "config.json"))


def test_a_folder_without_a_model(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no model here"):
        inspect(tmp_path)


def write_gguf(path: Path) -> dict[str, int]:
    """A llama GGUF with known tensors: token_embd F16 [64 x 100], one Q8_0 and one Q4_0 weight,
    a F32 norm; metadata as llama.cpp writes it."""
    import numpy as np

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny-test")
    writer.add_block_count(1)
    writer.add_context_length(512)
    writer.add_embedding_length(256)
    writer.add_head_count(4)
    writer.add_head_count_kv(2)
    writer.add_feed_forward_length(512)
    writer.add_file_type(15)  # llama.cpp's MOSTLY_Q4_K_M
    q = gguf.GGMLQuantizationType
    rng = np.random.default_rng(0)
    writer.add_tensor("token_embd.weight", rng.random((100, 256), dtype=np.float32).astype(np.float16))
    q8 = gguf.quants.quantize(rng.random((256, 256), dtype=np.float32), q.Q8_0)
    writer.add_tensor("blk.0.attn_q.weight", q8, raw_dtype=q.Q8_0)
    q4 = gguf.quants.quantize(rng.random((512, 256), dtype=np.float32), q.Q4_0)
    writer.add_tensor("blk.0.ffn_up.weight", q4, raw_dtype=q.Q4_0)
    writer.add_tensor("output_norm.weight", np.ones(256, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return {"F16": 100 * 256, "Q8_0": 256 * 256, "Q4_0": 512 * 256, "F32": 256}


def test_a_gguf_header_gives_architecture_and_quantization(tmp_path: Path) -> None:
    path = tmp_path / "tiny.gguf"
    counts = write_gguf(path)
    (model,) = inspect(path)
    assert (model.format, model.architecture, model.name, model.context_length) == ("gguf", "llama", "tiny-test", 512)
    assert model.dtypes == counts
    assert model.params == sum(counts.values())
    # bytes: F16 2, Q8_0 34 per 32, Q4_0 18 per 32 (4.5 bits), F32 4 (ggml's block sizes)
    assert model.weight_bytes == 2 * 25600 + 34 * 65536 // 32 + 18 * 131072 // 32 + 4 * 256
    assert model.arch is not None
    assert (model.arch.layers, model.arch.kv_heads, model.arch.head_dim, model.arch.vocab) == (1, 2, 64, 100)
    assert model.arch.tied_embeddings  # no output.weight
    assert model.quantization == "Q4_K_M"


def test_an_ollama_store_names_its_models_by_tag(tmp_path: Path) -> None:
    store = tmp_path / ".ollama" / "models"
    (store / "blobs").mkdir(parents=True)
    write_gguf(store / "blobs" / "sha256-abc")
    manifest = store / "manifests" / "registry.ollama.ai" / "library" / "llama3.1" / "8b"
    manifest.parent.mkdir(parents=True)
    layers = [{"mediaType": "application/vnd.ollama.image.template", "digest": "sha256-t"},
              {"mediaType": "application/vnd.ollama.image.model", "digest": "sha256:abc"}]  # fmt: skip
    manifest.write_text(json.dumps({"layers": layers}))
    (model,) = inspect(tmp_path / ".ollama")
    assert (model.format, model.name, model.catalog) == ("ollama", "llama3.1:8b", "meta-llama/Llama-3.1-8B-Instruct")
    assert model.params == 100 * 256 + 256 * 256 + 512 * 256 + 256
    manifest.write_text("{}")
    with pytest.raises(InputError, match="not an Ollama manifest") as err:
        inspect(store)
    assert err.value.where == str(manifest)


def test_a_quantized_checkpoint_says_how(tmp_path: Path) -> None:
    config = {**LLAMA_CONFIG, "quantization_config": {"quant_method": "awq", "bits": 4, "group_size": 128}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    (model,) = inspect(tmp_path)
    assert model.quantization == "awq 4-bit"


@pytest.mark.parametrize("content", [b"GGUF\x03\x00", b"GGUF" + bytes(40)])
def test_a_bad_gguf_file_is_one_error_naming_it(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.gguf"
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        inspect(path)
    assert err.value.where == str(path)
