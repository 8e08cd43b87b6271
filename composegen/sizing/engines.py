"""What an LLM serving engine in the compose file is set to: its model, weights' format, KV dtype,
context, parallel sequences and memory budget, each with where it was read (file:line, or the
engine's default), from the stack-reading layer's facts (composegen.facts.llm). And the VRAM it
needs on each GPU (composegen.sizing.serving)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from composegen.sizing import runs, serving
from composegen.sizing.serving import Arch, GpuNeed

if TYPE_CHECKING:
    from composegen.facts import Fact, ServiceFacts

#: The engines that serve GGUF files, whose 4-bit types carry block scales (llama.cpp's table).
GGUF_ENGINES = frozenset({"llama.cpp", "ollama", "model-runner"})
#: The engines composegen sizes, in the order a service's programs are looked at.
ENGINES = ("vllm", "tgi", "llama.cpp", "ollama")
NAMES = {
    "vllm": "vLLM",
    "tgi": "TGI",
    "llama.cpp": "llama.cpp's server",
    "ollama": "Ollama",
    "model-runner": "Docker Model Runner",
}


class Setting(NamedTuple):
    """One value an engine runs with, and where it comes from."""

    value: object
    where: str  # `docker-compose.yml:7 (--max-model-len 8192)` or `vLLM's default`
    fact: Fact | None = None  # None: the engine's default

    @property
    def number(self) -> float:
        value = self.value
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


class Engine(NamedTuple):
    """An LLM serving engine as a service's compose file sets it."""

    engine: str  # vllm, tgi, llama.cpp, ollama
    model: Setting | None
    weights_format: Setting | None  # a quantization or dtype; None: the checkpoint's 16 bits
    kv_dtype: Setting
    context: Setting  # tokens of one sequence (vLLM, TGI, Ollama) or of all slots (llama.cpp -c)
    sequences: Setting  # sequences served at once
    tensor_parallel: Setting
    budget_share: Setting | None  # vLLM gpu_memory_utilization, TGI cuda_memory_fraction
    gpu_layers: Setting | None  # llama.cpp -ngl
    batched_tokens: Setting | None  # vLLM max_num_batched_tokens
    unified: bool = False  # llama.cpp: its slots share one KV stream of `-c` cells (--kv-unified)

    @property
    def name(self) -> str:
        return NAMES[self.engine]


def _fact(facts: ServiceFacts, setting: str, program: str) -> Fact | None:
    found = facts.get(setting, program)
    if found is None or found.status != "read" or found.value is None:
        return None
    return found


def _cite(found: Fact) -> str:
    """`docker-compose.yml:7: vllm --max-model-len 8192`, `docker-compose.yml:5: OLLAMA_NUM_PARALLEL=4`."""
    return runs.origin_text(found)


def _setting(facts: ServiceFacts, program: str, names: tuple[str, ...], default: object, said: str) -> Setting:
    for name in names:
        found = _fact(facts, name, program)
        if found is not None and (not isinstance(found.value, int | float) or found.value > 0):
            return Setting(found.value, _cite(found), found)
    return Setting(default, said)


def _optional(facts: ServiceFacts, program: str, name: str) -> Setting | None:
    found = _fact(facts, name, program)
    return Setting(found.value, _cite(found), found) if found is not None else None


def engine_of(facts: ServiceFacts | None, only: str | None = None) -> Engine | None:
    """The serving engine a service runs (the first of ENGINES, or `only`), with its settings; None
    when it runs none of them."""
    if facts is None:
        return None
    program = next((p for p in ENGINES if p in facts.programs and only in (None, p)), None)
    if program is None:
        return None
    model = _optional(facts, program, "model")
    if program == "vllm":
        return Engine(
            program,
            model,
            _optional(facts, program, "quantization") or _optional(facts, program, "dtype"),
            _setting(facts, program, ("kv_cache_dtype",), "auto", "vLLM's default (`auto`: the model's dtype)"),
            _setting(facts, program, ("max_model_len",), None, "vLLM's default: the model's max positions"),
            _setting(facts, program, ("max_num_seqs",), serving.VLLM_MAX_NUM_SEQS, "vLLM's default"),
            _setting(facts, program, ("tensor_parallel_size",), 1, "vLLM's default"),
            _setting(facts, program, ("gpu_memory_utilization",), serving.VLLM_UTILIZATION, "vLLM's default"),
            None,
            _setting(facts, program, ("max_num_batched_tokens",), serving.VLLM_BATCHED_TOKENS, "vLLM's default"),
        )
    if program == "tgi":
        return Engine(
            program,
            model,
            _optional(facts, program, "quantization"),
            Setting("auto", "TGI's default (the model's dtype)"),
            _setting(facts, program, ("max_total_tokens",), 4096, "TGI's default"),
            Setting(1, "one sequence at its max_total_tokens (TGI's least)"),
            _setting(facts, program, ("num_shard",), 1, "TGI's default"),
            _setting(facts, program, ("cuda_memory_fraction",), serving.TGI_MEMORY_FRACTION, "TGI's default"),
            None,
            None,
        )
    if program == "llama.cpp":
        slots, unified = llama_cpp_slots(facts)
        return Engine(
            program,
            model,
            None,
            _setting(facts, program, ("cache_type_k",), "f16", "llama.cpp's default"),
            llama_cpp_context(facts),
            slots,
            Setting(1, "llama.cpp splits layers, not tensors"),
            None,
            _optional(facts, program, "gpu_layers"),
            None,
            unified,
        )
    return Engine(
        program,
        model,
        None,
        _setting(facts, program, ("kv_cache_type",), "f16", "Ollama's default"),
        _setting(facts, program, ("context_length",), serving.OLLAMA_CONTEXT, "Ollama's default"),
        _setting(facts, program, ("num_parallel",), serving.OLLAMA_PARALLEL, "Ollama's default"),
        Setting(1, "Ollama splits layers, not tensors"),
        None,
        None,
        None,
    )


