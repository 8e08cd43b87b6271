"""LLM servers: weights + KV cache for context length × concurrent sequences + runtime.

KV cache per token = 2 × layers × kv_heads × head_dim × bytes (vLLM kv_cache_interface.py); the
catalog carries the fp16 figure per model (facts/sizing.md §ML models).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from composegen.errors import InputError
from composegen.sizing import runs
from composegen.sizing.common import FACTS_SIZING, baseline_cpus, declared_memory, startup_time, with_margin
from composegen.sizing.inputs import ModelFootprint, ServiceInputs
from composegen.sizing.ml import RUNTIME, weights
from composegen.sizing.quantity import Quantity, given, times, total
from composegen.sizing.result import Sizing
from composegen.units import MIB

if TYPE_CHECKING:
    from composegen.profiles.models import Profile

SRC = f"{FACTS_SIZING} §ML models"
DEFAULT_CONTEXT = 4096  # composegen default when composegen.yaml names none
LOAD_BYTES_PER_SECOND = 200 * MIB  # composegen default, assumed (warm local cache)


#: The servers' model flags and variables, as composegen.facts names them: (program, setting).
MODEL_FACTS = (("vllm", "model"), ("tgi", "model"), ("llama.cpp", "model"), ("model", "model_id"))
#: (words in a --dtype / --quantize value, composegen's dtype), first match wins; anything else
#: (vLLM's `auto`: the checkpoint's own dtype, fp16 or bf16 for the models composegen knows) is fp16.
DTYPE_WORDS = (
    (("nf4", "fp4", "awq", "gptq", "marlin", "int4", "4bit"), "int4"),
    (("bitsandbytes", "eetq", "fp8", "int8", "8bit"), "int8"),
    (("float32",), "fp32"),
    (("bfloat16",), "bf16"),
)


def base_dtype(inputs: ServiceInputs) -> tuple[str, str]:
    """The weights' dtype the server runs (quantization over --dtype), and where it was read."""
    for setting in ("quantization", "dtype"):
        found = runs.fact(inputs, setting, "vllm", "tgi")
        if found is None:
            continue
        text = str(found.value).lower()
        if text == "float":
            return "fp32", runs.origin_text(found)
        for words, dtype in DTYPE_WORDS:
            if any(w in text for w in words):
                return dtype, runs.origin_text(found)
    return "fp16", "no --dtype or --quantization in the base: the checkpoint's 16-bit weights"


def base_models(inputs: ServiceInputs) -> tuple[ModelFootprint, ...]:
    """The model the base's command or environment names (`vllm serve X`, `--model X`,
    MODEL_ID), used as a model declared in composegen.yaml would be; an unknown one is refused
    with its origin and how to declare it."""
    for program, setting in MODEL_FACTS:
        found = runs.fact(inputs, setting, program)
        if found is None:
            continue
        from composegen.sizing.catalog import BYTES_PER_PARAM, known_model  # lazy: LLM services only

        name = str(found.value)
        known = known_model(name)
        where = runs.origin_text(found)
        if known is None:
            from composegen.models.mounts import mounted_footprint

            declared = any(runs.fact(inputs, s, "vllm", "tgi") for s in ("quantization", "dtype"))
            dtype = base_dtype(inputs)[0] if declared else None  # else the checkpoint's own
            mounted = mounted_footprint(name, inputs.base.bind_mounts, where, dtype)
            if mounted is not None:
                return (mounted,)
            raise InputError(
                f"LLM service {inputs.name!r} runs model {name!r}, whose size composegen does not know",
                where=found.where() or f"services.{inputs.name}",
                fix=f"declare it in composegen.yaml: services.{inputs.name}.models: "
                f"[{{name: {name}, params: ..., kv_bytes_per_token: ...}}]",
            )
        dtype, dtype_where = base_dtype(inputs)
        return (
            ModelFootprint(
                known.name,
                known.params,
                dtype,
                BYTES_PER_PARAM[dtype],
                known.kv_bytes_per_token,
                f"base file {where} (facts/sizing.md §ML models; dtype {dtype}: {dtype_where})",
            ),
        )
    return ()


def _tokens(
    inputs: ServiceInputs, name: str, declared: int | None, settings: tuple[tuple[str, str], ...], default: int
) -> Quantity:
    """A count for the KV cache: declared, else what the server's flags set, else `default`."""
    if declared:
        return given(name, declared, "count", f"composegen.yaml: services.{inputs.name}.{name.replace(' ', '_')}")
    for program, setting in settings:
        found = runs.fact(inputs, setting, program, most=runs.MOST_COUNT)
        if found is not None and isinstance(found.value, int):
            return runs.fact_quantity(name, found, "count")
    return given(name, default, "count", "composegen default", "default")


def kv_cache(inputs: ServiceInputs, models: tuple[ModelFootprint, ...] | None = None) -> Quantity:
    parts = []
    for m in inputs.models if models is None else models:
        if m.kv_bytes_per_token is None:
            raise InputError(
                f"model {m.name!r} has no KV-cache size",
                where=f"composegen.yaml: services.{inputs.name}.models",
                fix="add kv_bytes_per_token (2 × layers × kv_heads × head_dim × 2 bytes for fp16)",
            )
        per_token = given(f"{m.name} KV bytes/token (fp16)", m.kv_bytes_per_token, "bytes", m.source)
        parts.append(per_token)
    per_token_all = total("KV bytes per token", parts)
    context = _tokens(
        inputs,
        "context length",
        inputs.spec.context_length,
        (("vllm", "max_model_len"), ("tgi", "max_total_tokens"), ("llama.cpp", "context_length")),
        DEFAULT_CONTEXT,
    )
    seqs = _tokens(
        inputs,
        "concurrent sequences",
        inputs.spec.concurrent_sequences,
        (("vllm", "max_num_seqs"), ("llama.cpp", "parallel")),
        1,
    )
    tokens = times("tokens cached", context, seqs, unit="count")
    return times("KV cache", tokens, per_token_all, unit="bytes", source="vLLM kv_cache_interface.py (facts/sizing.md)")


def size(inputs: ServiceInputs, profile: Profile) -> Sizing:
    models = inputs.models or base_models(inputs)
    if not models:
        raise InputError(
            f"LLM service {inputs.name!r} names no model",
            where=f"composegen.yaml: services.{inputs.name}",
            fix="add models: [{name: llama3-8b, dtype: int4}] or params and kv_bytes_per_token "
            "(or name it on the command line: --model ID)",
        )
    w = weights(models)
    runtime = given("framework runtime", RUNTIME, "bytes", SRC)
    memory = declared_memory(inputs) or total("working set", (runtime, w, kv_cache(inputs, models)))
    rate = given("load rate", LOAD_BYTES_PER_SECOND, "bytes", "composegen default, assumed", "assumed")
    load = Quantity("read weights", w.value / rate.value, "seconds", "weights ÷ load rate", "", (w, rate))
    startup = (
        startup_time(inputs, profile, 0.0, "")
        if inputs.spec.startup is not None
        else total("startup", (given("server start", 10.0, "seconds", "composegen default, assumed", "assumed"), load))
    )
    return Sizing(
        memory=with_margin(memory, profile),
        startup=startup,
        cpus=baseline_cpus(inputs, profile, 4.0, "composegen default for an LLM server, assumed"),
        extra={"weights": w},
    )
