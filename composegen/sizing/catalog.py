"""Models composegen knows by name: parameter counts and KV-cache sizes, from the bundled catalog
(composegen/models/catalog.yaml; facts/sizing.md §ML models)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from composegen.errors import InputError
from composegen.models.catalog import BYTES_PER_PARAM, lookup
from composegen.sizing.inputs import ModelFootprint

if TYPE_CHECKING:
    from composegen.profiles.models import ModelRef

__all__ = ["BYTES_PER_PARAM", "KnownModel", "footprint", "known_model"]

SOURCE = "composegen model catalog (config.json)"


@dataclass(frozen=True)
class KnownModel:
    name: str
    params: float
    kv_bytes_per_token: int | None = None  # fp16, per token, all layers (vLLM's formula)


def known_model(name: str) -> KnownModel | None:
    """The catalog's model by id, short id or alias: its params and fp16 KV cache per token."""
    arch = lookup(name)
    if arch is None:  # an Ollama tag (`llama3.1:70b`) or a GGUF file, as LLM serving names them
        from composegen.sizing.serving import architecture, kv_per_token

        served = architecture(name)
        return KnownModel(served.name, served.params, int(kv_per_token(served, 2.0))) if served else None
    kv = arch.kv_bytes_per_token("fp16")
    return KnownModel(arch.name, arch.params, None if kv is None else int(kv))


def footprint(ref: ModelRef, where: str) -> ModelFootprint:
    """Resolve a model reference from composegen.yaml to params and bytes per parameter."""
    bytes_per_param = BYTES_PER_PARAM[ref.dtype]
    known = known_model(ref.name) if ref.name else None
    if ref.params is not None:
        name = ref.name or f"{ref.params / 1e6:.0f}M-param model"
        kv = ref.kv_bytes_per_token or (known.kv_bytes_per_token if known else None)
        return ModelFootprint(name, ref.params, ref.dtype, bytes_per_param, kv, "declared params")
    if known is None:
        raise InputError(
            f"unknown model {ref.name!r}",
            where=where,
            fix="give its params (like `params: 350M`), or use a name `composegen models` lists",
        )
    kv = ref.kv_bytes_per_token or known.kv_bytes_per_token
    return ModelFootprint(known.name, known.params, ref.dtype, bytes_per_param, kv, SOURCE)