#: Where llama.cpp's context comes from when nothing sets `-c` (composegen.sizing.serving).
LLAMA_CPP_DEFAULT_CONTEXT = (
    "llama.cpp's default: the model's training context (-c 0; common/common.h n_ctx, common/fit.cpp)"
)


#: Where llama.cpp's slots come from when nothing sets `-np` (composegen.sizing.serving).
LLAMA_CPP_AUTO = "llama.cpp's server default (-np auto: 4 slots sharing a unified KV cache)"


def llama_cpp_context(facts: ServiceFacts) -> Setting:
    """llama.cpp's `-c`: its value, or None for the model's training context (unset, or `-c 0`)."""
    found = _fact(facts, "context_length", "llama.cpp")
    if found is None:
        return Setting(None, LLAMA_CPP_DEFAULT_CONTEXT)
    return Setting(found.value or None, _cite(found), found)


def llama_cpp_slots(facts: ServiceFacts) -> tuple[Setting, bool]:
    """llama.cpp's server's slots and whether they share one KV stream: `-np N` (its unified KV
    cache only with `--kv-unified` / LLAMA_ARG_KV_UNIFIED), else `auto`: 4 slots, unified
    (tools/server/server.cpp; composegen.sizing.serving.LLAMA_CPP_AUTO_SLOTS)."""
    found = _fact(facts, "parallel", "llama.cpp")
    if found is None or not isinstance(found.value, int) or found.value < 1:  # unset, or -1: auto
        return Setting(serving.LLAMA_CPP_AUTO_SLOTS, LLAMA_CPP_AUTO), True
    unified = _fact(facts, "kv_unified", "llama.cpp")
    return Setting(found.value, _cite(found), found), unified is not None and unified.value is True


def bits_per_weight(engine: Engine, declared: str | None = None) -> tuple[float, str]:
    """The weights' bits per weight and why: the format composegen.yaml declares, else the
    engine's quantization or dtype flag, else the model's name or file (`-AWQ`, `.Q4_K_M.gguf`),
    else Ollama's default tag (Q4_K_M), else the checkpoint's 16 bits. A declared `int4` on an
    engine that serves GGUF files (llama.cpp, Ollama, Docker Model Runner) is a 4-bit GGUF type:
    the one the model's name says, else Q4_K_M (4.89 bits a weight: its blocks carry scales)."""
    if declared == "int4" and engine.engine in GGUF_ENGINES:
        served, why = bits_per_weight(engine)
        if 4.0 <= served < 5.0:
            return served, f"{why}; int4 in composegen.yaml"
        return serving.WEIGHT_BITS["q4_k_m"], "Q4_K_M: int4 in composegen.yaml, as a GGUF type"
    if declared is not None and (bits := serving.weight_bits(declared)) is not None:
        return bits, f"{declared} (composegen.yaml)"
    if engine.weights_format is not None:
        text = str(engine.weights_format.value)
        bits = serving.weight_bits(text)
        if bits is not None:
            return bits, f"{text}, {engine.weights_format.where}"
    name = str(engine.model.value) if engine.model is not None else ""
    found = serving.format_in_name(name)
    if found is not None and (bits := serving.weight_bits(found)) is not None:
        return bits, f"{found.upper() if found.startswith(('q', 'iq')) else found}, from the model's name"
    if engine.engine == "ollama":
        return serving.WEIGHT_BITS[serving.OLLAMA_DEFAULT_FORMAT], "Q4_K_M (Ollama's default tags)"
    if engine.engine == "model-runner":
        return serving.WEIGHT_BITS[serving.OLLAMA_DEFAULT_FORMAT], "Q4_K_M (Docker Hub's ai/ default tags)"
    return 16.0, "the checkpoint's 16 bits (no quantization set)"


