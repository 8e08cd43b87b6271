"""The bundled model catalog: each model's architecture and parameter count, cited to its published
config.json (catalog.json beside this module: data, not code; JSON, one model a line, because a
lint run reads it in well under a millisecond where YAML takes 30).

Each entry: `name` (the Hugging Face id), `family` (config.json's model_type), `kind` (encoder,
decoder, seq2seq), `layers` (num_hidden_layers; the encoder's for seq2seq, `decoder_layers` the
decoder's), `hidden`, `heads`, `kv_heads` (num_key_value_heads; default `heads`), `head_dim`
(default hidden / heads), `intermediate`, `vocab`, `max_positions`, `tied_embeddings`, `params`
(as published: model card or checkpoint; an integer or `8.03B`), `active_params` for MoE (the
parameters one token runs through), `aliases` (other names: Ollama tags, old ids) and `source`
(the config.json). tests/models/test_catalog.py recomputes every `params` from the dimensions
within 2 % (params.py has each family's formula).

`lookup(name)` takes a Hugging Face id (`meta-llama/Meta-Llama-3-8B`), the id without its owner
(`Meta-Llama-3-8B`) or an alias (`llama3-8b`), in any case. A `ModelArch` is frozen; sizing reads
its weights (`params`), its KV cache per token (`kv_bytes_per_token`) and its shape.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any, Literal

from composegen.errors import InputError

Kind = Literal["encoder", "decoder", "seq2seq"]
KINDS: tuple[Kind, ...] = ("encoder", "decoder", "seq2seq")

#: Bytes per parameter (or per cached value) by dtype.
BYTES_PER_PARAM: dict[str, float] = {"fp32": 4.0, "fp16": 2.0, "bf16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}

CATALOG_FILE = Path(__file__).resolve().parent / "catalog.json"


@dataclass(frozen=True)
class ModelArch:
    """One model's architecture, as its config.json gives it, and its parameter count.

    For seq2seq models `layers` is the encoder's and `decoder_layers` the decoder's. For MoE
    models `intermediate` is the dense MLP's (layers before the first MoE one, or shared), and
    `moe_intermediate` each expert's; `params` counts every expert, `active_params` those one token
    runs through. MLA (DeepSeek V2/V3) caches `kv_lora_rank + rope_head_dim` values per layer.
    """

    name: str  # the Hugging Face id
    family: str  # config.json's model_type
    kind: Kind
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    max_positions: int
    tied_embeddings: bool
    params: int
    source: str  # the published config.json
    aliases: tuple[str, ...] = ()
    active_params: int | None = None  # MoE: parameters used per token
    experts: int | None = None  # MoE: routed experts per layer
    experts_per_token: int | None = None
    shared_experts: int = 0
    moe_intermediate: int | None = None
    dense_layers: int = 0  # MoE: leading layers with a dense MLP (DeepSeek's first_k_dense_replace)
    decoder_layers: int | None = None  # seq2seq
    sliding_window: int | None = None
    q_lora_rank: int | None = None  # MLA
    kv_lora_rank: int | None = None  # MLA
    rope_head_dim: int | None = None  # MLA: the rotary part of each query/key head (in head_dim)
    v_head_dim: int | None = None  # MLA
    mel_bins: int | None = None  # Whisper
    note: str = ""

    @property
    def is_moe(self) -> bool:
        return self.experts is not None

    @property
    def active(self) -> int:
        """Parameters one token runs through: `active_params` for MoE, else all of them."""
        return self.active_params if self.active_params is not None else self.params

    @property
    def generating_layers(self) -> int:
        """The layers that keep a KV cache while generating: the decoder's."""
        return self.decoder_layers if self.decoder_layers is not None else self.layers

    def weight_bytes(self, dtype: str) -> float:
        return self.params * BYTES_PER_PARAM[dtype]

    def kv_bytes_per_token(self, dtype: str = "fp16") -> float | None:
        """KV cache per token, all layers: 2 × layers × kv_heads × head_dim × bytes (vLLM
        kv_cache_interface.py); MLA caches one latent of kv_lora_rank + rope_head_dim per layer.
        None for an encoder, which keeps no cache."""
        if self.kind == "encoder":
            return None
        per_value = BYTES_PER_PARAM[dtype]
        if self.kv_lora_rank is not None:
            return self.generating_layers * (self.kv_lora_rank + (self.rope_head_dim or 0)) * per_value
        return 2 * self.generating_layers * self.kv_heads * self.head_dim * per_value


