"""LLM serving engines on GPUs: weights by quantization, KV cache by dtype, each engine's overheads,
and a VRAM plan per GPU (docs/sizing.md §LLM serving).

- weights = params × bits per weight ÷ 8. fp32 32, fp16/bf16 16, fp8/int8 8; AWQ and GPTQ 4-bit
  with a 16-bit scale and a 4-bit zero point per group of 128 weights: 4 + 20/128 = 4.16 bits.
  GGUF: a single type by its ggml block (ggml-common.h: block_q4_0 is 2 + 16 bytes for 32 weights,
  4.5 bits; q8_0 2 + 32 bytes, 8.5 bits), a file type's mix by llama.cpp's measured table
  (tools/quantize/README.md, Llama-3.1-8B: Q4_K_M 4.8944 bpw, Q5_K_M 5.7036, Q6_K 6.5633, Q8_0
  8.5008).
- Models' architectures come from the model catalog (composegen/models/catalog.json).
- KV cache = 2 × layers × KV heads × head dim × bytes per element × tokens (vLLM
  kv_cache_interface.py; Ollama fs/ggml GraphSize): fp16/bf16 2 bytes, fp8 1, llama.cpp's q8_0
  34/32 and q4_0 18/32 (their ggml blocks).
- vLLM takes `gpu_memory_utilization` × each GPU's memory (0.9 by default) and fills what the
  weights and its profiled peak leave with KV blocks (vllm/worker/worker.py
  determine_num_available_blocks: available = total × utilization − peak); it refuses to start
  when one sequence of `max_model_len` does not fit (the "KV cache is needed, which is larger than
  the available KV cache memory" error).
- Ollama: 457 MiB per GPU (discover/gpu.go cudaMinimumMemory) + weights + KV for
  OLLAMA_CONTEXT_LENGTH × OLLAMA_NUM_PARALLEL + its graph estimate for a llama-style model
  (fs/ggml/ggml.go GraphSize: max(4·batch·(1 + 4·embedding + context·(1 + heads)),
  4·batch·(embedding + vocab)), batch 512).
- llama.cpp's server: `-c` is the whole context, shared by the `-np` slots (tools/server/README.md),
  in cells padded to 256 (llama_cpp_cells); `-ngl N` puts N of the layers (and their KV) on the
  GPU, the rest in RAM. On the CPU: the compute buffer a `-ub` batch touches (llama_cpp_compute),
  and 4-bit weights the CPU backend repacks held twice (LLAMA_CPP_REPACKED).
- A CUDA process holds a context on each GPU it uses before any tensor: 500 MiB assumed
  (composegen's figure: 300-600 MiB is what CUDA 12 takes, with its kernels loaded lazily).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from composegen.units import MIB

SOURCE = "docs/sizing.md §LLM serving"


class Arch(NamedTuple):
    """What serving sizes a model by (from the model catalog, composegen.models.catalog)."""

    name: str
    params: float  # all parameters (a MoE's experts included: they are all loaded)
    layers: int  # the layers that keep a KV cache (a seq2seq model's decoder)
    kv_heads: int
    head_dim: int
    hidden: int = 0
    vocab: int = 0
    max_positions: int = 0
    heads: int = 0
    latent: int = 0  # MLA (DeepSeek V2/V3): values cached per layer and token, K and V together


def _candidates(name: str) -> list[str]:
    """The names to look a model up by: an Ollama tag as a catalog alias (`llama3.1:70b` is
    `llama3.1-70b`), without its quantization (`-instruct-q4_K_M` is `-instruct`); a GGUF file by
    its name without the format (`/models/Meta-Llama-3-8B.Q8_0.gguf` is `Meta-Llama-3-8B`)."""
    key = name.strip()
    if key.lower().startswith(("ai/", "docker.io/ai/", "hf.co/")):  # Docker Hub's `ai/` models
        key = key.split("/", 1)[1] if key.lower().startswith(("ai/", "hf.co/")) else key.split("/", 2)[2]
    if key.lower().endswith(".gguf") or key.startswith(("/", "./")):
        key = re.sub(r"(?i)(-\d+-of-\d+)?\.gguf$", "", key.rsplit("/", 1)[-1])
        return [re.sub(r"(?i)[.-](iq\d\w*|q\d\w*|f16|bf16|f32)$", "", key)]
    if ":" not in key:
        return [key]
    dashed = key.replace(":", "-")
    bare = re.sub(r"(?i)-(q\d\w*|iq\d\w*|fp16|f16|bf16)$", "", dashed)
    return [dashed, bare, re.sub(r"(?i)-(instruct|chat|text)$", "", bare), key]


def architecture(name: str) -> Arch | None:
    """A decoder's architecture by its name, id, Ollama tag or GGUF file, from the model catalog;
    None when the catalog does not know it (or it keeps no KV cache: an encoder)."""
    from composegen.models.catalog import lookup

    for key in _candidates(name):
        found = lookup(key)
        if found is None or found.kind == "encoder":
            continue
        return Arch(
            found.name,
            float(found.params),
            found.generating_layers,
            found.kv_heads,
            found.head_dim,
            found.hidden,
            found.vocab,
            found.max_positions,
            found.heads,
            (found.kv_lora_rank + (found.rope_head_dim or 0)) if found.kv_lora_rank is not None else 0,
        )
    return None


# --- weights ------------------------------------------------------------------------------------

#: bits per weight by format (lower case). GGUF single types from their ggml blocks; mixes from
#: llama.cpp's measured table (see the module docstring).
WEIGHT_BITS: dict[str, float] = {
    "fp32": 32.0,
    "float32": 32.0,
    "f32": 32.0,
    "fp16": 16.0,
    "float16": 16.0,
    "half": 16.0,
    "f16": 16.0,
    "bf16": 16.0,
    "bfloat16": 16.0,
    "auto": 16.0,
    "fp8": 8.0,
    "int8": 8.0,
    "bitsandbytes": 4.0,
    "int4": 4.0,
    "awq": 4.0 + 20 / 128,
    "awq_marlin": 4.0 + 20 / 128,
    "gptq": 4.0 + 20 / 128,
    "gptq_marlin": 4.0 + 20 / 128,
    "q4_0": 4.5,
    "q4_1": 5.0,
    "q5_0": 5.5,
    "q5_1": 6.0,
    "q8_0": 8.5008,
    "q2_k": 3.1593,
    "q3_k_s": 3.6429,
    "q3_k_l": 4.2979,
    "q4_k_s": 4.6672,
    "q4_k_m": 4.8944,
    "q4_k": 4.8944,
    "q5_k_s": 5.5704,
    "q5_k_m": 5.7036,
    "q5_k": 5.7036,
    "q6_k": 6.5633,
    "iq4_xs": 4.4597,
    "iq4_nl": 4.6818,
}
#: What a name's words say about its format, first match wins: `Qwen2.5-7B-Instruct-AWQ`,
#: `model.Q4_K_M.gguf`, `llama3.1:8b-instruct-q8_0`. (A pattern as text, compiled by `re` when first
#: used: lint imports this module, and most stacks name no model.)
_FORMAT_IN_NAME = r"(?i)(?:^|[^a-z0-9])(iq4_xs|iq4_nl|q\d_k_[sml]|q\d_k|q\d_[01]|awq|gptq|fp8|bf16|f16|fp16)"
#: Ollama's library tags without a quantization are Q4_K_M (ollama.com/library: the default tag's
#: `quantization` field).
OLLAMA_DEFAULT_FORMAT = "q4_k_m"


def weight_bits(fmt: str) -> float | None:
    """Bits per weight of a format (`fp16`, `awq`, `Q4_K_M`, `fp8_e4m3`); None if unknown."""
    key = fmt.strip().lower()
    if key in WEIGHT_BITS:
        return WEIGHT_BITS[key]
    if key.startswith(("fp8", "compressed-tensors", "modelopt")):
        return 8.0
    return None


def format_in_name(name: str) -> str | None:
    """The weights' format a model's name or file says (`...-AWQ`, `.Q4_K_M.gguf`), lower case."""
    found = re.findall(_FORMAT_IN_NAME, name)
    return found[-1].lower() if found else None


def weights_bytes(params: float, bits: float) -> float:
    return params * bits / 8


# --- KV cache -----------------------------------------------------------------------------------

#: bytes per cached element by KV dtype: vLLM `--kv-cache-dtype` (auto: the model's 16 bits),
#: llama.cpp `-ctk/-ctv` and Ollama's OLLAMA_KV_CACHE_TYPE (ggml blocks: q8_0 34/32, q4_0 18/32).
KV_BYTES: dict[str, float] = {
    "auto": 2.0,
    "fp16": 2.0,
    "f16": 2.0,
    "bf16": 2.0,
    "f32": 4.0,
    "fp8": 1.0,
    "fp8_e4m3": 1.0,
    "fp8_e5m2": 1.0,
    "q8_0": 34 / 32,
    "q5_1": 24 / 32,
    "q5_0": 22 / 32,
    "q4_1": 20 / 32,
    "q4_0": 18 / 32,
}


def kv_bytes(dtype: str) -> float | None:
    return KV_BYTES.get(dtype.strip().lower())


def kv_per_token(arch: Arch, element_bytes: float) -> float:
    """2 (K and V) × layers × KV heads × head dim × bytes: one token's cache over all layers (MLA:
    layers × its latent, the catalog's formula)."""
    if arch.latent:
        return arch.layers * arch.latent * element_bytes
    return 2 * arch.layers * arch.kv_heads * arch.head_dim * element_bytes


