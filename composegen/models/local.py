"""What a model on disk is, read from its headers without loading a weight.

- A Hugging Face model folder (or a snapshot in a Hugging Face cache): `config.json` gives the
  architecture; each `*.safetensors` file starts with an 8-byte little-endian header length and a
  JSON header naming every tensor's dtype, shape and byte range, so parameters and bytes are exact.
- A Hugging Face cache (`~/.cache/huggingface/hub`, or a folder of `models--OWNER--NAME`): each
  model's newest snapshot (the one `refs/main` names, else the newest folder).
- A GGUF file (llama.cpp, Ollama): architecture, context length and each tensor's quantization
  type, read with the `gguf` package (`pip install 'composegen[gguf]'`), which maps the file
  and reads only its header.
- An Ollama model store (`~/.ollama`, or its `models/`): each manifest
  (`manifests/REGISTRY/NAMESPACE/MODEL/TAG`, JSON) names the blob of its model layer
  (`blobs/sha256-HEX`), a GGUF file.

A file that is not what it claims gives one InputError naming the file.
"""

from __future__ import annotations

import json
import math
import struct
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from composegen.errors import InputError
from composegen.models import params as formulas
from composegen.models.catalog import Kind, ModelArch, lookup
from composegen.paths import os_error

#: Bytes per element of each safetensors dtype (safetensors' Dtype enum); F4 packs two per byte.
SAFETENSORS_DTYPE_BYTES: dict[str, float] = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1, "F4": 0.5, "F6_E2M3": 0.75,
    "F6_E3M2": 0.75, "I16": 2, "U16": 2, "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8,
    "U64": 8, "F64": 8,
}  # fmt: skip
#: composegen's dtype for the dtype most of a checkpoint's parameters have.
COMPOSEGEN_DTYPE = {"F32": "fp32", "F16": "fp16", "BF16": "bf16", "F8_E4M3": "fp8", "F8_E5M2": "fp8", "I8": "int8"}
#: The safetensors format caps its header at 100 MB (safetensors' MAX_HEADER_SIZE).
MAX_HEADER_BYTES = 100_000_000
#: A config.json larger than this is no config (the largest published ones are a few hundred KB).
MAX_CONFIG_BYTES = 16 * 1024 * 1024
GGUF_MAGIC = b"GGUF"
INSTALL_GGUF = "install the reader: pip install 'composegen[gguf]'"


@dataclass(frozen=True)
class LocalModel:
    """A model on disk: what its headers say.

    `params` and `weight_bytes` are exact where tensor headers were read (safetensors, GGUF);
    `dtypes` is parameters per stored dtype (GGUF: per quantization type)."""

    path: str
    format: str  # "hf-folder", "safetensors", "gguf"
    name: str
    params: int | None = None
    weight_bytes: int | None = None
    tensors: int = 0
    dtypes: dict[str, int] = field(default_factory=dict)
    arch: ModelArch | None = None  # from config.json (or the catalog, for a known GGUF architecture)
    architecture: str = ""  # config.json model_type, or GGUF general.architecture
    context_length: int | None = None
    catalog: str | None = None  # the catalog entry of the same name, if any
    files: tuple[str, ...] = ()
    quantization: str = ""  # GGUF's file type (Q4_K_M), or config.json's quantization_config (awq 4-bit)

    @property
    def main_dtype(self) -> str | None:
        """The dtype most parameters are stored in."""
        return max(self.dtypes, key=lambda d: self.dtypes[d]) if self.dtypes else None

    @property
    def bits_per_weight(self) -> float | None:
        if not self.params or self.weight_bytes is None:
            return None
        return 8 * self.weight_bytes / self.params

    @property
    def dtype_label(self) -> str:
        """What the weights are stored as, for explanations: bf16, Q4_K_M, F8_E4M3."""
        return self.composegen_dtype or self.quantization or str(self.main_dtype or "unknown dtype")

    @property
    def composegen_dtype(self) -> str | None:
        """fp32, fp16, bf16, fp8 or int8 when most parameters are stored so; None otherwise."""
        main = self.main_dtype
        return COMPOSEGEN_DTYPE.get(main) if main else None


