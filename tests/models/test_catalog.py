"""The bundled model catalog: every entry's parameter count recomputed from its dimensions."""

from __future__ import annotations

from pathlib import Path

import pytest

from composegen.errors import InputError
from composegen.models import params
from composegen.models.catalog import KINDS, ModelArch, lookup, models, read_catalog

TOLERANCE = 0.02
#: Families whose published active parameters leave out the input embedding (a lookup, no
#: compute): DeepSeek's papers; Mistral and Qwen count it.
ACTIVE_WITHOUT_EMBEDDING = frozenset({"deepseek_v2", "deepseek_v3"})


def tolerance(published: int) -> float:
    """2 %, or one unit of the last digit of a figure published with fewer digits (DeepSeek-V2-Lite's
    "2.4B activated" is 2.45B: rounded down)."""
    digits = str(published).rstrip("0")
    unit = 10 ** (len(str(published)) - len(digits))
    return max(TOLERANCE, unit / published)


def test_catalog_has_the_models_the_issue_asks_for() -> None:
    catalog = models()
    assert len(catalog) >= 100
    names = " ".join(m.name.lower() for m in catalog)
    for word in ("bert", "roberta", "deberta", "minilm", "e5", "bge", "gte", "t5", "bart", "whisper", "gpt2",
                 "opt", "llama-2", "llama-3-", "llama-3.1", "llama-3.2", "llama-3.3", "mistral", "mixtral",
                 "qwen2.5", "gemma-2", "phi-3", "deepseek"):  # fmt: skip
        assert word in names, word
    assert {m.kind for m in catalog} == set(KINDS)


def test_names_and_aliases_are_unique() -> None:
    seen: dict[str, str] = {}
    for m in models():
        for name in (m.name, *m.aliases):
            assert seen.setdefault(name.lower(), m.name) == m.name, name


@pytest.mark.parametrize("model", models(), ids=lambda m: m.name)
def test_params_follow_from_the_dimensions(model: ModelArch) -> None:
    counted = params.count(model)
    assert counted is not None, f"no formula for family {model.family}"
    assert counted.total == pytest.approx(model.params, rel=TOLERANCE)
    if model.active_params is not None:
        embedding = model.vocab * model.hidden if model.family in ACTIVE_WITHOUT_EMBEDDING else 0
        active = model.active_params
        assert counted.active - embedding == pytest.approx(active, rel=tolerance(active))
    assert model.source == f"https://huggingface.co/{model.name}/blob/main/config.json"


@pytest.mark.parametrize("model", models(), ids=lambda m: m.name)
def test_shapes_are_consistent(model: ModelArch) -> None:
    assert model.heads % model.kv_heads == 0
    assert (model.experts is None) == (model.active_params is None) == (model.experts_per_token is None)
    if model.kind == "decoder":
        assert model.kv_bytes_per_token() is not None
    if model.kind == "encoder":
        assert model.kv_bytes_per_token() is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("meta-llama/Meta-Llama-3-8B", "meta-llama/Meta-Llama-3-8B"),
        ("META-LLAMA/meta-llama-3-8b", "meta-llama/Meta-Llama-3-8B"),
        ("Meta-Llama-3-8B", "meta-llama/Meta-Llama-3-8B"),
        ("llama3-8b", "meta-llama/Meta-Llama-3-8B"),
        ("hf.co/Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-7B-Instruct"),
        ("mistral:7b", "mistralai/Mistral-7B-Instruct-v0.3"),
        ("roberta-base", "FacebookAI/roberta-base"),
        ("Qwen/Qwen2.5-7B-Instruct@main", "Qwen/Qwen2.5-7B-Instruct"),
        ("gpt-99", None),
    ],
)
def test_lookup(name: str, expected: str | None) -> None:
    found = lookup(name)
    assert (found.name if found else None) == expected


@pytest.mark.parametrize(
    ("name", "kv_bytes"),
    [
        ("meta-llama/Meta-Llama-3-8B", 128 * 1024),  # 2 × 32 layers × 8 × 128 × 2 bytes
        ("meta-llama/Meta-Llama-3-70B", 320 * 1024),
        ("HuggingFaceTB/SmolLM2-1.7B", 192 * 1024),
        ("deepseek-ai/DeepSeek-V3", 61 * (512 + 64) * 2),  # MLA: one latent per layer
        ("openai/whisper-large-v3-turbo", 2 * 4 * 20 * 64 * 2),  # the decoder's 4 layers
    ],
)
def test_kv_bytes_per_token(name: str, kv_bytes: int) -> None:
    model = lookup(name)
    assert model is not None
    assert model.kv_bytes_per_token("fp16") == kv_bytes
    assert model.kv_bytes_per_token("fp8") == kv_bytes / 2


def test_a_llama_count_by_hand() -> None:
    """Llama-3-8B, written out: embeddings and LM head 2 × 128256 × 4096; per layer q and o 2 × 4096²,
    k and v 2 × 4096 × 1024, MLP 3 × 4096 × 14336, two norms; the final norm."""
    model = lookup("llama3-8b")
    assert model is not None
    layer = 2 * 4096**2 + 2 * 4096 * 1024 + 3 * 4096 * 14336 + 2 * 4096
    assert params.count(model) == params.Count(2 * 128256 * 4096 + 32 * layer + 4096, 8030261248)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('{"models": [\n  {"name": "a"}\n]}', 2, "lacks"),
        ('{"models": [\n  {"name": "a", "colour": 1}\n]}', 2, "unknown catalog fields"),
        ('{"models": [\n  {"name": "a",\n]}', 3, "not JSON"),
    ],
)
def test_a_bad_catalog_names_its_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as err:
        read_catalog(path)
    assert err.value.where == f"{path}:{line}"
