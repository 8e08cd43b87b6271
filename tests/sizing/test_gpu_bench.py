"""The pure parts of bench/gpu.py (its GPU run needs a CUDA machine; its --dry-run needs torch): the
cases are catalog decoders whose configs it can write, the estimate's terms, the table and verdicts."""

from __future__ import annotations

import pytest

from bench.gpu import GRIDS, MODELS, Result, catalog, estimate, hf_config, main, table, tiny
from composegen.models.params import count
from composegen.sizing.activations import activations, build_transient
from composegen.sizing.serving import CUDA_CONTEXT
from composegen.units import GIB, MIB


@pytest.mark.parametrize(("name", "dtype"), MODELS)
def test_every_case_is_a_catalog_decoder_with_a_config(name: str, dtype: str) -> None:
    arch = catalog(name)
    assert arch.kind == "decoder"
    config = hf_config(arch)
    assert config["model_type"] == arch.family and config["architectures"][0].endswith(("ForCausalLM", "LMHeadModel"))
    small = tiny(arch)
    found = count(small)
    assert small.layers == 2 and found is not None and small.params == found.total


def test_the_estimate_is_context_weights_and_the_larger_of_activations_and_build() -> None:
    arch = catalog("meta-llama/Llama-3.1-8B")
    act = activations(arch, 8, 1024, 2.0).value
    assert act > build_transient(arch, 2.0).value
    assert estimate(arch, "bf16", 8, 1024) == CUDA_CONTEXT + arch.params * 2 + act
    assert estimate(arch, "bf16", 16, 2048) > estimate(arch, "bf16", 8, 1024) > estimate(arch, "bf16", 1, 1024)
    # every full-grid case fits an 80 GB GPU
    assert all(estimate(catalog(n), d, b, c) < 70 * GIB for n, d in MODELS for b, c in GRIDS["full"])


def test_measured_is_allocated_plus_the_cuda_context_and_judged_like_bench_accuracy() -> None:
    ok = Result("m", "bf16", 1, 1024, 1100 * MIB, 500 * MIB, 500 * MIB)
    assert ok.measured == 1000 * MIB and ok.ratio == pytest.approx(1.1) and ok.verdict == "ok"
    assert Result("m", "bf16", 1, 1024, 900 * MIB, 500 * MIB, 500 * MIB).verdict == "under"
    assert Result("m", "bf16", 1, 1024, 1400 * MIB, 500 * MIB, 500 * MIB).verdict == "over"
    assert Result("m", "bf16", 1, 1024, 900 * MIB).verdict == "n/a"  # the dry run: no CUDA figures
    assert Result("m", "bf16", 1, 1024, 900 * MIB, note="out of GPU memory").verdict == "out of GPU memory"


def test_the_table_has_na_where_there_is_no_cuda_figure() -> None:
    rows = [Result("m", "fp32", 2, 128, 549 * MIB), Result("n", "bf16", 1, 64, 1100 * MIB, 500 * MIB, 500 * MIB)]
    text = table(rows, "x")
    lines = text.splitlines()
    assert lines[2] == "| m | fp32 | 2 × 128 | 549 MiB | n/a | n/a | n/a | n/a | n/a |"
    assert lines[3] == "| n | bf16 | 1 × 64 | 1,100 MiB | 500 MiB | 500 MiB | 1,000 MiB | 1.10 | ok |"
    assert lines[-1] == "1 of 1 measured cases in [1.0, 1.3] (x)."


def test_the_estimates_print_without_torch(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--estimates", "--only", "gpt2", "--grid", "small"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2].startswith("| openai-community/gpt2 | fp32 | 1 × 1024 | 1,354 MiB | n/a |") and len(out) == 6