def kv_element_bytes(engine: Engine) -> tuple[float, str]:
    """Bytes per KV element and why; an unknown type counts as 16 bits."""
    text = str(engine.kv_dtype.value)
    found = serving.kv_bytes(text)
    if found is None:
        return 2.0, f"{text} (not a type composegen knows: counted as 16 bits), {engine.kv_dtype.where}"
    return found, f"{text}, {engine.kv_dtype.where}"


def context_tokens(engine: Engine, arch: Arch) -> int:
    """The tokens of the context the engine runs: vLLM's default is the model's max positions;
    llama.cpp's is its training context for each KV stream (composegen.sizing.serving)."""
    if engine.context.value is None:
        if engine.engine == "llama.cpp":
            return llama_cpp_default_context(engine, arch.max_positions)
        return arch.max_positions or serving.LLAMA_CPP_CONTEXT
    return int(engine.context.number)


def llama_cpp_default_context(engine: Engine, training: int) -> int:
    """llama.cpp's `-c` when nothing sets it: the training context (else composegen's assumption)
    for each KV stream: one with a unified KV cache, one per slot without (common/fit.cpp)."""
    streams = 1 if engine.unified else max(1, int(engine.sequences.number))
    return (training or serving.LLAMA_CPP_ASSUMED_CONTEXT) * streams


class Plan(NamedTuple):
    """One service's VRAM on each of its GPUs, and the RAM its offloaded layers take."""

    engine: Engine
    arch: Arch
    gpus: int  # GPUs the model is split over (tensor parallel, or Ollama/llama.cpp over all given)
    per_gpu: GpuNeed
    ram: float  # layers left on the CPU (llama.cpp -ngl below the layers)
    bits: float
    bits_why: str
    kv_bytes: float
    kv_why: str
    context: int
    one_sequence_kv: float  # per GPU: the KV cache of one sequence at the max context


def plan(engine: Engine, arch: Arch, gpus: int, gpu_memory: float | None, declared_format: str | None = None) -> Plan:
    """What the engine holds on each of `gpus` GPUs of `gpu_memory` bytes (None: unknown)."""
    bits, bits_why = bits_per_weight(engine, declared_format)
    element, kv_why = kv_element_bytes(engine)
    context = context_tokens(engine, arch)
    sequences = max(1, int(engine.sequences.number))
    split = max(1, gpus)
    weights = serving.weights_bytes(arch.params, bits)
    one_seq = serving.kv_cache_bytes(arch, element, context) / split
    ram = 0.0
    if engine.engine in ("vllm", "tgi"):
        share = engine.budget_share.number if engine.budget_share is not None else 1.0
        tokens = int(engine.batched_tokens.number) if engine.batched_tokens is not None else context
        overhead = serving.CUDA_CONTEXT + serving.prefill_activations(arch, tokens, sequences) / split
        budget = share * gpu_memory if gpu_memory is not None else None
        kv_room = (budget - weights / split - overhead) if budget is not None else one_seq
        need = GpuNeed(weights / split, max(one_seq, min(kv_room, one_seq * sequences)), overhead, budget)
    elif engine.engine in ("llama.cpp", "model-runner"):
        layers = engine.gpu_layers.value if engine.gpu_layers is not None else None
        share = serving.layers_on_gpu(arch, layers if isinstance(layers, int | str) else None)
        # -c is every slot's context together, in llama.cpp's padded cells
        cells = context if engine.engine != "llama.cpp" else serving.llama_cpp_cells(context, sequences, engine.unified)
        kv = serving.kv_cache_bytes(arch, element, cells)
        graph = serving.ollama_graph(arch, context)
        need = GpuNeed(weights * share / split, kv * share / split, serving.CUDA_CONTEXT, graph=graph)
        ram = (weights + kv) * (1 - share)
        one_seq = kv * share / split
    else:  # ollama
        kv = serving.kv_cache_bytes(arch, element, context, sequences)
        graph = serving.ollama_graph(arch, context * sequences)
        need = GpuNeed(weights / split, kv / split, serving.OLLAMA_GPU_MINIMUM, graph=graph)
    return Plan(engine, arch, split, need, ram, bits, bits_why, element, kv_why, context, one_seq)


