"""What `composegen models` prints: the catalog as a table or JSON, one model's facts and
footprint, and what local model files say."""

from __future__ import annotations

import difflib
import json
from dataclasses import asdict
from typing import Any

from composegen.errors import InputError
from composegen.models.catalog import ModelArch, lookup, models
from composegen.models.local import LocalModel
from composegen.units import human_bytes

#: The KV cache is kept in the activations' dtype: the weights' for 16 and 32 bits, 16 bits for
#: quantized weights (vLLM's and llama.cpp's default cache dtype).
KV_DTYPE = {"fp32": "fp32", "fp16": "fp16", "bf16": "bf16"}
KV_DEFAULT = "fp16"


def count_text(n: int | None) -> str:
    """8030261248 -> 8.03B; 124645632 -> 124.6M."""
    if n is None:
        return "-"
    if n >= 10**9:
        return f"{n / 1e9:.2f}B"
    if n >= 10**6:
        return f"{n / 1e6:.1f}M"
    return f"{n / 1e3:.1f}K" if n >= 10**3 else str(n)


def select(kind: str | None, family: str | None) -> tuple[ModelArch, ...]:
    return tuple(
        m
        for m in models()
        if (kind is None or m.kind == kind) and (family is None or m.family.lower() == family.lower())
    )


def arch_json(m: ModelArch) -> dict[str, Any]:
    data = asdict(m)
    data["aliases"] = list(m.aliases)
    return data


def catalog_json(chosen: tuple[ModelArch, ...]) -> str:
    return json.dumps([arch_json(m) for m in chosen], indent=2) + "\n"


def catalog_text(chosen: tuple[ModelArch, ...]) -> str:
    header = ("model", "kind", "family", "params", "active", "layers", "hidden", "heads/kv", "context")
    rows = [header] + [
        (
            m.name,
            m.kind,
            m.family,
            count_text(m.params),
            count_text(m.active_params) if m.is_moe else "",
            str(m.layers),
            str(m.hidden),
            f"{m.heads}/{m.kv_heads}",
            str(m.max_positions),
        )
        for m in chosen
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines) + f"\n{len(chosen)} models; `composegen models show NAME` for one\n"


def unknown_model(name: str) -> InputError:
    names = [n for m in models() for n in (m.name, *m.aliases)]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    return InputError(
        f"unknown model {name!r}",
        fix=f"{hint}`composegen models` lists the names composegen knows; for another model run "
        "`composegen models inspect PATH` on its files",
    )


def show(name: str, dtype: str, context: int | None) -> dict[str, Any]:
    """One model's facts and its footprint at `dtype`; the KV cache for `context` tokens per
    sequence (default: its maximum)."""
    m = lookup(name)
    if m is None:
        raise unknown_model(name)
    weights = m.weight_bytes(dtype)
    facts: dict[str, Any] = {**arch_json(m), "dtype": dtype, "weights_bytes": round(weights)}
    kv_dtype = KV_DTYPE.get(dtype, KV_DEFAULT)
    per_token = m.kv_bytes_per_token(kv_dtype)
    if per_token is not None:
        tokens = context or m.max_positions
        facts.update(kv_dtype=kv_dtype, kv_bytes_per_token=round(per_token), kv_context=tokens)
        facts["kv_bytes_per_sequence"] = round(per_token * tokens)
    return facts


def show_text(facts: dict[str, Any]) -> str:
    lines = [f"{facts['name']}  ({facts['kind']}, {facts['family']})"]
    if facts["aliases"]:
        lines.append(f"  also: {', '.join(facts['aliases'])}")
    lines.append(f"  params: {count_text(facts['params'])} ({facts['params']:,})")
    if facts["active_params"] is not None:
        lines.append(
            f"  active per token: {count_text(facts['active_params'])} "
            f"({facts['experts_per_token']} of {facts['experts']} experts, {facts['shared_experts']} shared)"
        )
    layers = f"{facts['layers']}"
    if facts["decoder_layers"] is not None:
        layers += f" encoder + {facts['decoder_layers']} decoder"
    lines.append(
        f"  layers {layers}, hidden {facts['hidden']}, heads {facts['heads']} (KV {facts['kv_heads']}), "
        f"head dim {facts['head_dim']}, intermediate {facts['intermediate']}"
    )
    lines.append(
        f"  vocabulary {facts['vocab']}, max positions {facts['max_positions']}, "
        f"embeddings {'tied' if facts['tied_embeddings'] else 'untied'}"
    )
    lines.append(f"  weights ({facts['dtype']}): {human_bytes(facts['weights_bytes'])}")
    if "kv_bytes_per_token" in facts:
        lines.append(
            f"  KV cache ({facts['kv_dtype']}): {human_bytes(facts['kv_bytes_per_token'])} per token, "
            f"{human_bytes(facts['kv_bytes_per_sequence'])} per sequence of {facts['kv_context']} tokens"
        )
    if facts["note"]:
        lines.append(f"  note: {facts['note']}")
    lines.append(f"  source: {facts['source']}")
    return "\n".join(lines)


def _local_json(found: LocalModel) -> dict[str, Any]:
    data = asdict(found)
    data["files"] = list(found.files)
    data["arch"] = arch_json(found.arch) if found.arch else None
    data["bits_per_weight"] = round(found.bits_per_weight, 3) if found.bits_per_weight else None
    data["main_dtype"] = found.main_dtype
    if found.arch is not None and found.arch.kind != "encoder":
        data["kv_bytes_per_token_fp16"] = found.arch.kv_bytes_per_token("fp16")
    return data


def local_json(found: list[LocalModel]) -> list[dict[str, Any]]:
    return [_local_json(f) for f in found]


def _local_text(found: LocalModel) -> str:
    lines = [f"{found.path}: {found.name} ({found.format}{', ' + found.architecture if found.architecture else ''})"]
    if found.catalog:
        lines.append(f"  in the catalog as {found.catalog}")
    if found.params is not None:
        exact = " (from the tensor headers)" if found.weight_bytes is not None else " (from config.json's dimensions)"
        lines.append(f"  params: {count_text(found.params)} ({found.params:,}){exact}")
    if found.weight_bytes is not None:
        bits = f", {found.bits_per_weight:.2f} bits per weight" if found.bits_per_weight else ""
        lines.append(f"  weights: {human_bytes(found.weight_bytes)} in {found.tensors} tensors{bits}")
    if found.quantization:
        lines.append(f"  quantization: {found.quantization}")
    if found.dtypes:
        parts = sorted(found.dtypes.items(), key=lambda kv: -kv[1])
        lines.append("  dtypes: " + ", ".join(f"{d} {count_text(n)}" for d, n in parts))
    arch = found.arch
    if arch is not None:
        lines.append(
            f"  {arch.kind}: layers {arch.layers}, hidden {arch.hidden}, heads {arch.heads} (KV {arch.kv_heads}), "
            f"head dim {arch.head_dim}, vocabulary {arch.vocab}"
        )
        per_token = arch.kv_bytes_per_token("fp16")
        if per_token is not None:
            lines.append(f"  KV cache (fp16): {human_bytes(per_token)} per token")
    if found.context_length:
        lines.append(f"  context length: {found.context_length}")
    return "\n".join(lines)


def local_text(found: list[LocalModel]) -> str:
    return "\n".join(_local_text(f) for f in found)
