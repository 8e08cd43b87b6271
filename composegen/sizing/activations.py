"""Peak activations of one transformers forward pass, by architecture (issue 15).

At batch B × sequence S, with w bytes per value (the model's dtype: transformers computes in it),
the live set of one pass is the largest of its stages, plus what stays live across them:

- in a layer: the hidden states in and out (2 × B·S·hidden·w: the residual and its normed copy),
  and the larger of the MLP intermediate (B·S·intermediate·w × 2: the up projection and its
  activation; × 3 for a gated MLP: gate, up and their product) and the attention scores
- attention scores: transformers uses `sdpa` (torch's scaled_dot_product_attention) wherever a
  model supports it, and every family in bench/accuracy does (transformers 5, modeling_utils
  `_check_and_adjust_attn_implementation`); torch's CPU kernel for it (flash attention for CPU)
  works in blocks and never holds B × heads × S² scores. `eager` attention does: scores and
  their softmax, 2 × B·heads·S²·w. T5's relative position bias is a float mask of B·heads·S²·w
  that its sdpa path materialises and keeps for the whole stack (modeling_t5.py).
- at the LM head (decoders, seq2seq): the logits, B·S·vocab·w, beside the last hidden states
  (twice for BART and its kin, whose head adds `final_logits_bias` into a new tensor);
  transformers computes them in the model's dtype and upcasts only for a loss (loss_utils.py),
  which serving does not compute. Generation keeps the next token's logits in fp32 (B·vocab·4).
- kept across the pass: decoders and seq2seq generate with a KV cache, 2 × layers × kv_heads ×
  head_dim × w per token (vLLM kv_cache_interface.py, as catalog.kv_bytes_per_token) for the
  B × S tokens of the context; a seq2seq decoder also caches the encoder's output for its
  cross-attention (the same per token, over the encoder's S) and keeps that output itself.

A layer is then × ALLOCATOR (fp32) or ALLOCATOR_HALF (bf16/fp16), the LM head × HEAD_ALLOCATOR
(_HALF), and PASS_FLOOR added, fitted on bench/accuracy (what stays held is one allocation each,
counted once): what the formula leaves out (the activation functions' temporaries, q/k/v and the
attention output, oneDNN's fp32 buffers for bf16 matmuls on the CPU, freed blocks glibc keeps)
grows with it.

Building a model (`from_config`, `from_pretrained`) holds the weights once; an LM-head model
also initialises its output embedding before tying it to the input one (a decoder: one vocab ×
hidden matrix; a seq2seq model: the shared, encoder and decoder embeddings, 3): measured on
bench/accuracy (the build's high-water mark over the built model: gpt2 147 MiB fp32 and 73 MiB
bf16, SmolLM2-135M 108 MiB, t5-small 188 MiB; roberta-base, no head, 0). It is freed before the
first pass, so a process peaks at the larger of the two (`build_transient`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from composegen.sizing.quantity import Quantity, given, largest, times, total
from composegen.units import MIB

if TYPE_CHECKING:
    from composegen.models.catalog import ModelArch

#: Attention implementation assumed: transformers' default where the model supports it.
ATTENTION = "sdpa"
TRANSFORMERS = "transformers 5 modeling code (modeling_utils, modeling_<family>.py)"
BENCH = "measured: bench/accuracy (docs/benchmarks.md §Sizing accuracy)"
#: Families whose MLP is gated (SwiGLU/GeGLU: gate and up projections, then their product).
GATED = frozenset(
    {
        "llama",
        "mistral",
        "mixtral",
        "qwen2",
        "qwen2_moe",
        "qwen3",
        "gemma",
        "gemma2",
        "phi3",
        "deepseek_v2",
        "deepseek_v3",
    }
)
#: Families whose attention passes a materialised B × heads × S² float bias to sdpa.
POSITION_BIAS = frozenset({"t5", "mt5", "umt5"})
#: Families whose LM head adds `final_logits_bias` to its logits: a second B·S·vocab tensor while
#: the sum is made (modeling_bart.py: `lm_logits = lm_logits + self.final_logits_bias`).
LOGITS_BIAS = frozenset(
    {"bart", "mbart", "marian", "pegasus", "blenderbot", "blenderbot-small", "plbart", "led", "mvp"}
)
#: Peak ÷ the formula's live set, fitted on bench/accuracy's roberta and gpt2 / SmolLM2 passes
#: (measured over the built model: 1.30-1.60 in fp32, 1.84-1.87 in bf16; docs/sizing.md).
ALLOCATOR = 1.6
ALLOCATOR_HALF = 2.0
#: The same for the LM head, whose logits are one large allocation: (peak − floor) ÷ logits was
#: 1.19 for gpt2 fp32 and 1.5 in bf16 (4 × 256, no cache), 1.07 for bart-large fp32 at 8 × 512;
#: 1.3 in fp32 keeps the held-out opt-125m at 4 × 256 off the floor of the band (1.00 with 1.2).
HEAD_ALLOCATOR = 1.3
HEAD_ALLOCATOR_HALF = 1.5
#: What a pass holds however small it is: roberta-base at batch 2 × 128 peaked 32 MiB over the
#: built model for a 7.5 MiB live set; + 16 MiB for the spread of peaks from run to run (the
#: encoders at batch 8 × 512 came out at 1.01-1.03 with 32).
PASS_FLOOR = 48 * MIB


def _bytes(name: str, value: float, source: str) -> Quantity:
    return given(name, value, "bytes", source)


def layer_peak(arch: ModelArch, batch: int, seq: int, width: float, attention: str = ATTENTION) -> Quantity:
    """Hidden states in and out, plus the larger of the MLP intermediate and attention scores."""
    tokens = batch * seq
    hidden = _bytes(
        "hidden states in and out (2 × B·S·hidden)",
        2 * tokens * arch.hidden * width,
        f"{TRANSFORMERS}; residual + normed",
    )
    gated = arch.family in GATED
    mlp = _bytes(
        f"MLP intermediate ({3 if gated else 2} × B·S·intermediate)",
        (3 if gated else 2) * tokens * arch.intermediate * width,
        f"{TRANSFORMERS}: " + ("gate, up and their product" if gated else "up projection and its activation"),
    )
    scores = attention_scores(arch, batch, seq, width, attention)
    return total("layer peak", (hidden, largest("MLP or attention", (mlp, scores))))


def attention_scores(arch: ModelArch, batch: int, seq: int, width: float, attention: str = ATTENTION) -> Quantity:
    """Eager: scores and softmax, 2 × B·heads·S²; sdpa: none held (the CPU kernel works in blocks)."""
    square = batch * arch.heads * seq * seq * width
    if attention == "eager":
        return _bytes("attention scores, eager (2 × B·heads·S²)", 2 * square, TRANSFORMERS)
    return _bytes(
        "attention scores, sdpa (blockwise kernel: none held)", 0, f"torch scaled_dot_product_attention; {TRANSFORMERS}"
    )


def held(arch: ModelArch, batch: int, seq: int, width: float) -> list[Quantity]:
    """What stays live through the pass: T5's position bias, the KV cache, a seq2seq encoder's output."""
    parts = []
    if arch.family in POSITION_BIAS:
        bias = 2 if arch.kind == "seq2seq" else 1  # the encoder's and the decoder's
        parts.append(
            _bytes(
                f"position bias ({bias} × B·heads·S²)",
                bias * batch * arch.heads * seq * seq * width,
                "transformers modeling_t5.py (a float mask to sdpa)",
            )
        )
    if arch.kind != "encoder":
        per_token = 2 * arch.generating_layers * arch.kv_heads * arch.head_dim * width
        caches = 2 if arch.kind == "seq2seq" else 1  # self-attention, and cross-attention
        parts.append(
            _bytes(
                f"KV cache ({caches} × 2 × layers × kv_heads × head_dim × B·S)",
                caches * per_token * batch * seq,
                "vLLM kv_cache_interface.py; transformers DynamicCache (self- and cross-attention for seq2seq)",
            )
        )
    if arch.kind == "seq2seq":
        parts.append(_bytes("encoder output (B·S·hidden)", batch * seq * arch.hidden * width, TRANSFORMERS))
    return parts


def lm_head(arch: ModelArch, batch: int, seq: int, width: float) -> Quantity:
    """The logits over the whole sequence beside the last hidden states (decoders, seq2seq)."""
    copies = 2 if arch.family in LOGITS_BIAS else 1
    logits = _bytes(
        f"logits ({copies} × B·S·vocab)",
        copies * batch * seq * arch.vocab * width,
        f"{TRANSFORMERS}: in the model's dtype" + ("; + final_logits_bias makes a second" if copies == 2 else ""),
    )
    last = _bytes("last hidden states (B·S·hidden)", batch * seq * arch.hidden * width, TRANSFORMERS)
    step = _bytes("next-token logits in fp32 (B·vocab·4)", batch * arch.vocab * 4, "transformers generation/utils.py")
    return total("LM head", (last, logits, step))


def largest_stage(arch: ModelArch, batch: int, seq: int, width: float, attention: str = ATTENTION) -> Quantity:
    """The larger of a layer and (decoders, seq2seq) the LM head."""
    stages = [layer_peak(arch, batch, seq, width, attention)]
    if arch.kind != "encoder":
        stages.append(lm_head(arch, batch, seq, width))
    return largest("largest stage", stages)


def forward_peak(arch: ModelArch, batch: int, seq: int, width: float, attention: str = ATTENTION) -> Quantity:
    """The live set of one pass (the formula, before the allocator factor)."""
    return total(
        "live set of one pass", (*held(arch, batch, seq, width), largest_stage(arch, batch, seq, width, attention))
    )


def activations(arch: ModelArch, batch: int, seq: int, width: float, attention: str = ATTENTION) -> Quantity:
    """Peak activations of `arch` at batch × seq in `width` bytes per value: what stays held (one
    allocation each), plus the larger stage with its temporaries (a layer × ALLOCATOR, the LM head
    × HEAD_ALLOCATOR), plus the floor."""
    label = "fp32" if width >= 4 else "16-bit"
    ratio = given(f"layer temporaries ({label})", ALLOCATOR if width >= 4 else ALLOCATOR_HALF, "ratio", BENCH)
    stages = [times("layer × its temporaries", layer_peak(arch, batch, seq, width, attention), ratio, unit="bytes")]
    if arch.kind != "encoder":
        head = HEAD_ALLOCATOR if width >= 4 else HEAD_ALLOCATOR_HALF
        head_ratio = given(f"LM head temporaries ({label})", head, "ratio", BENCH)
        stages.append(times("LM head × its temporaries", lm_head(arch, batch, seq, width), head_ratio, unit="bytes"))
    floor = given("what any pass holds", PASS_FLOOR, "bytes", BENCH)
    stage = largest("largest stage", stages)
    return total(f"{arch.name} activations", (*held(arch, batch, seq, width), stage, floor), BENCH)


def build_transient(arch: ModelArch, width: float) -> Quantity:
    """What building the model holds beyond its weights, freed before the first pass: the output
    embeddings an LM head initialises before tying (none for a headless encoder)."""
    copies = {"encoder": 0, "decoder": 1, "seq2seq": 3}[arch.kind]
    return given(
        f"build transient ({copies} × vocab × hidden)",
        copies * arch.vocab * arch.hidden * width,
        "bytes",
        f"{BENCH}: embeddings initialised before tying",
    )