_KNOWN = frozenset(f.name for f in fields(ModelArch))
_REQUIRED = frozenset(f.name for f in fields(ModelArch) if f.default is MISSING)


def parse_count(value: object, where: str) -> int:
    """A parameter count: an integer, or a number with K, M, B or T (`8.03B`; units.parse_params)."""
    from composegen.errors import UnitError
    from composegen.units import parse_params

    try:
        return round(parse_params(value))
    except UnitError as err:
        raise InputError(err.message, where=where, fix=err.fix) from None


def _entry(row: Any, where: str) -> ModelArch:
    """One catalog row: a mapping of ModelArch fields; kv_heads defaults to heads, head_dim to
    hidden / heads."""
    if not isinstance(row, dict):
        raise InputError("a catalog entry is not a mapping", where=where)
    values = dict(row)
    unknown = set(values) - _KNOWN
    if unknown:
        raise InputError(f"unknown catalog fields {sorted(unknown)}", where=where)
    values.setdefault("kv_heads", values.get("heads"))
    if "head_dim" not in values and values.get("hidden") and values.get("heads"):
        values["head_dim"] = values["hidden"] // values["heads"]
    missing = _REQUIRED - set(values)
    if missing:
        raise InputError(f"catalog entry lacks {sorted(missing)}", where=where)
    if values["kind"] not in KINDS:
        raise InputError(f"catalog kind {values['kind']!r} is not one of {KINDS}", where=where)
    values["aliases"] = tuple(values.get("aliases", ()))
    for count in ("params", "active_params"):
        if values.get(count) is not None:
            values[count] = parse_count(values[count], where)
    return ModelArch(**values)


def read_catalog(path: Path) -> tuple[ModelArch, ...]:
    """A catalog file: `{"models": [{...}, ...]}`, one model a line (the line in errors)."""
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"the model catalog is not JSON: {err.msg}", where=f"{path}:{err.lineno}") from None
    rows = data.get("models") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise InputError('the model catalog has no "models" list', where=str(path))
    lines = text.splitlines()
    first = 1 + next((n for n in range(1, len(lines)) if lines[n].lstrip().startswith("{")), 0)
    return tuple(_entry(row, f"{path}:{first + i}") for i, row in enumerate(rows))


@cache
def models() -> tuple[ModelArch, ...]:
    """Every model in the bundled catalog, in the file's order."""
    return read_catalog(CATALOG_FILE)


def _key(name: str) -> str:
    return name.strip().lower()


@cache
def _index() -> dict[str, ModelArch]:
    """Every name a model answers to: its id, the id without the owner, its aliases. The full id
    is never shadowed by a short name of another model."""
    short: dict[str, ModelArch] = {}
    full: dict[str, ModelArch] = {}
    for model in models():
        full[_key(model.name)] = model
        for alias in (model.name.rsplit("/", 1)[-1], *model.aliases):
            short.setdefault(_key(alias), model)
    return {**short, **full}


def lookup(name: str) -> ModelArch | None:
    """The catalog's model by Hugging Face id, id without owner, or alias (case-insensitive); a
    `hf.co/` or `huggingface.co/` prefix and a `:tag` or `@revision` suffix are ignored."""
    key = _key(name)
    for prefix in ("https://huggingface.co/", "huggingface.co/", "hf.co/"):
        key = key.removeprefix(prefix)
    found = _index().get(key)
    if found is None:
        for sep in ("@", ":"):
            if sep in key:
                found = _index().get(key.split(sep, 1)[0])
                if found is not None:
                    break
    return found
