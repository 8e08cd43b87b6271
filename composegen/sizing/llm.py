"""LLM servers: weights + KV cache for context length × concurrent sequences + runtime.

KV cache per token = 2 × layers × kv_heads × head_dim × bytes (vLLM kv_cache_interface.py); the
catalog carries the fp16 figure per model (facts/sizing.md §ML models).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from composegen.errors import InputError
from composegen.sizing.common import FACTS_SIZING, baseline_cpus, declared_memory, startup_time, with_margin
from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.ml import RUNTIME, weights
from composegen.sizing.quantity import Quantity, given, times, total
from composegen.sizing.result import Sizing
from composegen.units import MIB

if TYPE_CHECKING:
    from composegen.profiles.models import Profile

SRC = f"{FACTS_SIZING} §ML models"
DEFAULT_CONTEXT = 4096  # composegen default when composegen.yaml names none
LOAD_BYTES_PER_SECOND = 200 * MIB  # composegen default, assumed (warm local cache)


def kv_cache(inputs: ServiceInputs) -> Quantity:
    parts = []
    for m in inputs.models:
        if m.kv_bytes_per_token is None:
            raise InputError(
                f"model {m.name!r} has no KV-cache size",
                where=f"composegen.yaml: services.{inputs.name}.models",
                fix="add kv_bytes_per_token (2 × layers × kv_heads × head_dim × 2 bytes for fp16)",
            )
        per_token = given(f"{m.name} KV bytes/token (fp16)", m.kv_bytes_per_token, "bytes", m.source)
        parts.append(per_token)
    per_token_all = total("KV bytes per token", parts)
    context = given(
        "context length",
        inputs.spec.context_length or DEFAULT_CONTEXT,
        "count",
        f"composegen.yaml: services.{inputs.name}.context_length"
        if inputs.spec.context_length
        else "composegen default",
    )
    seqs = given(
        "concurrent sequences",
        inputs.spec.concurrent_sequences or 1,
        "count",
        f"composegen.yaml: services.{inputs.name}.concurrent_sequences"
        if inputs.spec.concurrent_sequences
        else "composegen default",
    )
    tokens = times("tokens cached", context, seqs, unit="count")
    return times("KV cache", tokens, per_token_all, unit="bytes", source="vLLM kv_cache_interface.py (facts/sizing.md)")


def size(inputs: ServiceInputs, profile: Profile) -> Sizing:
    if not inputs.models:
        raise InputError(
            f"LLM service {inputs.name!r} names no model",
            where=f"composegen.yaml: services.{inputs.name}",
            fix="add models: [{name: llama3-8b, dtype: int4}] or params and kv_bytes_per_token",
        )
    w = weights(inputs.models)
    runtime = given("framework runtime", RUNTIME, "bytes", SRC)
    memory = declared_memory(inputs) or total("working set", (runtime, w, kv_cache(inputs)))
    rate = given("load rate", LOAD_BYTES_PER_SECOND, "bytes", "composegen default, assumed")
    load = Quantity("read weights", w.value / rate.value, "seconds", "weights ÷ load rate", "", (w, rate))
    startup = (
        startup_time(inputs, profile, 0.0, "")
        if inputs.spec.startup is not None
        else total("startup", (given("server start", 10.0, "seconds", "composegen default, assumed"), load))
    )
    return Sizing(
        memory=with_margin(memory, profile),
        startup=startup,
        cpus=baseline_cpus(inputs, profile, 4.0, "composegen default for an LLM server, assumed"),
        extra={"weights": w},
    )
