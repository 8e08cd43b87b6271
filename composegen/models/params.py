"""Parameter counts from an architecture's dimensions, one formula per family (the modelling code
of each family in Hugging Face transformers: `modeling_<family>.py`).

Notation: V vocabulary, h hidden, L layers, H heads, K KV heads, d head dim, i MLP intermediate,
P max positions. A linear layer a→b has a·b weights, plus b with a bias. LayerNorm has 2h (weight
and bias), RMSNorm h. A gated MLP (SwiGLU / GeGLU: gate, up, down) has 3·h·i, a plain one
2·h·i (plus i + h biases where the family has biases). Untied embeddings add the LM head, V·h.
MoE layers hold E routed experts (each a gated MLP of moe_intermediate), S shared ones, and a
router h·E; a token runs through experts_per_token of the routed ones (active parameters).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from composegen.models.catalog import ModelArch

#: DeBERTa-v2/v3's relative position embeddings: 2 × position_buckets (256) rows.
DEBERTA_RELATIVE_ROWS = 512
#: T5's and MPNet's relative attention buckets (relative_attention_num_buckets).
RELATIVE_BUCKETS = 32
#: BART and OPT offset their learned positions by 2 (modeling_bart.py BartLearnedPositionalEmbedding).
POSITION_OFFSET = 2
#: Whisper's encoder positions: 30 s of audio, 1500 frames (max_source_positions).
WHISPER_SOURCE_POSITIONS = 1500


@dataclass(frozen=True)
class Count:
    """Parameters in all, and those one token runs through (the same for a dense model)."""

    total: int
    active: int


def _attention_biased(h: int) -> int:
    """Four h→h projections with biases (BERT, BART, OPT)."""
    return 4 * (h * h + h)


def _plain_mlp_biased(h: int, i: int) -> int:
    return 2 * h * i + i + h


def _encoder_layer(h: int, i: int) -> int:
    """BERT's layer: attention with biases, LayerNorm, plain MLP with biases, LayerNorm."""
    return _attention_biased(h) + 2 * h + _plain_mlp_biased(h, i) + 2 * h


def _encoder(m: ModelArch, *, positions: int, token_types: int, pooler: bool, extra: int = 0) -> int:
    h = m.hidden
    embeddings = (m.vocab + positions + token_types) * h + 2 * h
    return embeddings + m.layers * _encoder_layer(h, m.intermediate) + (h * h + h if pooler else 0) + extra


def bert(m: ModelArch) -> int:
    return _encoder(m, positions=m.max_positions, token_types=2, pooler=True)


def roberta(m: ModelArch) -> int:
    return _encoder(m, positions=m.max_positions, token_types=1, pooler=True)


def distilbert(m: ModelArch) -> int:
    return _encoder(m, positions=m.max_positions, token_types=0, pooler=False)


def deberta_v2(m: ModelArch) -> int:
    """No absolute positions (position_biased_input false), relative embeddings and their
    LayerNorm, no pooler."""
    h = m.hidden
    return _encoder(m, positions=0, token_types=0, pooler=False, extra=DEBERTA_RELATIVE_ROWS * h + 2 * h)


def mpnet(m: ModelArch) -> int:
    return _encoder(m, positions=m.max_positions, token_types=0, pooler=True, extra=RELATIVE_BUCKETS * m.heads)


def gpt2(m: ModelArch) -> int:
    """Fused qkv (3h² + 3h), output (h² + h), MLP 4h with biases, two LayerNorms; final LayerNorm."""
    h = m.hidden
    layer = 4 * h + (3 * h * h + 3 * h) + (h * h + h) + _plain_mlp_biased(h, m.intermediate)
    return (m.vocab + m.max_positions) * h + m.layers * layer + 2 * h + _lm_head(m)


def opt(m: ModelArch) -> int:
    h = m.hidden
    positions = (m.max_positions + POSITION_OFFSET) * h
    return m.vocab * h + positions + m.layers * _encoder_layer(h, m.intermediate) + 2 * h + _lm_head(m)


def phi(m: ModelArch) -> int:
    """Phi-1/2: one LayerNorm per layer (attention and MLP in parallel), biases everywhere, an LM
    head with a bias."""
    h = m.hidden
    layer = _attention_biased(h) + 2 * h + _plain_mlp_biased(h, m.intermediate)
    return m.vocab * h + m.layers * layer + 2 * h + _lm_head(m) + m.vocab


def _lm_head(m: ModelArch) -> int:
    return 0 if m.tied_embeddings else m.vocab * m.hidden


def _gqa(m: ModelArch, *, qkv_bias: bool = False, qk_norm: bool = False) -> int:
    """q (h→H·d), k and v (h→K·d each), o (H·d→h); Qwen2's q/k/v biases; Qwen3's q/k RMSNorms."""
    q, kv = m.heads * m.head_dim, m.kv_heads * m.head_dim
    weights = m.hidden * (q + 2 * kv) + q * m.hidden
    return weights + (q + 2 * kv if qkv_bias else 0) + (2 * m.head_dim if qk_norm else 0)


def _mla(m: ModelArch) -> int:
    """DeepSeek's multi-head latent attention (modeling_deepseek_v3.py): a low-rank query (or a
    full one without q_lora_rank), a shared KV latent with its rotary key, their RMSNorms."""
    h, rope = m.hidden, m.rope_head_dim or 0
    nope, v = m.head_dim - rope, m.v_head_dim or m.head_dim
    kv_rank = m.kv_lora_rank or 0
    q_out = m.heads * (nope + rope)
    query = h * m.q_lora_rank + m.q_lora_rank + m.q_lora_rank * q_out if m.q_lora_rank else h * q_out
    latent = h * (kv_rank + rope) + kv_rank + kv_rank * m.heads * (nope + v)
    return query + latent + m.heads * v * h