def wants_gpu(facts: ServiceFacts | None, host_has_gpus: bool) -> str | None:
    """Why a service wants a GPU (the engine it runs), or None: vLLM and TGI always; llama.cpp's
    server from a CUDA/ROCm/Vulkan image or with `-ngl`; Ollama where the host has GPUs. An image
    built for the CPU (`cpu` in its name) wants none."""
    if facts is None or facts.run_once:  # `ollama pull`: a client, run once
        return None
    image = (facts.image or "").lower()
    if "cpu" in image:
        return None
    if "vllm" in facts.programs:
        return "vLLM, which needs a GPU"
    if "tgi" in facts.programs:
        return "text-generation-inference, which needs a GPU"
    if "llama.cpp" in facts.programs:
        layers = facts.get("gpu_layers", "llama.cpp")
        if any(word in image for word in ("cuda", "rocm", "vulkan")):
            return "llama.cpp's server from a GPU image"
        if layers is not None and layers.value not in (0, None):
            return f"llama.cpp's server with `{layers.raw}`"
    if "ollama" in facts.programs and host_has_gpus:
        return "Ollama on a host with GPUs (host.gpus)"
    return None


def gpus_to_reserve(facts: ServiceFacts | None, reserved: bool, host_gpus: int) -> int:
    """The GPUs the overlay reserves for a service that wants them and reserves none, on a host
    whose GPUs composegen.yaml declares: vLLM's tensor-parallel size, TGI's shards, else one."""
    if reserved or host_gpus <= 0 or wants_gpu(facts, True) is None or facts is None:
        return 0
    engine = engine_of(facts)
    split = int(engine.tensor_parallel.number) if engine is not None else 1
    return max(1, min(split, host_gpus))


def with_declared(engine: Engine, context: int | None, sequences: int | None) -> Engine:
    """The engine as the overlay makes it run: Ollama takes composegen.yaml's `context_length` and
    `concurrent_sequences`, which the overlay writes as OLLAMA_CONTEXT_LENGTH and
    OLLAMA_NUM_PARALLEL (composegen.sizing.llm); llama.cpp takes them as LLAMA_ARG_N_PARALLEL and
    LLAMA_ARG_CTX_SIZE (context × slots: its -c is every slot's) where its command sets neither
    flag; vLLM and TGI keep their flags."""
    if engine.engine == "llama.cpp":
        return llama_cpp_declared(engine, context, sequences)
    if engine.engine != "ollama":
        return engine
    # never below what the compose file sets (the overlay keeps the base's larger value)
    if context and engine.context.fact is not None and engine.context.number > context:
        context = None
    if sequences and engine.sequences.fact is not None and engine.sequences.number > sequences:
        sequences = None
    if context:
        engine = engine._replace(context=Setting(context, "composegen.yaml context_length (OLLAMA_CONTEXT_LENGTH)"))
    if sequences:
        engine = engine._replace(
            sequences=Setting(sequences, "composegen.yaml concurrent_sequences (OLLAMA_NUM_PARALLEL)")
        )
    return engine


def model_runner(model: str, context_size: int | None, where: str) -> Engine:
    """A model of compose's top-level `models:`, which Docker Model Runner serves on the host with
    llama.cpp: its `context_size` (else llama.cpp's default), one sequence, every layer on the GPU."""
    context = (
        Setting(context_size, f"{where}.context_size")
        if context_size
        else Setting(serving.LLAMA_CPP_CONTEXT, "llama.cpp's default (no context_size)")
    )
    return Engine(
        "model-runner",
        Setting(model, f"{where}.model"),
        None,
        Setting("f16", "llama.cpp's default"),
        context,
        Setting(1, "one sequence"),
        Setting(1, "one GPU"),
        None,
        None,
        None,
    )


#: Where the overlay's llama.cpp variables come from (composegen.sizing.llm writes them).
DECLARED_SLOTS = "composegen.yaml concurrent_sequences (LLAMA_ARG_N_PARALLEL)"
DECLARED_CONTEXT = "composegen.yaml context_length × slots (LLAMA_ARG_CTX_SIZE)"


def _settable(setting: Setting, wanted: int) -> bool:
    """Whether the overlay's variable can set what the base sets: nothing, or a variable of its own
    that is smaller (a flag beats a variable; the plan never writes less than the base sets)."""
    found = setting.fact
    if found is None:
        return True
    return runs.overridable(found) and setting.number < wanted


def llama_cpp_declared(engine: Engine, context: int | None, sequences: int | None) -> Engine:
    """llama.cpp as the overlay's LLAMA_ARG_N_PARALLEL and LLAMA_ARG_CTX_SIZE make it run."""
    if sequences and _settable(engine.sequences, sequences) and engine.sequences.number != sequences:
        # -np set: no longer auto, so no unified KV cache unless the base asks for one; composegen
        # counts none (one stream per slot, each padded: never fewer cells than one stream)
        unified = engine.unified if engine.sequences.fact is not None else False
        engine = engine._replace(sequences=Setting(sequences, DECLARED_SLOTS), unified=unified)
    slots = max(1, int(engine.sequences.number))
    if context and _settable(engine.context, context * slots):
        engine = engine._replace(context=Setting(context * slots, DECLARED_CONTEXT))
    return engine
