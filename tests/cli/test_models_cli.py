"""`composegen models`: the catalog, one model's facts and footprint, local files, end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from composegen.units import GIB, KIB
from tests.models.test_local import LLAMA_CONFIG, llama_tensors, write_safetensors


def cg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "composegen", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_models_lists_the_catalog(tmp_path: Path) -> None:
    text = cg("models", cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert "meta-llama/Meta-Llama-3-8B " in text.stdout
    listed = json.loads(cg("models", "--format", "json", cwd=tmp_path).stdout)
    assert len(listed) >= 100
    assert {"name", "kind", "layers", "kv_heads", "params", "active_params", "source"} <= set(listed[0])
    seq2seq = json.loads(cg("models", "--kind", "seq2seq", "--format", "json", cwd=tmp_path).stdout)
    assert seq2seq and {m["kind"] for m in seq2seq} == {"seq2seq"}


def test_models_show_gives_the_footprint_at_a_dtype(tmp_path: Path) -> None:
    shown = cg("models", "show", "llama3-8b", "--dtype", "fp16", "--context", "8192", "--format", "json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    facts = json.loads(shown.stdout)
    assert facts["name"] == "meta-llama/Meta-Llama-3-8B"
    assert facts["weights_bytes"] == 8030261248 * 2
    assert facts["kv_bytes_per_token"] == 128 * KIB
    assert facts["kv_bytes_per_sequence"] == 128 * KIB * 8192  # 1 GiB
    text = cg("models", "show", "Mixtral-8x7B-Instruct-v0.1", "--dtype", "int4", cwd=tmp_path).stdout
    assert "active per token: 12.9" in text
    assert f"{46702792704 * 0.5 / GIB:.2f} GiB" in text


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (["models", "show", "gpt-99"], "unknown model 'gpt-99'"),
        (["models", "inspect", "missing-folder"], "missing-folder"),
        (["models", "inspect", "broken.safetensors"], "broken.safetensors"),
        (["models", "inspect", "broken.gguf"], "broken.gguf"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], where: str) -> None:
    (tmp_path / "broken.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    (tmp_path / "broken.gguf").write_bytes(b"GGML")
    done = cg(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and where in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_models_inspect_reads_a_folder(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(LLAMA_CONFIG))
    write_safetensors(tmp_path / "model.safetensors", llama_tensors(LLAMA_CONFIG, "BF16"))
    done = cg("models", "inspect", ".", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (found,) = json.loads(done.stdout)
    assert (found["format"], found["main_dtype"], found["bits_per_weight"]) == ("hf-folder", "BF16", 16.0)
    assert found["arch"]["kv_heads"] == 2
    text = cg("models", "inspect", ".", cwd=tmp_path).stdout
    assert "from the tensor headers" in text
    assert "KV cache (fp16): 256 B per token" in text
