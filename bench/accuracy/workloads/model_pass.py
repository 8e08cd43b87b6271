"""One inference process: build transformer models from local configs with random weights (no
download), then run one forward pass over a batch of random token ids.

    python model_pass.py --models roberta-base,bart-large --dtype bf16 --batch 8 --seq 512

The configs are in ../models/NAME/config.json. With --checkpoints DIR the models are loaded with
`from_pretrained(DIR/NAME, dtype=...)` from fp32 safetensors checkpoints of random weights that
`--save` wrote there first (the dtype of these models' published checkpoints), as a server loads
them; without it they are built from the config in the dtype. The pass runs without a KV cache
(`use_cache=False`): one encoding, as a classifier or an embedder serves it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

MODELS = Path(__file__).resolve().parent.parent / "models"


def build(names: list[str], dtype: str, checkpoints: Path | None = None) -> list[Any]:
    """The models: loaded from `checkpoints/NAME` (fp32 safetensors that `save` wrote) in `dtype`,
    as a server loads a published checkpoint, or else built from the config in `dtype`."""
    import torch
    from transformers import AutoConfig, AutoModel

    torch_dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[dtype]
    built = []
    for name in names:
        if checkpoints is not None:
            model = AutoModel.from_pretrained(checkpoints / name, dtype=torch_dtype)
        else:
            model = AutoModel.from_config(AutoConfig.from_pretrained(MODELS / name), dtype=torch_dtype)
        built.append(model.eval())
    return built


def save(names: list[str], checkpoints: Path) -> None:
    """Write an fp32 checkpoint of random weights for each model that has none yet (seeded)."""
    import torch
    from transformers import AutoConfig, AutoModel

    for name in names:
        if (checkpoints / name / "model.safetensors").exists():
            continue
        torch.manual_seed(0)
        model = AutoModel.from_config(AutoConfig.from_pretrained(MODELS / name), dtype=torch.float32)
        model.save_pretrained(checkpoints / name)


def forward(models: list[Any], batch: int, seq: int) -> None:
    import torch

    generator = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        for model in models:
            ids = torch.randint(3, model.config.vocab_size, (batch, seq), generator=generator)
            model(input_ids=ids, attention_mask=torch.ones_like(ids), use_cache=False)


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
