"""LLM servers: weights + KV cache for context length × concurrent sequences + runtime.

KV cache per token = 2 × layers × kv_heads × head_dim × bytes (vLLM kv_cache_interface.py); the
catalog carries the fp16 figure per model (facts/sizing.md §ML models), scaled by the KV dtype the
engine runs (vLLM --kv-cache-dtype, llama.cpp -ctk, OLLAMA_KV_CACHE_TYPE: composegen.sizing.serving).
llama.cpp's `-c` is the context of all its `-np` slots together; vLLM's and Ollama's context is
per sequence. A service that reserves GPUs keeps its weights and KV cache in VRAM, not in the
container's memory limit: the limit holds the runtime (the CPU build's where the image says `cpu`)
and what llama.cpp's `-ngl` leaves on the CPU; the VRAM per GPU is in `extra` (explain) and the
GPU lint rules (CG310-CG313). Ollama gets the settings that bound its memory in the overlay, and
llama.cpp its LLAMA_ARG_CTX_SIZE, LLAMA_ARG_N_PARALLEL and LLAMA_ARG_CACHE_RAM (llama_cpp_run).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

from composegen.errors import InputError
from composegen.models.footprint import ModelFootprint
from composegen.sizing import runs
from composegen.sizing.common import (
    FACTS_SIZING,
    baseline_cpus,
    declared_memory,
    limit_with_mounts,
    startup_time,
    with_margin,
)
from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.ml import runtime, weights
from composegen.sizing.quantity import Quantity, SourceKind, given, largest, times, total
from composegen.sizing.result import EnvSetting, Sizing
from composegen.units import GIB, MIB

if TYPE_CHECKING:
    from composegen.profiles.models import Profile
    from composegen.sizing.gpus import Reservation

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
        bytes_per_param = BYTES_PER_PARAM[dtype]
        if program == "llama.cpp":  # a GGUF file: the type its name says (`.Q8_0.gguf`), else 16 bits
            from composegen.sizing.engines import bits_per_weight, engine_of

            engine = engine_of(inputs.facts)
            if engine is not None:
                bits, dtype_where = bits_per_weight(engine)
                dtype, bytes_per_param = dtype_where.split(",")[0].split(" (")[0], bits / 8
        return (
            ModelFootprint(
                known.name,
                known.params,
                dtype,
                bytes_per_param,
                known.kv_bytes_per_token,
                f"base file {where} (facts/sizing.md §ML models; dtype {dtype}: {dtype_where})",
                known.arch,
            ),
        )
    return ()


def _tokens(
    inputs: ServiceInputs, name: str, declared: int | None, settings: tuple[tuple[str, str], ...], default: int
) -> Quantity:
    """A count for the KV cache: declared, else what the server's flags set, else `default`; never
    below what the compose file sets (a command runs its flags whatever composegen.yaml says, and
    the overlay keeps Ollama's larger variables)."""
    for program, setting in settings:
        found = runs.fact(inputs, setting, program, most=runs.MOST_COUNT)
        if declared and found is not None and isinstance(found.value, int) and found.value > declared:
            return runs.fact_quantity(name, found, "count")
    if declared:
        return given(name, declared, "count", f"composegen.yaml: services.{inputs.name}.{name.replace(' ', '_')}")
    for program, setting in settings:
        found = runs.fact(inputs, setting, program, most=runs.MOST_COUNT)
        if found is not None and isinstance(found.value, int):
            return runs.fact_quantity(name, found, "count")
    return given(name, default, "count", "composegen default", "default")


def kv_dtype(inputs: ServiceInputs) -> tuple[float, str]:
    """Bytes per cached element the engine runs (2 for fp16, 1 for fp8, 34/32 for q8_0), and where
    it was read; fp16 where the base sets none or one composegen does not know."""
    from composegen.sizing.serving import kv_bytes

    k_type, v_type = runs.fact(inputs, "cache_type_k", "llama.cpp"), runs.fact(inputs, "cache_type_v", "llama.cpp")
    if k_type is not None or v_type is not None:  # llama.cpp types K and V apart (-ctk, -ctv; f16 each)
        halves = [kv_bytes(str(found.value)) if found is not None else 2.0 for found in (k_type, v_type)]
        if None not in halves:
            said = "; ".join(runs.origin_text(found) for found in (k_type, v_type) if found is not None)
            return sum(
                h for h in halves if h is not None
            ) / 2, f"base file {said} (K and V averaged; docs/sizing.md §LLM serving)"
    for program, setting in (("vllm", "kv_cache_dtype"), ("ollama", "kv_cache_type")):
        found = runs.fact(inputs, setting, program)
        if found is not None and (element := kv_bytes(str(found.value))) is not None:
            return element, f"base file {runs.origin_text(found)} (docs/sizing.md §LLM serving)"
    return 2.0, "fp16, the engines' default"


def concurrent_sequences(inputs: ServiceInputs) -> Quantity:
    """Sequences served at once: declared, else the server's flag (vLLM --max-num-seqs, llama.cpp
    -np, OLLAMA_NUM_PARALLEL), else 1."""
    return _tokens(
        inputs,
        "concurrent sequences",
        inputs.spec.concurrent_sequences,
        (("vllm", "max_num_seqs"), ("llama.cpp", "parallel"), ("ollama", "num_parallel")),
        1,
    )


def kv_cache(inputs: ServiceInputs, models: tuple[ModelFootprint, ...] | None = None) -> Quantity:
    parts = []
    element, element_where = kv_dtype(inputs)
    for m in inputs.models if models is None else models:
        if m.kv_bytes_per_token is None:
            raise InputError(
                f"model {m.name!r} has no KV-cache size",
                where=f"composegen.yaml: services.{inputs.name}.models",
                fix="add kv_bytes_per_token (2 × layers × kv_heads × head_dim × 2 bytes for fp16)",
            )
        per_token = given(f"{m.name} KV bytes/token (fp16)", m.kv_bytes_per_token, "bytes", m.source)
        if element != 2.0:
            scale = given("KV dtype ÷ fp16", element / 2.0, "count", element_where)
            per_token = times(f"{m.name} KV bytes/token", per_token, scale, unit="bytes")
        parts.append(per_token)
    per_token_all = total("KV bytes per token", parts)
    if llama_cpp_runs(inputs):
        run = llama_cpp_run(inputs, inputs.models if models is None else models)
        tokens = llama_cpp_cells(inputs, run.context, run.slots, run.unified)
        source = "vLLM kv_cache_interface.py (facts/sizing.md)"
        return times("KV cache", tokens, per_token_all, unit="bytes", source=source)
    context = _tokens(
        inputs,
        "context length",
        inputs.spec.context_length,
        (
            ("vllm", "max_model_len"),
            ("tgi", "max_total_tokens"),
            ("llama.cpp", "context_length"),
            ("ollama", "context_length"),
        ),
        DEFAULT_CONTEXT,
    )
    seqs = concurrent_sequences(inputs)
    tokens = times("tokens cached", context, seqs, unit="count")
    return times("KV cache", tokens, per_token_all, unit="bytes", source="vLLM kv_cache_interface.py (facts/sizing.md)")


def llama_cpp_runs(inputs: ServiceInputs) -> bool:
    return inputs.facts is not None and "llama.cpp" in inputs.facts.programs


class LlamaCppRun(NamedTuple):
    """What llama.cpp's server runs its KV cache with: `-c` (every slot's context together), its
    slots (`-np`), whether they share one KV stream, and the variables the overlay writes for
    composegen.yaml's context_length and concurrent_sequences (composegen.sizing.engines)."""

    context: Quantity
    slots: Quantity
    unified: bool
    env: tuple[EnvSetting, ...]
    notes: tuple[str, ...]


def llama_cpp_run(inputs: ServiceInputs, models: tuple[ModelFootprint, ...]) -> LlamaCppRun:
    """llama.cpp's `-c` and `-np` as the base and the overlay make it run: its flags and variables,
    composegen.yaml's declaration where the overlay can write it, else llama.cpp's defaults: the
    model's training context (catalog max positions, the GGUF's context_length) and 4 slots sharing
    one KV stream (composegen.sizing.serving.LLAMA_CPP_ASSUMED_CONTEXT, LLAMA_CPP_AUTO_SLOTS)."""
    from composegen.sizing.engines import DECLARED_CONTEXT, DECLARED_SLOTS, engine_of, llama_cpp_default_context
    from composegen.sizing.engines import with_declared as declared_in

    found = engine_of(inputs.facts, "llama.cpp")
    if found is None:  # not llama.cpp's server: callers ask only where llama_cpp_runs
        raise ValueError(f"service {inputs.name!r} runs no llama.cpp server")
    engine = declared_in(found, inputs.spec.context_length, inputs.spec.concurrent_sequences)
    slots_said = engine.sequences
    slots_kind: SourceKind = "declared" if slots_said.where == DECLARED_SLOTS else "default"
    slots = (
        runs.fact_quantity("slots (-np)", slots_said.fact, "count")
        if slots_said.fact is not None
        else given("slots (-np)", slots_said.number, "count", slots_said.where, slots_kind)
    )
    said = engine.context
    env: list[EnvSetting] = []
    notes: list[str] = []
    if said.value is not None and said.fact is not None:
        context = runs.fact_quantity("context (-c)", said.fact, "count")
    elif said.value is not None:
        context = given("context (-c)", said.number, "count", said.where, "declared")
    else:
        training = max((m.arch.max_positions for m in models if m.arch is not None), default=0)
        tokens = llama_cpp_default_context(engine, training)
        streams = "" if engine.unified else f" × {int(slots.value)} slots (no unified KV cache)"
        if training:
            context = given(
                "context (-c)",
                tokens,
                "count",
                f"{said.where}: {training} tokens{streams}",
                "default",
            )
        else:
            from composegen.sizing.serving import LLAMA_CPP_ASSUMED_CONTEXT

            context = given(
                "context (-c)",
                tokens,
                "count",
                f"assumed: {LLAMA_CPP_ASSUMED_CONTEXT} tokens{streams}, llama.cpp's default being the model's "
                "training context, which composegen does not know; declare it: -c N in the command",
                "assumed",
            )
    if slots_said.where == DECLARED_SLOTS:
        env.append(EnvSetting("LLAMA_ARG_N_PARALLEL", str(int(slots.value)), slots))
    if said.where == DECLARED_CONTEXT:
        env.append(EnvSetting("LLAMA_ARG_CTX_SIZE", str(int(context.value)), context))
    declared = inputs.spec.context_length
    if declared and said.where != DECLARED_CONTEXT and said.fact is not None:
        notes.append(
            f"context_length: composegen.yaml declares {declared} a sequence, but the compose file runs "
            f"llama.cpp with {runs.origin_text(said.fact)}: sized for {int(context.value)} tokens (a flag beats "
            "the overlay's LLAMA_ARG_CTX_SIZE, and the plan never writes less than the compose file sets)"
        )
    return LlamaCppRun(context, slots, engine.unified, tuple(env), tuple(notes))


def llama_cpp_cells(inputs: ServiceInputs, context: Quantity, slots: Quantity, together: bool) -> Quantity:
    """The KV cells llama.cpp's server allocates for `-c` over `-np` slots: -c padded to 256, each
    slot's share padded again without `--kv-unified` (composegen.sizing.serving.llama_cpp_cells)."""
    from composegen.sizing.serving import llama_cpp_cells as cells

    return Quantity(
        "tokens cached (llama.cpp's KV cells)",
        cells(int(context.value), int(slots.value), together),
        "count",
        "-c padded to 256 cells" + (" (--kv-unified)" if together else ", each slot's -c ÷ -np padded to 256"),
        "src/llama-context.cpp, src/llama-kv-cache.cpp (docs/sizing.md §LLM serving)",
        (context, slots),
    )


#: llama.cpp's process beside its model's tensors (the binary, its libraries, its threads), measured
#: with llama-cpp-python (bench/accuracy/llamacpp.py, fitted on its FITTED cases): no torch in it.
LLAMA_CPP_PROCESS = 64 * MIB


def llama_cpp_runtime(inputs: ServiceInputs, models: tuple[ModelFootprint, ...], slots: Quantity) -> Quantity:
    """What llama.cpp's server holds on the CPU beside its weights and KV cache: its process and the
    part of its compute buffer a batch of `-ub` prompt tokens touches (composegen.sizing.serving.
    llama_cpp_compute), for the widest model."""
    from composegen.sizing.serving import LLAMA_CPP_UBATCH, LLAMA_CPP_VOCAB_BYTES, llama_cpp_compute

    process = given(
        "llama.cpp process",
        LLAMA_CPP_PROCESS,
        "bytes",
        "measured: bench/accuracy/llamacpp.py (docs/benchmarks.md)",
        "measured",
    )
    found = runs.fact(inputs, "ubatch_size", "llama.cpp", most=runs.MOST_COUNT)
    ubatch = (
        runs.fact_quantity("prompt batch (-ub)", found, "count")
        if found is not None
        else given(
            "prompt batch (-ub)", LLAMA_CPP_UBATCH, "count", "llama.cpp's default (common.h n_ubatch)", "default"
        )
    )
    graphs = [
        given(
            f"{m.name} compute buffer",
            llama_cpp_compute(m.arch.hidden, m.arch.intermediate, m.arch.vocab, int(ubatch.value), int(slots.value)),
            "bytes",
            "4 × (-ub × (6 × hidden + 3 × intermediate) + 2 × slots × vocab): composegen.sizing.serving",
        )
        for m in models
        if m.arch is not None
    ]
    vocab = sum(m.arch.vocab for m in models if m.arch is not None) * LLAMA_CPP_VOCAB_BYTES
    parts = [process]
    if vocab:
        parts.append(
            given(
                "vocabularies",
                vocab,
                "bytes",
                "composegen's figure: 64 bytes a token (src/llama-vocab.cpp token_data, 40, and its allocation)",
                "assumed",
            )
        )
    if graphs:
        parts.append(largest("compute buffer", graphs, "the widest model's"))
    return total("llama.cpp runtime (CPU)", parts)


def llama_cpp_repacked(models: tuple[ModelFootprint, ...]) -> Quantity | None:
    """The second copy llama.cpp's CPU backend makes of 4-bit weights it repacks (Q4_0, Q4_K, IQ4_NL:
    composegen.sizing.serving.LLAMA_CPP_REPACKED), beside the mmapped file; None when none is."""
    from composegen.sizing.serving import LLAMA_CPP_REPACKED

    repacked = tuple(m for m in models if m.dtype.lower() in LLAMA_CPP_REPACKED)
    if not repacked:
        return None
    return weights(repacked).renamed("weights repacked for the CPU (llama.cpp's CPU_REPACK buffer)")


def llama_cpp_prompt_cache(
    inputs: ServiceInputs, models: tuple[ModelFootprint, ...]
) -> tuple[Quantity, EnvSetting | None]:
    """The RAM llama.cpp's server's prompt cache may fill (`--cache-ram` MiB, LLAMA_ARG_CACHE_RAM;
    composegen.sizing.serving.LLAMA_CPP_CACHE_RAM_MIB): what the base sets (0: none; -1: no byte
    limit, so llama.cpp's token limit, `-c` tokens of saved KV state: one more KV cache); where it
    sets nothing, the overlay writes LLAMA_ARG_CACHE_RAM bounded to the smaller of llama.cpp's
    default and the service's KV cache, and the plan counts that (docs/sizing.md §LLM serving)."""
    from composegen.sizing.serving import LLAMA_CPP_CACHE_RAM_MIB

    name = "prompt cache (--cache-ram)"
    found = inputs.facts.get("cache_ram", "llama.cpp") if inputs.facts is not None else None
    if found is not None and (found.status != "read" or not isinstance(found.value, int)):
        found = None  # unreadable: llama.cpp refuses it, so it runs nothing composegen could count
    if found is not None and found.value == -1:
        kv = kv_cache(inputs, models)
        return Quantity(
            name,
            kv.value,
            "bytes",
            "-cram -1: no byte limit, at most -c tokens of saved KV state (one KV cache)",
            f"base file {runs.origin_text(found)}; tools/server/server-task.cpp server_prompt_cache",
            (kv,),
        ), None
    if found is not None:
        mib = runs.fact_quantity("--cache-ram MiB", found, "count")
        return times(name, mib, given("MiB", MIB, "bytes", "1 MiB"), unit="bytes"), None
    kv_mib = math.ceil(kv_cache(inputs, models).value / MIB)
    mib_value = max(1, min(LLAMA_CPP_CACHE_RAM_MIB, kv_mib))
    bounded = given(
        name,
        mib_value * MIB,
        "bytes",
        f"composegen's bound, written as LLAMA_ARG_CACHE_RAM: the KV cache's size ({kv_mib} MiB), at most "
        f"llama.cpp's default {LLAMA_CPP_CACHE_RAM_MIB} MiB (common/common.h cache_ram_mib; docs/sizing.md)",
        "default",
    )
    return bounded, EnvSetting("LLAMA_ARG_CACHE_RAM", str(mib_value), bounded)


#: /dev/shm for vLLM where the base sets neither shm_size nor `ipc: host`: PyTorch passes tensors
#: between its processes through it (vLLM's Docker guide); composegen's figure.
VLLM_SHM = 2 * GIB
#: What composegen plans for Ollama where neither composegen.yaml nor the base says.
OLLAMA_MAX_LOADED = 1


#: vLLM's CPU swap space: pinned host memory per GPU for preempted sequences' KV blocks
#: (vllm/config.py CacheConfig swap_space, 4 GiB by default; `--swap-space`).
VLLM_SWAP_SPACE = 4 * GIB


def vllm_swap_space(inputs: ServiceInputs) -> Quantity:
    """vLLM's pinned CPU swap space: `--swap-space` GiB (default 4) on each tensor-parallel GPU."""
    found = runs.fact(inputs, "tensor_parallel_size", "vllm", most=runs.MOST_COUNT)
    ranks = (
        runs.fact_quantity("tensor-parallel GPUs", found, "count")
        if found is not None
        else given("tensor-parallel GPUs", 1, "count", "vLLM's default", "default")
    )
    per = given("vLLM swap space per GPU", VLLM_SWAP_SPACE, "bytes", "vllm/config.py CacheConfig.swap_space (4 GiB)")
    return times("vLLM swap space (pinned host memory)", ranks, per, unit="bytes")


def served_models(inputs: ServiceInputs, models: tuple[ModelFootprint, ...]) -> tuple[ModelFootprint, ...]:
    """The models at the bits per weight the engine serves them, where composegen.yaml gives no
    dtype: the engine's quantization flag, the model's name (`-AWQ`, `.Q4_K_M.gguf`), Ollama's
    default tags (Q4_K_M), else the checkpoint's 16 bits (composegen.sizing.engines)."""
    from composegen.sizing.engines import GGUF_ENGINES, bits_per_weight, engine_of

    engine = engine_of(inputs.facts)
    declared = inputs.spec.models
    if engine is None or not declared:
        return models
    out = []
    for ref, model in zip(declared, models, strict=False):
        said = ref.dtype if "dtype" in ref.model_fields_set else None
        if said is not None and not (said == "int4" and engine.engine in GGUF_ENGINES):
            out.append(model)
            continue
        bits, why = bits_per_weight(engine, said)
        label = why.split(",")[0].split(" (")[0]
        out.append(model._replace(dtype=label, bytes_per_param=bits / 8, source=f"{model.source}; {why}"))
    return tuple(out)


def reserved_gpus(inputs: ServiceInputs) -> Reservation | None:
    """The GPUs the service will have: those its base reserves, or those the overlay reserves for
    an inference engine on a host whose GPUs composegen.yaml declares (sizing.plan)."""
    if inputs.base.gpus is not None:
        return inputs.base.gpus
    from composegen.sizing.engines import gpus_to_reserve
    from composegen.sizing.gpus import Reservation

    host = inputs.host.gpus if inputs.host is not None else None
    count = gpus_to_reserve(inputs.facts, False, host.count) if host is not None else 0
    return Reservation(count, ()) if count else None


def gpu_plan(inputs: ServiceInputs, reserved: Reservation) -> tuple[dict[str, Quantity], float]:
    """The VRAM on each GPU the service reserves (for explain), and the RAM of the layers llama.cpp's
    `-ngl` leaves on the CPU; nothing where composegen does not know the engine or the model."""
    from composegen.sizing.engines import engine_of, plan, with_declared
    from composegen.sizing.serving import SOURCE, architecture

    engine = engine_of(inputs.facts)
    if engine is None:
        return {}, 0.0
    engine = with_declared(engine, inputs.spec.context_length, inputs.spec.concurrent_sequences)
    names = [m.name for m in inputs.models] + ([str(engine.model.value)] if engine.model is not None else [])
    arch = next((a for n in names if (a := architecture(n)) is not None), None)
    if arch is None:
        return {}, 0.0
    host = inputs.host.gpus if inputs.host is not None else None
    split = int(engine.tensor_parallel.number) if engine.engine in ("vllm", "tgi") else None
    gpus = split or reserved.gpus(host.count if host is not None else 1)
    found = plan(engine, arch, max(1, gpus), host.memory_each if host is not None else None)
    need = found.per_gpu
    extra = {
        "VRAM weights per GPU": given("VRAM weights per GPU", need.weights, "bytes", f"{found.bits_why}; {SOURCE}"),
        "VRAM KV cache per GPU": given("VRAM KV cache per GPU", need.kv, "bytes", f"KV {found.kv_why}; {SOURCE}"),
        "VRAM per GPU": given("VRAM per GPU", need.takes, "bytes", f"{engine.name}: {SOURCE}"),
    }
    return extra, found.ram


def ollama_environment(inputs: ServiceInputs, models: tuple[ModelFootprint, ...]) -> tuple[list[EnvSetting], list[str]]:
    """The variables that bound Ollama's memory, as planned: composegen.yaml's declaration, else what
    the base sets, else composegen's defaults (docs.ollama.com/faq)."""
    from composegen.sizing import serving

    env: list[EnvSetting] = []
    notes: list[str] = []
    spec = inputs.spec
    choices = (
        ("OLLAMA_CONTEXT_LENGTH", "context_length", spec.context_length, serving.OLLAMA_CONTEXT),
        ("OLLAMA_NUM_PARALLEL", "num_parallel", spec.concurrent_sequences, serving.OLLAMA_PARALLEL),
        ("OLLAMA_MAX_LOADED_MODELS", "max_loaded_models", len(models) if spec.models else None, OLLAMA_MAX_LOADED),
    )
    for key, setting, declared, default in choices:
        found = runs.fact(inputs, setting, "ollama", most=runs.MOST_COUNT)
        if declared and found is not None and isinstance(found.value, int) and found.value > declared:
            notes.append(
                f"{setting}: composegen.yaml declares {declared}, below what the base sets "
                f"({runs.origin_text(found)}): the plan never writes less than the compose file sets; "
                f"sized for {found.value}"
            )
            declared = None
        said = given(setting, declared, "count", f"composegen.yaml: services.{inputs.name}") if declared else None
        chosen = runs.chosen_setting(
            inputs, found, setting, "count", said, given(setting, default, "count", "composegen default", "default")
        )
        notes += chosen.notes
        env.append(EnvSetting(key, str(int(chosen.quantity.value)), chosen.quantity))
    kv_type = runs.fact(inputs, "kv_cache_type", "ollama")
    env.append(
        EnvSetting(
            "OLLAMA_KV_CACHE_TYPE",
            str(kv_type.value) if kv_type is not None else "f16",
            note="the base's" if kv_type is not None else "Ollama's default, written so the plan's KV size holds",
        )
    )
    return env, notes


def size(inputs: ServiceInputs, profile: Profile) -> Sizing:
    models = inputs.models or base_models(inputs)
    if not models and inputs.facts is not None and inputs.facts.run_once:
        # a client of the server that runs once (`ollama pull MODEL`): it loads no model
        from composegen.sizing import generic

        return generic.size(inputs, profile)
    if not models:
        raise InputError(
            f"LLM service {inputs.name!r} names no model",
            where=f"composegen.yaml: services.{inputs.name}",
            fix="add models: [{name: llama3-8b, dtype: int4}] or params and kv_bytes_per_token "
            "(or name it on the command line: --model ID)",
        )
    models = served_models(inputs, models)
    w = weights(models)
    reserved = reserved_gpus(inputs)
    programs = inputs.facts.programs if inputs.facts is not None else ()
    llama = llama_cpp_run(inputs, models) if "llama.cpp" in programs else None
    on_cpu = reserved is None and llama is not None  # llama.cpp on the CPU: no torch in it
    ram = llama_cpp_runtime(inputs, models, llama.slots) if on_cpu and llama is not None else runtime(inputs)
    prompt_cache, cache_env = llama_cpp_prompt_cache(inputs, models) if llama is not None else (None, None)
    vram, offloaded = gpu_plan(inputs, reserved) if reserved is not None else ({}, 0.0)
    if reserved is not None:
        parts = [ram, *([prompt_cache] if prompt_cache else [])]
        if "vllm" in programs:
            parts.append(vllm_swap_space(inputs))
        if offloaded:
            parts.append(given("layers on the CPU (-ngl)", offloaded, "bytes", "llama.cpp's -ngl below the layers"))
        working = total("working set (weights and KV cache in VRAM)", parts)
    else:
        repacked = llama_cpp_repacked(models) if "llama.cpp" in programs else None
        extras = [q for q in (repacked, prompt_cache) if q is not None]
        working = total("working set", (ram, w, kv_cache(inputs, models), *extras))
    memory = declared_memory(inputs) or working
    rate = given("load rate", LOAD_BYTES_PER_SECOND, "bytes", "composegen default, assumed", "assumed")
    load = Quantity("read weights", w.value / rate.value, "seconds", "weights ÷ load rate", "", (w, rate))
    startup = (
        startup_time(inputs, profile, 0.0, "")
        if inputs.spec.startup is not None
        else total("startup", (given("server start", 10.0, "seconds", "composegen default, assumed", "assumed"), load))
    )
    env, notes = ollama_environment(inputs, models) if "ollama" in programs else ([], [])
    if llama is not None:
        env += [*llama.env, *([cache_env] if cache_env else [])]
        notes += llama.notes
    shm = None
    if "vllm" in programs and not inputs.base.shares_memory:
        shm = given("shm_size", VLLM_SHM, "bytes", "vLLM's Docker guide: ipc: host or a large shm_size")
    return Sizing(
        memory=limit_with_mounts(with_margin(memory, profile), (), shm),
        startup=startup,
        cpus=baseline_cpus(inputs, profile, 4.0, "composegen default for an LLM server, assumed"),
        shm_size=shm,
        environment=tuple(env),
        extra={"weights": w, **vram},
        base_notes=tuple(notes),
        # the servers write as root where their images put them: Ollama its keys and models in
        # /root/.ollama, vLLM and TGI the Hugging Face cache in /root/.cache (or /data)
        hardening=False,
    )
