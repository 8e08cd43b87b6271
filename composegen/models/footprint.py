"""One model a service loads, with its parameter count resolved: what the sizing calculators read
(composegen.sizing.catalog resolves it from the catalog or a local file; composegen.models.mounts
from a file the service mounts). Kept small: `composegen lint` imports it."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from composegen.models.catalog import ModelArch


class ModelFootprint(NamedTuple):
    """One model a service loads, with its parameter count resolved."""

    name: str
    params: float
    dtype: str
    bytes_per_param: float
    kv_bytes_per_token: int | None
    source: str  # where params (and KV size) came from
    arch: ModelArch | None = None  # its shape, where the catalog or its config.json gives one
