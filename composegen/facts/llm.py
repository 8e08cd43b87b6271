"""Models and LLM servers: vLLM, text-generation-inference, llama.cpp's server, Ollama, and model ids
named in the environment.

Settings: `model`, `dtype`, `max_model_len`, `max_num_seqs`, `gpu_memory_utilization`,
`tensor_parallel_size`, `pipeline_parallel_size`, `quantization`, `kv_cache_dtype`,
`max_num_batched_tokens` (vllm); `model`, `quantization`, `max_total_tokens`, `num_shard`,
`cuda_memory_fraction` (tgi); `model`, `context_length`, `parallel`, `gpu_layers`,
`cache_type_k`, `cache_type_v`, `ubatch_size`, `kv_unified`, `cache_ram` (llama.cpp); `num_parallel`,
`context_length`, `max_loaded_models`, `kv_cache_type`, `flash_attention` (ollama); `model_id`
(program `model`: MODEL_ID, MODEL_NAME, MODEL, HF_MODEL_ID, ...).
"""

from __future__ import annotations

from composegen.facts import values
from composegen.facts.context import Context, EnvTable, Readout, read_program
from composegen.facts.model import Fact, Unread, Value
from composegen.facts.options import Option, parse_options, table, unread_of

_DECIMAL_SUFFIXES = {"k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
_BINARY_SUFFIXES = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def human_int(text: str) -> Value:
    """vLLM's token counts (`--max-model-len 32k`): a whole number, or with k/m/g/t (powers of 1000,
    a fraction allowed: `25.6k`) or K/M/G/T (powers of 1024, whole numbers only), as vLLM's
    `human_readable_int` reads them (vllm/engine/arg_utils.py)."""
    stripped = text.strip()
    suffix = stripped[-1:]
    if suffix in _DECIMAL_SUFFIXES:
        return int(values.decimal(stripped[:-1]) * _DECIMAL_SUFFIXES[suffix])
    if suffix in _BINARY_SUFFIXES:
        return values.count(stripped[:-1]) * _BINARY_SUFFIXES[suffix]
    return values.count(stripped)


#: https://docs.vllm.ai/en/latest/cli/serve.html (vLLM's parser takes `_` for `-` in option names)
VLLM = table(
    (
        Option(("--model",), "model", values.text),
        Option(("--dtype",), "dtype", values.text),
        Option(("--max-model-len",), "max_model_len", human_int),
        Option(("--max-num-seqs",), "max_num_seqs", values.count),
        Option(("--gpu-memory-utilization",), "gpu_memory_utilization", values.decimal),
        Option(("-tp", "--tensor-parallel-size"), "tensor_parallel_size", values.count),
        Option(("-pp", "--pipeline-parallel-size"), "pipeline_parallel_size", values.count),
        Option(("-q", "--quantization"), "quantization", values.text),
        Option(("--kv-cache-dtype",), "kv_cache_dtype", values.text),
        Option(("--max-num-batched-tokens",), "max_num_batched_tokens", human_int),
    )
)


def read_vllm(ctx: Context) -> Readout:
    """`vllm serve MODEL --flags`, `python -m vllm.entrypoints.openai.api_server --model MODEL`, or
    the vllm/vllm-openai image's command (its entrypoint is the server)."""
    facts: list[Fact] = []
    unread: list[Unread] = []
    for words in ctx.words_of("vllm"):
        rest = list(words)
        if rest and rest[0].text == "serve":
            rest = rest[1:]
        if rest and not rest[0].text.startswith("-"):
            model = rest[0]
            facts.append(Fact("vllm", "model", model.text, model.text, model.origin, model.via))
            rest = rest[1:]
        parsed = parse_options("vllm", rest, VLLM, underscores=True)
        facts.extend(parsed.facts)
        unread.extend(unread_of("vllm", parsed.unread))
    return Readout(facts, unread)


#: text-generation-launcher: each option also reads its environment variable (clap `env`), and
#: the command line wins. https://huggingface.co/docs/text-generation-inference/reference/launcher
TGI = table(
    (
        Option(("--model-id",), "model", values.text),
        Option(("--quantize",), "quantization", values.text),
        Option(("--max-total-tokens",), "max_total_tokens", values.count),
        Option(("--num-shard",), "num_shard", values.count),
        Option(("--cuda-memory-fraction",), "cuda_memory_fraction", values.decimal),
    )
)
TGI_ENV: EnvTable = (
    ("MODEL_ID", "model", values.text),
    ("QUANTIZE", "quantization", values.text),
    ("MAX_TOTAL_TOKENS", "max_total_tokens", values.count),
    ("NUM_SHARD", "num_shard", values.count),
    ("CUDA_MEMORY_FRACTION", "cuda_memory_fraction", values.decimal),
)


def read_tgi(ctx: Context) -> Readout:
    if not ctx.runs("tgi"):
        return Readout([], [])
    return read_program(ctx, "tgi", TGI, env=TGI_ENV)


def _layers(text: str) -> Value:
    return text if text in ("auto", "all") else values.count(text)


#: llama.cpp's booleans as it reads them from a LLAMA_ARG_* variable (common/arg.cpp
#: common_arg_utils::is_truthy / is_falsey, exact strings): any other value stops the server
#: ("invalid boolean value").
LLAMA_TRUE = frozenset({"on", "enabled", "true", "1"})
LLAMA_FALSE = frozenset({"off", "disabled", "false", "0"})


def llama_bool(text: str) -> Value:
    """A llama.cpp boolean variable (`LLAMA_ARG_KV_UNIFIED=1`), as common/arg.cpp parse_bool_value reads it."""
    if text in LLAMA_TRUE:
        return True
    if text in LLAMA_FALSE:
        return False
    raise ValueError(f"not one of llama.cpp's booleans (on/off, enabled/disabled, true/false, 1/0): {text!r}")


def _negated(text: str) -> Value:
    """LLAMA_ARG_NO_*: set at all, it turns the option off (common/arg.cpp get_value_from_env)."""
    return False


def _slots(text: str) -> Value:
    """`-np`: a count, or -1 for llama.cpp's server's `auto` (common/arg.cpp: "-1 = auto")."""
    return "auto" if text.strip() == "-1" else values.count(text)


def _cache_ram(text: str) -> Value:
    """`--cache-ram` MiB: a count, or -1 for no limit (common/arg.cpp)."""
    return -1 if text.strip() == "-1" else values.count(text)


#: llama.cpp's server: each option also reads a LLAMA_ARG_* variable; "If both command line argument
#: and environment variable are both set for the same param, the argument will take precedence".
#: https://github.com/ggml-org/llama.cpp/blob/master/tools/server/README.md
LLAMA_CPP = table(
    (
        Option(("-m", "--model"), "model", values.text),
        Option(("-hf", "-hfr", "--hf-repo"), "model", values.text),
        Option(("-c", "--ctx-size"), "context_length", values.count),
        Option(("-np", "--parallel"), "parallel", _slots),
        Option(("-cram", "--cache-ram"), "cache_ram", _cache_ram),
        Option(("-ngl", "--gpu-layers", "--n-gpu-layers"), "gpu_layers", _layers),
        Option(("-ctk", "--cache-type-k"), "cache_type_k", values.text),
        Option(("-ctv", "--cache-type-v"), "cache_type_v", values.text),
        Option(("-ub", "--ubatch-size"), "ubatch_size", values.count),
        Option(("-kvu", "--kv-unified"), "kv_unified", None),
        Option(("-no-kvu", "--no-kv-unified"), "kv_unified", None, flag_value=False),
    )
)
LLAMA_CPP_ENV: EnvTable = (
    ("LLAMA_ARG_MODEL", "model", values.text),
    ("LLAMA_ARG_HF_REPO", "model", values.text),
    ("LLAMA_ARG_CTX_SIZE", "context_length", values.count),
    ("LLAMA_ARG_N_PARALLEL", "parallel", _slots),
    ("LLAMA_ARG_N_GPU_LAYERS", "gpu_layers", _layers),
    ("LLAMA_ARG_CACHE_TYPE_K", "cache_type_k", values.text),
    ("LLAMA_ARG_CACHE_TYPE_V", "cache_type_v", values.text),
    ("LLAMA_ARG_UBATCH", "ubatch_size", values.count),
    ("LLAMA_ARG_CACHE_RAM", "cache_ram", _cache_ram),
    ("LLAMA_ARG_KV_UNIFIED", "kv_unified", llama_bool),
    # after LLAMA_ARG_KV_UNIFIED, so it wins: llama.cpp reads the LLAMA_ARG_NO_ form first
    ("LLAMA_ARG_NO_KV_UNIFIED", "kv_unified", _negated),
)


def read_llama_cpp(ctx: Context) -> Readout:
    return read_program(ctx, "llama.cpp", LLAMA_CPP, env=LLAMA_CPP_ENV)


#: https://docs.ollama.com/faq (OLLAMA_NUM_PARALLEL, OLLAMA_MAX_LOADED_MODELS, OLLAMA_CONTEXT_LENGTH,
#: OLLAMA_KV_CACHE_TYPE, OLLAMA_FLASH_ATTENTION)
OLLAMA_ENV = (
    ("OLLAMA_NUM_PARALLEL", "num_parallel"),
    ("OLLAMA_CONTEXT_LENGTH", "context_length"),
    ("OLLAMA_MAX_LOADED_MODELS", "max_loaded_models"),
)
OLLAMA_TEXT_ENV = (("OLLAMA_KV_CACHE_TYPE", "kv_cache_type"), ("OLLAMA_FLASH_ATTENTION", "flash_attention"))


def read_ollama(ctx: Context) -> Readout:
    facts = [f for name, setting in OLLAMA_ENV if (f := ctx.env_fact("ollama", setting, name, values.count))]
    facts += [f for name, setting in OLLAMA_TEXT_ENV if (f := ctx.env_fact("ollama", setting, name, values.text))]
    return Readout(facts, [])


#: Variables that name the model a service loads, by the conventions of the serving images.
MODEL_ENV = ("MODEL_ID", "MODEL_NAME", "MODEL", "HF_MODEL_ID", "HF_MODEL", "LLM_MODEL", "EMBEDDING_MODEL")


def read_model_env(ctx: Context) -> Readout:
    facts = [f for name in MODEL_ENV if (f := ctx.env_fact("model", "model_id", name, values.text))]
    return Readout(facts, [])


READERS = (read_vllm, read_tgi, read_llama_cpp, read_ollama, read_model_env)
