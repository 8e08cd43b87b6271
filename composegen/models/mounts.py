"""A model a service loads from a bind mount: `-m /models/x.gguf` or `vllm serve /models/llama`
with `./models:/models`, or a Hugging Face id found in a mounted cache
(`~/.cache/huggingface:/root/.cache/huggingface`). Read from its headers on the host."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from composegen.models.footprint import ModelFootprint
from composegen.models.local import LocalModel, find_in_cache, inspect, read_folder


def host_path(container_path: str, mounts: Sequence[tuple[str, str]]) -> Path | None:
    """Where a path inside the container is on the host, through the deepest bind mount over it."""
    inside = PurePosixPath(container_path)
    best: tuple[int, Path] | None = None
    for source, target in mounts:
        mount = PurePosixPath(target)
        if inside == mount or mount in inside.parents:
            depth = len(mount.parts)
            if best is None or depth > best[0]:
                best = (depth, Path(source) / inside.relative_to(mount))
    return best[1] if best else None


def model_in_mounts(model: str, mounts: Sequence[tuple[str, str]]) -> LocalModel | None:
    """The model `model` names (a container path, or a Hugging Face id) when a bind mount holds
    it on this machine; None when none does (or its host path is not here)."""
    if not mounts:
        return None
    if model.startswith("/"):
        found = host_path(model, mounts)
        if found is None or not found.exists():
            return None
        models = inspect(found)
        return models[0] if len(models) == 1 else None
    if model.count("/") != 1:
        return None
    for source, _ in mounts:
        root = Path(source)
        if root.is_dir():
            snapshot = find_in_cache(root, model)
            if snapshot is not None:
                return read_folder(snapshot)
    return None


def mounted_footprint(
    model: str, mounts: Sequence[tuple[str, str]], origin: str, dtype: str | None
) -> ModelFootprint | None:
    """The footprint of a model the base's command names and a bind mount holds: exact params,
    and the checkpoint's bytes per parameter unless the server sets a dtype (`dtype`)."""
    from composegen.models.catalog import BYTES_PER_PARAM

    local = model_in_mounts(model, mounts)
    if local is None or not local.params:
        return None
    kv = local.arch.kv_bytes_per_token("fp16") if local.arch is not None else None
    source = f"base file {origin}: read from {local.path} ({local.format} headers)"
    if dtype is not None or local.weight_bytes is None:
        chosen = dtype or "fp16"
        return ModelFootprint(local.name, local.params, chosen, BYTES_PER_PARAM[chosen], _int(kv), source)
    bytes_per_param = local.weight_bytes / local.params
    return ModelFootprint(local.name, local.params, local.dtype_label, bytes_per_param, _int(kv), source)


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)
