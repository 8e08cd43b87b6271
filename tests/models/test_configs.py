"""config.json read into an architecture: published configs (their keys as each family names
them) give the catalog's dimensions and, by the family's formula, its parameter count."""

from __future__ import annotations

from typing import Any

import pytest

from composegen.models.catalog import lookup
from composegen.models.local import arch_from_config

CONFIGS: dict[str, dict[str, Any]] = {
    "openai-community/gpt2": {
        "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_layer": 12, "n_embd": 768, "n_head": 12,
        "n_inner": None, "n_positions": 1024, "vocab_size": 50257,
    },
    "google-t5/t5-small": {
        "architectures": ["T5ForConditionalGeneration"], "model_type": "t5", "is_encoder_decoder": True,
        "num_layers": 6, "num_decoder_layers": 6, "d_model": 512, "d_kv": 64, "num_heads": 8, "d_ff": 2048,
        "n_positions": 512, "vocab_size": 32128,
    },
    "google/flan-t5-base": {
        "architectures": ["T5ForConditionalGeneration"], "model_type": "t5", "is_encoder_decoder": True,
        "num_layers": 12, "num_decoder_layers": 12, "d_model": 768, "d_kv": 64, "num_heads": 12, "d_ff": 2048,
        "n_positions": 512, "vocab_size": 32128, "tie_word_embeddings": False, "feed_forward_proj": "gated-gelu",
    },
    "openai/whisper-large-v3-turbo": {
        "architectures": ["WhisperForConditionalGeneration"], "model_type": "whisper", "is_encoder_decoder": True,
        "encoder_layers": 32, "decoder_layers": 4, "d_model": 1280, "encoder_attention_heads": 20,
        "decoder_attention_heads": 20, "encoder_ffn_dim": 5120, "decoder_ffn_dim": 5120, "num_mel_bins": 128,
        "max_source_positions": 1500, "max_target_positions": 448, "vocab_size": 51866,
    },
    "google-bert/bert-base-uncased": {
        "architectures": ["BertForMaskedLM"], "model_type": "bert", "num_hidden_layers": 12, "hidden_size": 768,
        "num_attention_heads": 12, "intermediate_size": 3072, "max_position_embeddings": 512,
        "type_vocab_size": 2, "vocab_size": 30522,
    },
    "mistralai/Mixtral-8x7B-v0.1": {
        "architectures": ["MixtralForCausalLM"], "model_type": "mixtral", "num_hidden_layers": 32,
        "hidden_size": 4096, "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
        "num_local_experts": 8, "num_experts_per_tok": 2, "max_position_embeddings": 32768, "vocab_size": 32000,
        "tie_word_embeddings": False, "sliding_window": None,
    },
    "Qwen/Qwen1.5-MoE-A2.7B": {
        "architectures": ["Qwen2MoeForCausalLM"], "model_type": "qwen2_moe", "num_hidden_layers": 24,
        "hidden_size": 2048, "num_attention_heads": 16, "num_key_value_heads": 16, "intermediate_size": 5632,
        "moe_intermediate_size": 1408, "shared_expert_intermediate_size": 5632, "num_experts": 60,
        "num_experts_per_tok": 4, "max_position_embeddings": 8192, "vocab_size": 151936, "tie_word_embeddings": False,
    },
    "deepseek-ai/DeepSeek-V2-Lite": {
        "architectures": ["DeepseekV2ForCausalLM"], "model_type": "deepseek_v2", "num_hidden_layers": 27,
        "hidden_size": 2048, "num_attention_heads": 16, "num_key_value_heads": 16, "intermediate_size": 10944,
        "moe_intermediate_size": 1408, "n_routed_experts": 64, "n_shared_experts": 2, "num_experts_per_tok": 6,
        "first_k_dense_replace": 1, "q_lora_rank": None, "kv_lora_rank": 512, "qk_nope_head_dim": 128,
        "qk_rope_head_dim": 64, "v_head_dim": 128, "max_position_embeddings": 163840, "vocab_size": 102400,
        "tie_word_embeddings": False,
    },
}  # fmt: skip
SHAPE = ("family", "kind", "layers", "hidden", "heads", "kv_heads", "head_dim", "intermediate", "vocab",
         "max_positions", "tied_embeddings", "experts", "experts_per_token", "shared_experts", "moe_intermediate",
         "dense_layers", "decoder_layers", "kv_lora_rank", "rope_head_dim", "v_head_dim", "mel_bins")  # fmt: skip


@pytest.mark.parametrize("name", CONFIGS)
def test_a_published_config_gives_the_catalogs_shape_and_params(name: str) -> None:
    known = lookup(name)
    read = arch_from_config(CONFIGS[name], name, None, "config.json")
    assert known is not None and read is not None
    for field in SHAPE:
        if field == "decoder_layers" and known.decoder_layers is None:
            assert read.generating_layers == known.generating_layers
            continue
        assert getattr(read, field) == getattr(known, field), field
    assert read.params == pytest.approx(known.params, rel=0.02)
    assert read.kv_bytes_per_token() == known.kv_bytes_per_token()


@pytest.mark.parametrize(
    "config",
    [
        {"model_type": "mystery"},
        {"model_type": "llama", "num_hidden_layers": -2, "hidden_size": 64, "num_attention_heads": 4, "vocab_size": 9},
        {"model_type": "llama", "num_hidden_layers": 2, "hidden_size": "64", "num_attention_heads": 4},
    ],
)
def test_a_config_without_dimensions_gives_no_architecture(config: dict[str, Any]) -> None:
    assert arch_from_config(config, "x", None, "config.json") is None
