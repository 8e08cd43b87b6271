"""One inference process: build transformer models from local configs with random weights (no
download), then run one forward pass over a batch of random token ids.

    python model_pass.py --models roberta-base,bart-large --dtype bf16 --batch 8 --seq 512

The configs are in ../models/NAME/config.json. With --checkpoints DIR the models are loaded with
`from_pretrained(DIR/NAME, dtype=...)` from fp32 safetensors checkpoints of random weights that
`--save` wrote there first (the dtype of these models' published checkpoints), as a server loads
them; without it they are built from the config in the dtype.

What the pass is follows the config, as composegen's catalog kind does: an encoder (no
`is_encoder_decoder`, no causal-LM architecture) is built with AutoModel and runs one encoding
without a KV cache (`use_cache=False`), as a classifier or an embedder serves it. A decoder
(architectures `*ForCausalLM` / `*LMHeadModel`) is built with its LM head and generates: a prefill
of seq − STEPS tokens with a KV cache and full logits, then STEPS greedy steps, to seq tokens in
the cache. A seq2seq model (`is_encoder_decoder`) is built with its LM head: it encodes seq tokens,
then its decoder does the same prefill and steps over the encoder's output.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

MODELS = Path(__file__).resolve().parent.parent / "models"
STEPS = 4  # greedy decoding steps after the prefill (decoders and seq2seq)


def model_class(config: Any) -> Any:
    """AutoModel for an encoder; the LM-head class for a decoder or a seq2seq model."""
    from transformers import AutoModel, AutoModelForCausalLM, AutoModelForSeq2SeqLM

    if getattr(config, "is_encoder_decoder", False):
        return AutoModelForSeq2SeqLM
    if any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in config.architectures or ()):
        return AutoModelForCausalLM
    return AutoModel


def build(names: list[str], dtype: str, checkpoints: Path | None = None) -> list[Any]:
    """The models: loaded from `checkpoints/NAME` (fp32 safetensors that `save` wrote) in `dtype`,
    as a server loads a published checkpoint, or else built from the config in `dtype`."""
    import torch
    from transformers import AutoConfig

    torch_dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[dtype]
    built = []
    for name in names:
        config = AutoConfig.from_pretrained(MODELS / name)
        if checkpoints is not None:
            model = model_class(config).from_pretrained(checkpoints / name, dtype=torch_dtype)
        else:
            model = model_class(config).from_config(config, dtype=torch_dtype)
        built.append(model.eval())
    return built


def save(names: list[str], checkpoints: Path) -> None:
    """Write an fp32 checkpoint of random weights for each model that has none yet (seeded)."""
    import torch
    from transformers import AutoConfig

    for name in names:
        if (checkpoints / name / "model.safetensors").exists():
            continue
        torch.manual_seed(0)
        config = AutoConfig.from_pretrained(MODELS / name)
        model = model_class(config).from_config(config, dtype=torch.float32)
        model.save_pretrained(checkpoints / name)


def forward(models: list[Any], batch: int, seq: int) -> None:
    import torch

    generator = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        for model in models:
            ids = torch.randint(3, model.config.vocab_size, (batch, seq), generator=generator)
            if model_class(model.config).__name__ == "AutoModel":
                model(input_ids=ids, attention_mask=torch.ones_like(ids), use_cache=False)
            else:
                generate(model, ids, max(1, seq - STEPS))


def cache_key(model: Any) -> str:
    """The keyword the model's forward takes its KV cache by: `cache` since transformers 5.2x,
    `past_key_values` before (bench/gpu.py runs on whatever transformers a GPU machine has)."""
    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def generate(model: Any, ids: Any, prompt: int) -> None:
    """A prefill of `prompt` tokens (full logits, a KV cache), then greedy steps to len(ids)."""
    import torch

    seq = ids.shape[1]
    inputs: dict[str, Any] = {"use_cache": True}
    if model.config.is_encoder_decoder:
        inputs |= {"input_ids": ids, "attention_mask": torch.ones_like(ids), "decoder_input_ids": ids[:, :prompt]}
        step_key = "decoder_input_ids"
    else:
        inputs |= {"input_ids": ids[:, :prompt]}
        step_key = "input_ids"
    outputs = [model(**inputs)]  # the latest only: the prefill's logits are freed at the first step
    for _ in range(seq - prompt):
        last = outputs.pop()
        step = {step_key: last.logits[:, -1:].float().argmax(-1), cache_key(model): last.past_key_values}
        step["use_cache"] = True
        if model.config.is_encoder_decoder:
            step |= {"encoder_outputs": (last.encoder_last_hidden_state,), "attention_mask": inputs["attention_mask"]}
        del last
        outputs.append(model(**step))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", required=True, help="comma-separated names under ../models")
    parser.add_argument("--dtype", default="fp32", choices=("fp32", "bf16", "fp16"))
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=512)
    parser.add_argument("--checkpoints", type=Path, help="load fp32 checkpoints from DIR/NAME (else build from config)")
    parser.add_argument("--save", action="store_true", help="only write the checkpoints into --checkpoints")
    args = parser.parse_args(argv)
    if args.save:
        save(args.models.split(","), args.checkpoints)
        return 0
    start = time.monotonic()
    models = build(args.models.split(","), args.dtype, args.checkpoints)
    built = time.monotonic()
    forward(models, args.batch, args.seq)
    done = time.monotonic()
    print(json.dumps({"pid": os.getpid(), "build_s": built - start, "forward_s": done - built}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