def _moe_layer(m: ModelArch, experts: int) -> int:
    """`experts` routed experts plus the shared ones, and the router (Qwen2-MoE also gates its
    shared expert: h·1)."""
    mi = m.moe_intermediate or m.intermediate
    shared_gate = m.hidden if m.family == "qwen2_moe" and m.shared_experts else 0
    return (experts + m.shared_experts) * 3 * m.hidden * mi + m.hidden * (m.experts or 0) + shared_gate


def _decoder(m: ModelArch, attention: int, norms: int) -> Count:
    """Embeddings, L × (attention + MLP or MoE + norms), the final RMSNorm, the LM head if untied."""
    h = m.hidden
    outside = m.vocab * h + h + _lm_head(m)
    dense = attention + 3 * h * m.intermediate + norms * h
    if m.experts is None:
        total = outside + m.layers * dense
        return Count(total, total)
    moe_layers = m.layers - m.dense_layers
    shared = outside + m.dense_layers * dense + moe_layers * (attention + norms * h)
    total = shared + moe_layers * _moe_layer(m, m.experts)
    active = shared + moe_layers * _moe_layer(m, m.experts_per_token or m.experts)
    return Count(total, active)


def llama(m: ModelArch) -> Count:
    """Llama, Mistral, Mixtral, Phi-3, Gemma: GQA without biases, gated MLP, two RMSNorms per layer."""
    return _decoder(m, _gqa(m), 2)


def qwen2(m: ModelArch) -> Count:
    return _decoder(m, _gqa(m, qkv_bias=True), 2)


def qwen3(m: ModelArch) -> Count:
    return _decoder(m, _gqa(m, qk_norm=True), 2)


def gemma2(m: ModelArch) -> Count:
    """Four RMSNorms per layer (before and after attention and MLP)."""
    return _decoder(m, _gqa(m), 4)


def deepseek(m: ModelArch) -> Count:
    return _decoder(m, _mla(m), 2)


def t5(m: ModelArch) -> int:
    """T5: no biases, weight-only norms, relative attention buckets in each stack's first layer.
    The original T5 has a plain ReLU MLP and tied embeddings; v1.1 (Flan-T5, mT5) a gated GeLU MLP
    and an LM head of its own: told apart by tied_embeddings."""
    h, inner = m.hidden, m.heads * m.head_dim
    attention = 2 * h * inner + 2 * inner * h
    mlp = (2 if m.tied_embeddings else 3) * h * m.intermediate
    encoder = m.layers * (attention + mlp + 2 * h) + RELATIVE_BUCKETS * m.heads + h
    decoder = m.generating_layers * (2 * attention + mlp + 3 * h) + RELATIVE_BUCKETS * m.heads + h
    return m.vocab * h + encoder + decoder + _lm_head(m)


def bart(m: ModelArch) -> int:
    """Shared embeddings; each stack has learned positions (offset 2) and an embedding LayerNorm;
    decoder layers add cross-attention and its LayerNorm."""
    h = m.hidden
    stack_extra = (m.max_positions + POSITION_OFFSET) * h + 2 * h
    encoder = m.layers * _encoder_layer(h, m.intermediate) + stack_extra
    decoder = m.generating_layers * (_encoder_layer(h, m.intermediate) + _attention_biased(h) + 2 * h) + stack_extra
    return m.vocab * h + encoder + decoder + _lm_head(m)


def whisper(m: ModelArch) -> int:
    """Two convolutions over the mel bins (kernel 3), 1500 encoder positions, learned decoder
    positions (max_positions, max_target_positions); attention's k has no bias; final LayerNorms."""
    h, mels = m.hidden, m.mel_bins or 80
    attention = 4 * h * h + 3 * h
    layer = attention + 2 * h + _plain_mlp_biased(h, m.intermediate) + 2 * h
    convs = mels * h * 3 + h + h * h * 3 + h
    encoder = convs + WHISPER_SOURCE_POSITIONS * h + m.layers * layer + 2 * h
    decoder = m.max_positions * h + m.generating_layers * (layer + attention + 2 * h) + 2 * h
    return m.vocab * h + encoder + decoder + _lm_head(m)


_DENSE: dict[str, Callable[[ModelArch], int]] = {
    "bert": bert,
    "roberta": roberta,
    "xlm-roberta": roberta,
    "distilbert": distilbert,
    "deberta-v2": deberta_v2,
    "mpnet": mpnet,
    "gpt2": gpt2,
    "opt": opt,
    "phi": phi,
    "t5": t5,
    "mt5": t5,
    "bart": bart,
    "whisper": whisper,
}
_DECODERS: dict[str, Callable[[ModelArch], Count]] = {
    "llama": llama,
    "mistral": llama,
    "mixtral": llama,
    "phi3": llama,
    "gemma": llama,
    "qwen2": qwen2,
    "qwen2_moe": qwen2,
    "qwen3": qwen3,
    "qwen3_moe": qwen3,
    "gemma2": gemma2,
    "deepseek_v2": deepseek,
    "deepseek_v3": deepseek,
}
#: Families that generate text left to right (config.json model_type).
DECODER_FAMILIES = frozenset({*_DECODERS, "gpt2", "opt", "phi"})


def count(m: ModelArch) -> Count | None:
    """The parameters the family's formula gives for these dimensions; None for a family
    composegen has no formula for."""
    dense = _DENSE.get(m.family)
    if dense is not None:
        n = dense(m)
        return Count(n, n)
    decoder = _DECODERS.get(m.family)
    return decoder(m) if decoder is not None else None
