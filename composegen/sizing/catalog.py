"""Models composegen knows by name: parameter counts and KV-cache sizes (facts/sizing.md §ML models)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from composegen.errors import InputError
from composegen.sizing.inputs import ModelFootprint

if TYPE_CHECKING:
    from composegen.profiles.models import ModelRef

#: Bytes per parameter by dtype (facts/sizing.md §ML models).
BYTES_PER_PARAM: dict[str, float] = {"fp32": 4.0, "fp16": 2.0, "bf16": 2.0, "int8": 1.0, "int4": 0.5}

KIB = 1024


@dataclass(frozen=True)
class KnownModel:
    name: str
    params: float
    kv_bytes_per_token: int | None = None  # fp16, per token, all layers (vLLM's formula)
    aliases: tuple[str, ...] = ()


# facts/sizing.md §ML models: parameter counts and KV cache per token (fp16).
KNOWN_MODELS: tuple[KnownModel, ...] = (
    KnownModel("facebook/bart-large", 406.3e6, aliases=("bart-large",)),
    KnownModel("roberta-base", 124.6e6, aliases=("FacebookAI/roberta-base",)),
    KnownModel("roberta-large", 355.4e6, aliases=("FacebookAI/roberta-large",)),
    KnownModel("distilroberta-base", 82.1e6, aliases=("distilroberta", "distilbert/distilroberta-base")),
    KnownModel("HuggingFaceTB/SmolLM2-1.7B", 1.711e9, 192 * KIB, aliases=("SmolLM2-1.7B", "smollm2-1.7b")),
    KnownModel("meta-llama/Meta-Llama-3-8B", 8.030e9, 128 * KIB, aliases=("Llama-3-8B", "llama3-8b", "llama-3-8b")),
    KnownModel("meta-llama/Meta-Llama-3-70B", 70.55e9, 320 * KIB, aliases=("Llama-3-70B", "llama3-70b", "llama-3-70b")),
)
_BY_NAME = {n.lower(): m for m in KNOWN_MODELS for n in (m.name, *m.aliases)}


def known_model(name: str) -> KnownModel | None:
    """A model by name: the table above, else a decoder LLM serving knows (composegen.sizing.serving)."""
    found = _BY_NAME.get(name.lower())
    if found is None:
        from composegen.sizing.serving import architecture, kv_per_token

        arch = architecture(name)
        if arch is not None:
            return KnownModel(arch.name, arch.params, int(kv_per_token(arch, 2.0)))
    return found


def footprint(ref: ModelRef, where: str) -> ModelFootprint:
    """Resolve a model reference from composegen.yaml to params and bytes per parameter."""
    bytes_per_param = BYTES_PER_PARAM[ref.dtype]
    known = known_model(ref.name) if ref.name else None
    if ref.params is not None:
        name = ref.name or f"{ref.params / 1e6:.0f}M-param model"
        kv = ref.kv_bytes_per_token or (known.kv_bytes_per_token if known else None)
        return ModelFootprint(name, ref.params, ref.dtype, bytes_per_param, kv, "declared params")
    if known is None:
        names = ", ".join(m.aliases[0] if m.aliases else m.name for m in KNOWN_MODELS)
        raise InputError(
            f"unknown model {ref.name!r}",
            where=where,
            fix=f"give its params (like `params: 350M`) or use one of: {names}",
        )
    kv = ref.kv_bytes_per_token or known.kv_bytes_per_token
    return ModelFootprint(known.name, known.params, ref.dtype, bytes_per_param, kv, "facts/sizing.md §ML models")