def kv_cache_bytes(arch: Arch, element_bytes: float, context: int, sequences: int = 1) -> float:
    return kv_per_token(arch, element_bytes) * context * sequences


#: llama.cpp pads its context to whole blocks of 256 cells (src/llama-context.cpp:
#: `cparams.n_ctx = GGML_PAD(cparams.n_ctx, 256)`, and each slot's share the same).
LLAMA_CPP_CELL_PAD = 256


def _pad(n: int, step: int) -> int:
    return -(-n // step) * step


def llama_cpp_cells(context: int, parallel: int = 1, unified: bool = False) -> int:
    """The KV cells llama.cpp allocates for `-c context -np parallel` (src/llama-context.cpp,
    src/llama-kv-cache.cpp): the context padded to 256; without `--kv-unified` each of the
    `parallel` slots gets its own stream of pad(n_ctx ÷ parallel, 256) cells, so `-c 4096 -np 3` holds
    3 × 1536 = 4608; with it, one stream of n_ctx cells that the slots share."""
    n_ctx = _pad(max(1, context), LLAMA_CPP_CELL_PAD)
    if unified or parallel <= 1:
        return n_ctx
    return _pad(n_ctx // parallel, LLAMA_CPP_CELL_PAD) * parallel


#: llama.cpp's physical batch, `-ub` (common/common.h n_ubatch).
LLAMA_CPP_UBATCH = 512
#: f32 values one token of a batch holds live in llama.cpp's CPU graph at once, per unit of hidden
#: and of MLP width: the residual, its norm, q, k, v and the attention output (6 × hidden), and the
#: gate, up and their product (3 × intermediate). composegen's reading of the graph
#: (src/llama-graph.cpp, flash attention on: llama.cpp's `auto` turns it on for the CPU), checked by
#: bench/accuracy/llamacpp.py (docs/benchmarks.md §LLM serving on the CPU).
LLAMA_CPP_GRAPH_HIDDEN = 6
LLAMA_CPP_GRAPH_INTERMEDIATE = 3


#: GGUF types llama.cpp's CPU backend repacks on x86-64 with AVX2 (ggml/src/ggml-cpu/repack.cpp
#: ggml_repack_get_optimal_repack_type: Q4_0, Q4_K, IQ4_NL, MXFP4; the Q4_K mixes are mostly Q4_K):
#: their weights are copied into a CPU_REPACK buffer, while the mmapped file's pages read to make the
#: copy stay mapped, so the process holds them twice (measured: bench/accuracy/llamacpp.py).
LLAMA_CPP_REPACKED = frozenset({"q4_0", "q4_k", "q4_k_s", "q4_k_m", "iq4_nl", "mxfp4"})
#: Bytes llama.cpp's vocabulary holds per token: its token_data (a std::string, a score and its
#: attributes: 40 bytes) with the allocator's overhead (src/llama-vocab.cpp); composegen's figure
#: for the bench's token-less files, checked on two vocabularies (49,152 and 151,936 tokens).
LLAMA_CPP_VOCAB_BYTES = 64


def llama_cpp_compute(hidden: int, intermediate: int, vocab: int, ubatch: int, sequences: int) -> float:
    """The part of llama.cpp's CPU compute buffer a busy server touches (bytes): a batch of `ubatch`
    prompt tokens through a layer in f32, plus the f32 logits of one output per slot, in the graph
    and in the output buffer (src/llama-context.cpp output_reserve: vocab × max(outputs, n_seq_max),
    cleared, so touched). The buffer llama.cpp reserves is larger (logits for every token of a
    batch: `CPU compute buffer size` in its log), but the server asks for one output per slot
    (common.h n_outputs_max_per_seq = 1), so those pages are never written and take no memory."""
    per_token = LLAMA_CPP_GRAPH_HIDDEN * hidden + LLAMA_CPP_GRAPH_INTERMEDIATE * intermediate
    return 4.0 * (ubatch * per_token + 2 * max(1, sequences) * vocab)


# --- engines ------------------------------------------------------------------------------------

CUDA_CONTEXT = 500 * MIB
OLLAMA_GPU_MINIMUM = 457 * MIB
OLLAMA_BATCH = 512  # num_batch's default (api/types.go DefaultOptions)
#: Engines' defaults, where the compose file sets nothing.
VLLM_UTILIZATION = 0.9  # vllm/config.py CacheConfig.gpu_memory_utilization
VLLM_MAX_NUM_SEQS = 256  # vllm/config.py SchedulerConfig
VLLM_BATCHED_TOKENS = 8192  # vLLM V1's max_num_batched_tokens for the API server (arg_utils.py)
TGI_MEMORY_FRACTION = 1.0  # text-generation-launcher --cuda-memory-fraction
#: Docker Model Runner's context where a `models:` entry gives no `context_size`: composegen's
#: figure, unchecked against model-runner (llama.cpp's own default is the training context).
LLAMA_CPP_CONTEXT = 4096
#: llama.cpp's server without `-c` (or LLAMA_ARG_CTX_SIZE) runs the model's training context:
#: common/common.h `n_ctx = 0; // context size, 0 == context the model was trained with`, and
#: src/llama-context.cpp `cparams.n_ctx = params.n_ctx == 0 ? hparams.n_ctx_train : params.n_ctx`
#: (n_ctx_train: the GGUF's `<arch>.context_length`). Without a unified KV cache, common/fit.cpp gives
#: each of the `-np` slots the whole of it ("context size unset and KV cache not unified -> using
#: n_ctx_train × n_streams"), and only shrinks it to fit the HOST's memory (the CPU backend's
#: ggml_backend_cpu_device_get_memory reports sysconf(_SC_PHYS_PAGES), not a container's limit).
#: Read at llama.cpp 0c1e570 (2026-10-01; llama-cpp-python 0.3.36's vendor/llama.cpp). Servers
#: before ~b6500 defaulted to 4096 (and older ones 512): composegen sizes for the current default.
#: Where the model's training context is unknown, composegen assumes this many tokens:
LLAMA_CPP_ASSUMED_CONTEXT = 32768
#: llama.cpp's server without `-np` (or LLAMA_ARG_N_PARALLEL): `auto` (common/arg.cpp
#: common_params_parser_init: `params.n_parallel = -1; // auto by default` for the server), which
#: tools/server/server.cpp turns into "n_parallel = 4 and kv_unified = true": 4 slots sharing one
#: KV stream of `-c` cells (common/arg.cpp `--kv-unified`: "default: enabled if number of slots is
#: auto"; common.h kv_unified = false otherwise).
LLAMA_CPP_AUTO_SLOTS = 4
#: llama.cpp's server's prompt cache in RAM, `--cache-ram` / `-cram` / LLAMA_ARG_CACHE_RAM, MiB:
#: common/common.h `cache_ram_mib = 8192; // -1 = no limit, 0 - disable`; tools/server/server-task.cpp
#: server_prompt_cache evicts the oldest prompts' saved KV states to stay under it.
LLAMA_CPP_CACHE_RAM_MIB = 8192
OLLAMA_CONTEXT = 4096  # docs.ollama.com/faq: "defaults to 4096 tokens"
OLLAMA_PARALLEL = 1


def ollama_graph(arch: Arch, context: int, batch: int = OLLAMA_BATCH) -> float:
    """Ollama's compute graph estimate for a fully offloaded llama-style model (fs/ggml/ggml.go)."""
    heads = arch.heads or max(1, arch.hidden // max(1, arch.head_dim))
    return float(max(4 * batch * (1 + 4 * arch.hidden + context * (1 + heads)), 4 * batch * (arch.hidden + arch.vocab)))


def prefill_activations(arch: Arch, tokens: int, sequences: int, element_bytes: float = 2.0) -> float:
    """vLLM's profiled peak beside the weights, estimated: a batch of `tokens` through one layer
    (hidden states, q/k/v, and an MLP of 3.5 × hidden, the Llama ratio) plus fp32 logits for
    each sequence sampled. composegen's estimate (docs/sizing.md §LLM serving)."""
    per_token = (4 * arch.hidden + 2 * 3.5 * arch.hidden) * element_bytes
    return tokens * per_token + sequences * arch.vocab * 4


class GpuNeed(NamedTuple):
    """What one GPU holds for a service (bytes), and how the engine reaches it."""

    weights: float
    kv: float
    overhead: float  # CUDA context or Ollama's per-GPU minimum, and vLLM's profiled activations
    budget: float | None = None  # what the engine takes whatever it needs (vLLM: utilization × memory)
    graph: float = 0.0  # what grows with the context beside the KV cache: Ollama's and llama.cpp's graph

    @property
    def needed(self) -> float:
        return self.weights + self.kv + self.overhead + self.graph

    @property
    def takes(self) -> float:
        """What the service holds on the device: its budget where it takes one, else its need."""
        return self.budget if self.budget is not None else self.needed


def per_gpu(total: float, gpus: int) -> float:
    """A tensor-parallel share: weights and KV heads split evenly over `gpus`."""
    return total / max(1, gpus)


def layers_on_gpu(arch: Arch, gpu_layers: int | str | None) -> float:
    """The share of a llama.cpp model's layers `-ngl` puts on the GPU: all for `all`/`auto`/None
    or a number at least the layers (llama.cpp caps it), else N ÷ layers."""
    if gpu_layers is None or isinstance(gpu_layers, str):
        return 1.0
    return min(1.0, max(0.0, gpu_layers / max(1, arch.layers)))


def largest_context(free: float, per_token: float) -> int:
    """The most tokens whose KV cache fits in `free` bytes, in whole blocks of 16 (vLLM's)."""
    if per_token <= 0 or free <= 0:
        return 0
    return int(free // per_token) // 16 * 16
