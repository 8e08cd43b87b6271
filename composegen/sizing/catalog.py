"""Models composegen knows by name: parameter counts and KV-cache sizes, from the bundled catalog
(composegen/models/catalog.json; facts/sizing.md §ML models)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from composegen.errors import InputError
from composegen.models.catalog import BYTES_PER_PARAM, ModelArch, lookup
from composegen.models.footprint import ModelFootprint

if TYPE_CHECKING:
    from composegen.models.local import LocalModel
    from composegen.profiles.models import ModelRef

__all__ = ["BYTES_PER_PARAM", "KnownModel", "footprint", "known_model"]

SOURCE = "composegen model catalog (config.json)"


@dataclass(frozen=True)
class KnownModel:
    name: str
    params: float
    kv_bytes_per_token: int | None = None  # fp16, per token, all layers (vLLM's formula)
    arch: ModelArch | None = None


def known_model(name: str) -> KnownModel | None:
    """The catalog's model by id, short id or alias: its params and fp16 KV cache per token."""
    arch = lookup(name)
    if arch is None:  # an Ollama tag (`llama3.1:70b`) or a GGUF file, as LLM serving names them
        from composegen.sizing.serving import architecture, kv_per_token

        served = architecture(name)
        if served is None:
            return None
        return KnownModel(served.name, served.params, int(kv_per_token(served, 2.0)), lookup(served.name))
    kv = arch.kv_bytes_per_token("fp16")
    return KnownModel(arch.name, arch.params, None if kv is None else int(kv), arch)


def local_model(given: str, name: str | None, where: str, root: Path) -> LocalModel:
    """The model at path `given` (relative to composegen.yaml's folder `root`); in a cache of
    several, the one `name` names."""
    from composegen.models.local import find_in_cache, inspect, read_folder

    path = root / Path(given).expanduser()
    if not path.exists():
        fix = f"give a path relative to {root} or an absolute one"
        raise InputError(f"model path {given!r} does not exist", where=where, fix=fix)
    if name and path.is_dir():
        snapshot = find_in_cache(path, name)
        if snapshot is not None:
            return read_folder(snapshot)
    found = inspect(path)
    if len(found) > 1:
        names = ", ".join(m.name for m in found)
        raise InputError(f"{given} holds {len(found)} models", where=where, fix=f"name the one it loads: {names}")
    return found[0]


def from_path(ref: ModelRef, given: str, where: str, root: Path) -> ModelFootprint:
    """A model read from its files: exact params, the checkpoint's bytes per parameter (or the
    dtype given), and the KV cache of its config (unless given)."""
    local = local_model(given, ref.name, where, root)
    if not local.params:
        raise InputError(
            f"{given}: no parameter count in its headers", where=where, fix="add params, or point at the weights"
        )
    name = ref.name or local.name
    kv = ref.kv_bytes_per_token
    if kv is None and local.arch is not None:
        per_token = local.arch.kv_bytes_per_token("fp16")
        kv = None if per_token is None else int(per_token)
    source = f"{local.path} ({local.format} headers)"
    if "dtype" in ref.model_fields_set or local.weight_bytes is None:
        return ModelFootprint(name, local.params, ref.dtype, BYTES_PER_PARAM[ref.dtype], kv, source, local.arch)
    bytes_per_param = local.weight_bytes / local.params
    return ModelFootprint(name, local.params, local.dtype_label, bytes_per_param, kv, source, local.arch)


def footprint(ref: ModelRef, where: str, root: Path | None = None) -> ModelFootprint:
    """Resolve a model reference from composegen.yaml to params and bytes per parameter; a `path`
    is read relative to `root`, composegen.yaml's folder."""
    if ref.path is not None:
        return from_path(ref, ref.path, where, root if root is not None else Path.cwd())
    bytes_per_param = BYTES_PER_PARAM[ref.dtype]
    known = known_model(ref.name) if ref.name else None
    if ref.params is not None:
        name = ref.name or f"{ref.params / 1e6:.0f}M-param model"
        kv = ref.kv_bytes_per_token or (known.kv_bytes_per_token if known else None)
        arch = known.arch if known else None
        return ModelFootprint(name, ref.params, ref.dtype, bytes_per_param, kv, "declared params", arch)
    if known is None:
        raise InputError(
            f"unknown model {ref.name!r}",
            where=where,
            fix="give its params (like `params: 350M`), or use a name `composegen models` lists",
        )
    kv = ref.kv_bytes_per_token or known.kv_bytes_per_token
    return ModelFootprint(known.name, known.params, ref.dtype, bytes_per_param, kv, SOURCE, known.arch)
