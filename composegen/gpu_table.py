"""The memory of common GPUs by name (docs/sizing.md §GPUs): what composegen.yaml's `host.gpus.model`
means, and what a model must fit when no GPU is named.

Memory is each vendor's published capacity, which is binary (an "80 GB" H100 carries 80 GiB of
HBM; the driver keeps a little: nvidia-smi shows 81,559 MiB). Sources, one a family:
- NVIDIA data-center: nvidia.com/en-us/data-center/{tesla-t4, l4, a10, a40, l40, l40s, a100, h100,
  h200}/ datasheets; B200: the DGX B200 datasheet (1,440 GB over 8 GPUs); V100: the V100 datasheet.
- NVIDIA workstation and GeForce: nvidia.com product pages (RTX A6000, RTX 6000 Ada, RTX 3090,
  RTX 4090, RTX 5090 specifications).
- AMD Instinct: amd.com/en/products/accelerators/instinct/mi300 (MI300X 192 GB, MI325X 256 GB).
"""

from __future__ import annotations

import re

from composegen.units import GIB

#: name (lower case, no spaces) → memory per GPU in bytes.
GPU_MEMORY: dict[str, int] = {
    "t4": 16 * GIB,
    "v100": 32 * GIB,
    "v100-16gb": 16 * GIB,
    "v100-32gb": 32 * GIB,
    "a10": 24 * GIB,
    "a10g": 24 * GIB,
    "l4": 24 * GIB,
    "a40": 48 * GIB,
    "l40": 48 * GIB,
    "l40s": 48 * GIB,
    "a100": 80 * GIB,
    "a100-40gb": 40 * GIB,
    "a100-80gb": 80 * GIB,
    "h100": 80 * GIB,
    "h100-80gb": 80 * GIB,
    "h100-nvl": 94 * GIB,
    "h200": 141 * GIB,
    "b200": 180 * GIB,
    "rtx-3060": 12 * GIB,
    "rtx-3090": 24 * GIB,
    "rtx-4080": 16 * GIB,
    "rtx-4090": 24 * GIB,
    "rtx-5090": 32 * GIB,
    "rtx-a6000": 48 * GIB,
    "rtx-6000-ada": 48 * GIB,
    "mi250x": 128 * GIB,
    "mi300x": 192 * GIB,
    "mi325x": 256 * GIB,
}
#: The most memory one GPU in the table has: what a model must fit when composegen.yaml names no GPU.
LARGEST_GPU = max(GPU_MEMORY, key=lambda name: GPU_MEMORY[name])


def normalized(name: str) -> str:
    """`NVIDIA H100 80GB` → `h100-80gb`, `RTX 4090` → `rtx-4090`: the table's key."""
    text = name.strip().lower()
    text = re.sub(r"^(nvidia|amd|geforce|tesla|instinct)[\s_-]+", "", text)
    text = re.sub(r"^(geforce|tesla|instinct)[\s_-]+", "", text)
    return re.sub(r"[\s_]+", "-", text)


def gpu_memory(name: str) -> int | None:
    """Memory of one GPU by its name (`H100`, `nvidia a100-40gb`, `RTX 4090`); None if unknown."""
    return GPU_MEMORY.get(normalized(name))
