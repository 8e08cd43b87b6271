"""Activations by architecture (composegen/sizing/activations.py): the formula on known shapes."""

from __future__ import annotations

import pytest

from composegen.models.catalog import ModelArch, lookup
from composegen.sizing import activations as act
from composegen.units import MIB


def arch(**fields: object) -> ModelArch:
    base: dict[str, object] = {
        "name": "toy",
        "family": "gpt2",
        "kind": "decoder",
        "layers": 2,
        "hidden": 8,
        "heads": 2,
        "kv_heads": 2,
        "head_dim": 4,
        "intermediate": 32,
        "vocab": 100,
        "max_positions": 64,
        "tied_embeddings": True,
        "params": 1000,
        "source": "test",
    }
    return ModelArch(**{**base, **fields})  # type: ignore[arg-type]


def test_an_encoder_is_its_largest_layer() -> None:
    toy = arch(kind="encoder", family="bert")
    # B 2 × S 4 = 8 tokens, fp32: hidden in and out 2 × 8 × 8 × 4 = 512; MLP 2 × 8 × 32 × 4 = 2048
    assert act.forward_peak(toy, 2, 4, 4).value == 512 + 2048


def test_a_gated_mlp_holds_three_intermediates() -> None:
    toy = arch(kind="encoder", family="llama")
    assert act.forward_peak(toy, 2, 4, 4).value == 512 + 3 * 8 * 32 * 4


def test_eager_attention_holds_scores_and_softmax() -> None:
    toy = arch(kind="encoder", family="bert", heads=2, intermediate=1)
    # B 2 × heads 2 × S² 16 × 4 bytes × 2 (scores, softmax) = 512 > the 1-wide MLP's 64
    assert act.attention_scores(toy, 2, 4, 4, "eager").value == 512
    assert act.attention_scores(toy, 2, 4, 4, "sdpa").value == 0
    assert act.forward_peak(toy, 2, 4, 4, "eager").value == 512 + 512


def test_a_decoder_adds_its_kv_cache_and_the_logits() -> None:
    toy = arch()
    tokens = 2 * 4
    kv = 2 * 2 * 2 * 4 * 4 * tokens  # 2 × layers × kv_heads × head_dim × 4 bytes × tokens
    head = tokens * 8 * 4 + tokens * 100 * 4 + 2 * 100 * 4  # last hidden + logits + next-token fp32
    assert act.forward_peak(toy, 2, 4, 4).value == kv + head  # the head outweighs a layer (2560)


def test_a_seq2seq_model_caches_self_and_cross_attention_and_the_encoder_output() -> None:
    toy = arch(kind="seq2seq", family="t5", decoder_layers=2, heads=2)
    tokens = 8
    kv = 2 * (2 * 2 * 2 * 4 * 4 * tokens)
    encoder_out = tokens * 8 * 4
    head = tokens * 8 * 4 + tokens * 100 * 4 + 2 * 100 * 4
    bias = 2 * (2 * 2 * 16 * 4)  # T5's position bias, encoder and decoder: B × heads × S² × 4 bytes
    assert act.forward_peak(toy, 2, 4, 4).value == kv + encoder_out + head + bias


def test_bart_adds_its_logits_bias_into_a_second_tensor() -> None:
    bart = arch(kind="seq2seq", family="bart", decoder_layers=2)
    other = arch(kind="seq2seq", family="fsmt-like", decoder_layers=2)
    assert act.forward_peak(bart, 2, 4, 4).value - act.forward_peak(other, 2, 4, 4).value == 8 * 100 * 4


def test_gqa_caches_only_its_kv_heads() -> None:
    full, grouped = arch(), arch(kv_heads=1)
    assert act.held(full, 2, 4, 4)[0].value == 2 * act.held(grouped, 2, 4, 4)[0].value


def test_the_allocator_factor_and_the_floor() -> None:
    toy = arch(kind="encoder", family="bert")
    live = act.forward_peak(toy, 2, 4, 4).value
    assert act.activations(toy, 2, 4, 4).value == pytest.approx(live * act.ALLOCATOR + act.PASS_FLOOR)
    half = act.forward_peak(toy, 2, 4, 2).value
    assert act.activations(toy, 2, 4, 2).value == pytest.approx(half * act.ALLOCATOR_HALF + act.PASS_FLOOR)


def test_what_stays_held_is_counted_once() -> None:
    toy = arch()  # a decoder: its KV cache is one allocation, outside the factors; its head is the larger stage
    kv = act.held(toy, 2, 4, 4)[0].value
    head = act.lm_head(toy, 2, 4, 4).value
    assert act.activations(toy, 2, 4, 4).value == pytest.approx(kv + head * act.HEAD_ALLOCATOR + act.PASS_FLOOR)


@pytest.mark.parametrize(("kind", "copies"), [("encoder", 0), ("decoder", 1), ("seq2seq", 3)])
def test_the_build_transient_is_the_untied_embeddings(kind: str, copies: int) -> None:
    assert act.build_transient(arch(kind=kind), 4).value == copies * 100 * 8 * 4


def test_gpt2_at_a_known_shape() -> None:
    gpt2 = lookup("gpt2")
    assert gpt2 is not None
    # batch 4 × 256 fp32: logits 1024 × 50257 × 4 B = 196.3 MiB dominate; KV 2 × 12 × 12 × 64 × 4 B per token
    logits = 1024 * 50257 * 4
    kv = 2 * 12 * 12 * 64 * 4 * 1024
    head = 1024 * 768 * 4 + logits + 4 * 50257 * 4
    assert act.forward_peak(gpt2, 4, 256, 4).value == kv + head
    assert act.forward_peak(gpt2, 4, 256, 4).value / MIB == pytest.approx(272.1, abs=0.1)


def test_every_term_names_its_source() -> None:
    model = lookup("t5-small")
    assert model is not None
    stack = [act.activations(model, 2, 16, 4)]
    while stack:
        q = stack.pop()
        assert q.parts or q.source, q.name
        stack.extend(q.parts)