@dataclass(frozen=True)
class SafetensorsHeader:
    path: str
    tensors: dict[str, tuple[str, tuple[int, ...]]]  # name -> (dtype, shape)
    data_bytes: int  # the tensors' bytes, from their data_offsets
    metadata: dict[str, str]


def _bad(path: Path, what: str, fix: str = "") -> InputError:
    return InputError(what, where=str(path), fix=fix or "check that the file is complete and of this format")


def _read_prefix(path: Path, size: int) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError as err:
        raise os_error(err, path, "read it") from None


def read_safetensors_header(path: Path) -> SafetensorsHeader:
    """The header of one .safetensors file: 8 bytes of little-endian length, then that much JSON,
    `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            prefix = handle.read(8)
            if len(prefix) < 8:
                raise _bad(path, "not a safetensors file: shorter than its 8-byte header length")
            (length,) = struct.unpack("<Q", prefix)
            if length > MAX_HEADER_BYTES or 8 + length > size:
                raise _bad(path, f"not a safetensors file: a header of {length} bytes in a file of {size}")
            raw = handle.read(length)
    except OSError as err:
        raise os_error(err, path, "read it") from None
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):  # RecursionError: nested too deep
        raise _bad(path, "not a safetensors file: its header is not JSON") from None
    if not isinstance(header, dict):
        raise _bad(path, "not a safetensors file: its header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict):
        raise _bad(path, "not a safetensors file: its __metadata__ is not a JSON object")
    tensors: dict[str, tuple[str, tuple[int, ...]]] = {}
    end_of_data = 0
    for name, info in header.items():
        dtype = info.get("dtype") if isinstance(info, dict) else None
        shape = info.get("shape") if isinstance(info, dict) else None
        offsets = info.get("data_offsets") if isinstance(info, dict) else None
        if (
            dtype not in SAFETENSORS_DTYPE_BYTES
            or not isinstance(shape, list)
            or not all(isinstance(n, int) and n >= 0 for n in shape)
            or not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(n, int) for n in offsets)
            or not 0 <= offsets[0] <= offsets[1]
        ):
            raise _bad(path, f"safetensors tensor {name!r} has no valid dtype, shape and data_offsets")
        if math.ceil(math.prod(shape) * SAFETENSORS_DTYPE_BYTES[dtype]) != offsets[1] - offsets[0]:
            raise _bad(path, f"safetensors tensor {name!r}: {dtype} {shape} does not fill its data_offsets")
        tensors[name] = (dtype, tuple(shape))
        end_of_data = max(end_of_data, offsets[1])
    if 8 + length + end_of_data > size:
        raise _bad(path, f"safetensors file is truncated: its tensors end at byte {8 + length + end_of_data} of {size}")
    return SafetensorsHeader(str(path), tensors, end_of_data, {str(k): str(v) for k, v in metadata.items()})


def _count_tensors(headers: list[SafetensorsHeader]) -> tuple[int, int, int, dict[str, int]]:
    params = weight_bytes = tensors = 0
    dtypes: Counter[str] = Counter()
    for header in headers:
        for dtype, shape in header.tensors.values():
            n = math.prod(shape)
            params += n
            dtypes[dtype] += n
            tensors += 1
        weight_bytes += header.data_bytes
    return params, weight_bytes, tensors, dict(dtypes)


def read_config(path: Path) -> dict[str, Any]:
    """A config.json, as a JSON object."""
    raw = _read_prefix(path, MAX_CONFIG_BYTES + 1)
    if len(raw) > MAX_CONFIG_BYTES:
        raise _bad(path, "config.json is larger than any model config", "point at the model's own config.json")
    try:
        config = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        line = f":{err.lineno}" if isinstance(err, json.JSONDecodeError) else ""
        raise InputError("config.json is not valid JSON", where=f"{path}{line}", fix="fix or re-download it") from None
    if not isinstance(config, dict):
        raise _bad(path, "config.json is not a JSON object")
    return config


def _first(config: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value = config.get(key)
        if value is not None:
            return value
    return None


def _int(config: dict[str, Any], *keys: str) -> int | None:
    value = _first(config, *keys)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


DECODER_HINTS = ("ForCausalLM", "LMHeadModel")


def arch_from_config(config: dict[str, Any], name: str, params: int | None, source: str) -> ModelArch | None:
    """A ModelArch from a Hugging Face config.json (its text_config for a multimodal one); None
    when it lacks the dimensions. `params` (from the weights' headers) wins over the family's
    formula."""
    text = config.get("text_config")
    if isinstance(text, dict) and "hidden_size" in text:
        config = {**config, **text}
    family = str(config.get("model_type") or "")
    layers = _int(config, "num_hidden_layers", "n_layer", "num_layers", "encoder_layers")
    hidden = _int(config, "hidden_size", "n_embd", "d_model")
    heads = _int(config, "num_attention_heads", "n_head", "encoder_attention_heads", "num_heads")
    vocab = _int(config, "vocab_size")
    if not (layers and hidden and heads and vocab) or min(layers, hidden, heads, vocab) < 0:
        return None
    kind: Kind
    architectures = " ".join(str(a) for a in config.get("architectures") or ())
    if config.get("is_encoder_decoder"):
        kind = "seq2seq"
    elif any(hint in architectures for hint in DECODER_HINTS) or family in formulas.DECODER_FAMILIES:
        kind = "decoder"
    else:
        kind = "encoder"
    rope, nope = _int(config, "qk_rope_head_dim"), _int(config, "qk_nope_head_dim")
    head_dim = (rope + nope) if rope and nope else _int(config, "head_dim", "d_kv") or hidden // heads
    experts = _int(config, "num_local_experts", "num_experts", "n_routed_experts")
    moe_intermediate = _int(config, "moe_intermediate_size")
    shared = _int(config, "n_shared_experts") or 0
    shared_size = _int(config, "shared_expert_intermediate_size")
    if shared_size and moe_intermediate:
        shared = shared_size // moe_intermediate
    arch = ModelArch(
        name=name,
        family=family,
        kind=kind,
        layers=layers,
        hidden=hidden,
        heads=heads,
        kv_heads=_int(config, "num_key_value_heads", "num_kv_heads") or heads,
        head_dim=head_dim,
        intermediate=_int(config, "intermediate_size", "n_inner", "d_ff", "ffn_dim", "encoder_ffn_dim") or 4 * hidden,
        vocab=vocab,
        max_positions=_int(config, "max_position_embeddings", "n_positions", "max_target_positions") or 0,
        tied_embeddings=bool(config.get("tie_word_embeddings", True)),
        params=params or 0,
        source=source,
        experts=experts,
        experts_per_token=_int(config, "num_experts_per_tok", "num_experts_per_token") if experts else None,
        shared_experts=shared,
        moe_intermediate=moe_intermediate if experts else None,
        dense_layers=_int(config, "first_k_dense_replace") or 0,
        decoder_layers=_int(config, "decoder_layers", "num_decoder_layers") if kind == "seq2seq" else None,
        sliding_window=_int(config, "sliding_window"),
        q_lora_rank=_int(config, "q_lora_rank"),
        kv_lora_rank=_int(config, "kv_lora_rank"),
        rope_head_dim=rope if _int(config, "kv_lora_rank") else None,
        v_head_dim=_int(config, "v_head_dim"),
        mel_bins=_int(config, "num_mel_bins"),
    )
    counted = formulas.count(arch)
    if counted is None:
        return arch if params else None
    active = counted.active if experts else None
    return replace(arch, params=params or counted.total, active_params=active)


def _cache_name(folder: Path) -> str | None:
    """`models--meta-llama--Llama-3.1-8B/snapshots/<rev>` -> meta-llama/Llama-3.1-8B."""
    for part in reversed(folder.parts):
        if part.startswith("models--"):
            return part.removeprefix("models--").replace("--", "/")
    return None


def read_folder(folder: Path) -> LocalModel:
    """A Hugging Face model folder: config.json and the *.safetensors headers."""
    config_path = folder / "config.json"
    shards = sorted(folder.glob("*.safetensors"))
    if not config_path.is_file() and not shards:
        raise _bad(folder, "no config.json or *.safetensors here", "point at a Hugging Face model folder or a file")
    config = read_config(config_path) if config_path.is_file() else {}
    headers = [read_safetensors_header(p) for p in shards]
    params, weight_bytes, tensors, dtypes = _count_tensors(headers)
    name = _cache_name(folder) or str(config.get("_name_or_path") or "") or folder.resolve().name
    source = str(config_path) if config else str(folder)
    arch = arch_from_config(config, name, params or None, source) if config else None
    known = lookup(name)
    return LocalModel(
        quantization=_hf_quantization(config),
        path=str(folder),
        format="hf-folder",
        name=name,
        params=params or (arch.params if arch else None),
        weight_bytes=weight_bytes if headers else None,
        tensors=tensors,
        dtypes=dtypes,
        arch=arch,
        architecture=str(config.get("model_type") or ""),
        context_length=arch.max_positions if arch and arch.max_positions else None,
        catalog=known.name if known else None,
        files=tuple(p.name for p in ([config_path] if config else []) + shards),
    )


def _hf_quantization(config: dict[str, Any]) -> str:
    """config.json's quantization_config: `awq 4-bit`, `gptq 4-bit`, `fp8`, `bitsandbytes 4-bit`."""
    quant = config.get("quantization_config")
    if not isinstance(quant, dict):
        return ""
    method = str(quant.get("quant_method") or "quantized")
    bits = quant.get("bits") or (4 if quant.get("load_in_4bit") else 8 if quant.get("load_in_8bit") else None)
    return f"{method} {bits}-bit" if isinstance(bits, int) else method


def read_safetensors_file(path: Path) -> LocalModel:
    header = read_safetensors_header(path)
    params, weight_bytes, tensors, dtypes = _count_tensors([header])
    config_path = path.parent / "config.json"
    config = read_config(config_path) if config_path.is_file() else {}
    name = str(config.get("_name_or_path") or "") or path.stem
    arch = arch_from_config(config, name, params, str(config_path)) if config else None
    return LocalModel(
        path=str(path),
        format="safetensors",
        name=name,
        params=params,
        weight_bytes=weight_bytes,
        tensors=tensors,
        dtypes=dtypes,
        arch=arch,
        architecture=str(config.get("model_type") or ""),
        files=(path.name,),
    )


def _gguf_value(reader: Any, key: str) -> Any:
    found = reader.get_field(key)
    return None if found is None else found.contents()


def read_gguf(path: Path) -> LocalModel:
    """A GGUF file's header: general.architecture and name, `<arch>.context_length`, and every
    tensor's quantization type, element count and bytes (gguf's GGUFReader maps the file; no
    tensor is read)."""
    if _read_prefix(path, 4) != GGUF_MAGIC:
        raise _bad(path, "not a GGUF file: it does not start with GGUF")
    try:
        from gguf import GGUFReader
    except ImportError:
        raise InputError("reading a GGUF file needs the gguf package", where=str(path), fix=INSTALL_GGUF) from None
    try:
        reader = GGUFReader(path)
    except OSError as err:
        raise os_error(err, path, "read it") from None
    except (ValueError, IndexError, KeyError, TypeError, OverflowError) as err:  # GGUFReader on a bad header
        raise _bad(path, f"not a readable GGUF file ({type(err).__name__})") from None
    architecture = str(_gguf_value(reader, "general.architecture") or "")
    name = str(_gguf_value(reader, "general.name") or path.stem)
    context = _gguf_value(reader, f"{architecture}.context_length")
    dtypes: Counter[str] = Counter()
    params = weight_bytes = 0
    for tensor in reader.tensors:
        dtypes[tensor.tensor_type.name] += int(tensor.n_elements)
        params += int(tensor.n_elements)
        weight_bytes += int(tensor.n_bytes)
    known = lookup(name)
    arch = _gguf_arch(reader, architecture, name, params, str(path))
    return LocalModel(
        quantization=_gguf_file_type(_gguf_value(reader, "general.file_type")),
        path=str(path),
        format="gguf",
        name=name,
        params=params,
        weight_bytes=weight_bytes,
        tensors=len(reader.tensors),
        dtypes=dict(dtypes),
        arch=arch,
        architecture=architecture,
        context_length=int(context) if isinstance(context, int) else None,
        catalog=known.name if known else None,
        files=(path.name,),
    )


def _gguf_file_type(value: Any) -> str:
    """general.file_type as llama.cpp names it: 15 -> Q4_K_M (gguf's LlamaFileType)."""
    from gguf import LlamaFileType

    if not isinstance(value, int):
        return ""
    try:
        return LlamaFileType(value).name.removeprefix("MOSTLY_").removeprefix("ALL_")
    except ValueError:
        return f"file type {value}"


def _gguf_arch(reader: Any, architecture: str, name: str, params: int, source: str) -> ModelArch | None:
    """A decoder's shape from GGUF metadata (`<arch>.block_count`, `.embedding_length`,
    `.attention.head_count`, ...; llama.cpp's gguf-py constants); None when it lacks them."""

    def value(key: str) -> int | None:
        found = _gguf_value(reader, f"{architecture}.{key}")
        return found if isinstance(found, int) and not isinstance(found, bool) else None

    layers, hidden, heads = value("block_count"), value("embedding_length"), value("attention.head_count")
    if not (layers and hidden and heads):
        return None
    shapes = {t.name: [int(n) for n in t.shape] for t in reader.tensors}
    embedding = shapes.get("token_embd.weight")
    tokens = _gguf_value(reader, "tokenizer.ggml.tokens")
    # ggml orders a shape innermost first: token_embd is [hidden, vocab]
    vocab = embedding[-1] if embedding else len(tokens) if isinstance(tokens, list) else 0
    experts = value("expert_count")
    return ModelArch(
        name=name,
        family=architecture,
        kind="decoder",
        layers=layers,
        hidden=hidden,
        heads=heads,
        kv_heads=value("attention.head_count_kv") or heads,
        head_dim=value("attention.key_length") or hidden // heads,
        intermediate=value("feed_forward_length") or 0,
        vocab=vocab,
        max_positions=value("context_length") or 0,
        tied_embeddings="output.weight" not in shapes,
        params=params,
        source=source,
        experts=experts,
        experts_per_token=value("expert_used_count") if experts else None,
    )


def _snapshot(model_dir: Path) -> Path | None:
    """A cache model's snapshot: the one refs/main names, else the newest."""
    snapshots = model_dir / "snapshots"
    ref = model_dir / "refs" / "main"
    if ref.is_file():
        revision = _read_prefix(ref, 200).decode("ascii", "replace").strip()
        if (snapshots / revision).is_dir():
            return snapshots / revision
    found = sorted((p for p in snapshots.glob("*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def cache_models(root: Path) -> list[Path]:
    """The snapshot folders of a Hugging Face cache: `root` itself a hub folder (`models--*`
    inside), or a folder with `hub/` in it (HF_HOME)."""
    hub = root / "hub" if (root / "hub").is_dir() and not any(root.glob("models--*")) else root
    found = []
    for model_dir in sorted(hub.glob("models--*")):
        snapshot = _snapshot(model_dir)
        if snapshot is not None:
            found.append(snapshot)
    return found


def find_in_cache(root: Path, model_id: str) -> Path | None:
    """The snapshot of `model_id` (`owner/name`) in a Hugging Face cache, if it is there."""
    wanted = "models--" + model_id.strip("/").replace("/", "--")
    for hub in (root, root / "hub"):
        model_dir = hub / wanted
        if model_dir.is_dir():
            return _snapshot(model_dir)
    return None


OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"
OLLAMA_LIBRARY = "registry.ollama.ai/library/"


def _ollama_root(path: Path) -> Path | None:
    """The folder with `manifests/` and `blobs/`: `path`, or its `models/` (~/.ollama)."""
    for root in (path, path / "models"):
        if (root / "manifests").is_dir() and (root / "blobs").is_dir():
            return root
    return None


def _ollama_name(manifest: Path, manifests: Path) -> str:
    """manifests/registry.ollama.ai/library/llama3.1/8b -> llama3.1:8b (other registries keep theirs)."""
    *model, tag = manifest.relative_to(manifests).parts
    name = "/".join(model)
    return f"{name.removeprefix(OLLAMA_LIBRARY)}:{tag}"


def read_ollama_manifest(manifest: Path, root: Path) -> LocalModel:
    """One Ollama model: its manifest's model layer, a GGUF blob."""
    try:
        data = json.loads(_read_prefix(manifest, MAX_CONFIG_BYTES).decode("utf-8"))
        layers = data.get("layers") if isinstance(data, dict) else None
        digest = next(layer["digest"] for layer in layers or () if layer.get("mediaType") == OLLAMA_MODEL_LAYER)
    except (ValueError, RecursionError, StopIteration, KeyError, TypeError, AttributeError):  # JSON, shape
        raise _bad(manifest, "not an Ollama manifest with a model layer") from None
    blob = root / "blobs" / str(digest).replace(":", "-")
    if not blob.is_file():
        raise _bad(manifest, f"its model blob {blob.name} is not in {root / 'blobs'}", "pull the model again")
    found = read_gguf(blob)
    name = _ollama_name(manifest, root / "manifests")
    known = lookup(name)
    return replace(found, format="ollama", name=name, catalog=known.name if known else found.catalog)


def ollama_models(root: Path) -> list[LocalModel]:
    manifests = root / "manifests"
    return [read_ollama_manifest(p, root) for p in sorted(manifests.rglob("*")) if p.is_file()]


def inspect(path: Path) -> list[LocalModel]:
    """Every model at `path`: a GGUF or safetensors file, a model folder, or a cache of them."""
    if not path.exists():
        raise InputError("no such file or folder", where=str(path), fix="check the path")
    if path.is_file():
        if path.suffix == ".gguf" or _read_prefix(path, 4) == GGUF_MAGIC:
            return [read_gguf(path)]
        if path.suffix == ".safetensors":
            return [read_safetensors_file(path)]
        if path.name == "config.json":
            return [read_folder(path.parent)]
        raise _bad(path, "not a model file composegen reads", "give a .gguf or .safetensors file, or a model folder")
    if (path / "config.json").is_file() or any(path.glob("*.safetensors")):
        return [read_folder(path)]
    ollama = _ollama_root(path)
    if ollama is not None:
        return ollama_models(ollama)
    snapshots = cache_models(path)
    if snapshots:
        return [read_folder(s) for s in snapshots]
    ggufs = sorted(path.glob("*.gguf"))
    if ggufs:
        return [read_gguf(p) for p in ggufs]
    raise _bad(path, "no model here", "give a Hugging Face model folder or cache, or a .gguf or .safetensors file")
