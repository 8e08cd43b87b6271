"""GPU memory of generation against composegen's VRAM estimate (issue 15): one script, at most 8 minutes.

    python bench/gpu.py              # a machine with an NVIDIA GPU, torch (a CUDA build), transformers, PyYAML
    python bench/gpu.py --dry-run    # tiny configs on the CPU: the same table, `n/a` for the CUDA figures
    python bench/gpu.py --only llama --grid small --budget 300
    python bench/gpu.py --estimates  # only composegen's estimates for the cases (no torch needed)

No network: each case builds a decoder of composegen's model catalog (composegen/models/catalog.json)
from its architecture with random weights, as bench/accuracy does, in its dtype directly on the GPU,
then generates with a KV cache the way bench/accuracy/workloads/model_pass.py does (a prefill of
context − 4 tokens with full logits, then 4 greedy steps) at each batch × context of the grid.

- measured = `torch.cuda.max_memory_allocated()` over the build and the pass (the peak stats are
  reset after the build, and the case takes the larger of the two, as a fresh process would show)
  + the CUDA context: what the process holds on the GPU beyond torch's allocator, NVML's figure for
  this process (composegen.engine.gpu, with nvidia-ml-py) or else the device's used memory less
  what was used before CUDA started, each less `torch.cuda.memory_reserved()`; read after the last
  case of each model, when the kernels it used are loaded.
- estimate = composegen's figures for the same model, dtype, batch and context: the CUDA context a
  process holds (composegen.sizing.serving.CUDA_CONTEXT, 500 MiB) + the weights (the catalog's
  params × bytes per dtype) + the larger of the activations by architecture
  (composegen.sizing.activations: KV cache, logits, a layer with its temporaries, the floor) and
  the build transient (the output embeddings initialised before tying): the ml-inference
  calculator's terms (composegen.sizing.ml), with the CUDA context in place of the host's runtime.

Target: estimate ÷ measured in [1.0, 1.3] for every case. Cases run smallest first; when the
budget (`--budget`, 480 s) would be passed the rest are listed as skipped.

Exit: 0 when the table was printed (also with cases out of the target: the table says so), or when
there is no CUDA GPU here (one line says so: nothing to measure is not a failure); 2 when torch or
transformers is missing (one line: what to install).
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "accuracy" / "workloads"))

from bench.accuracy.table import HIGH, LOW, verdict  # noqa: E402
from composegen.models.catalog import BYTES_PER_PARAM, ModelArch, lookup  # noqa: E402
from composegen.models.params import count  # noqa: E402
from composegen.sizing.activations import activations, build_transient  # noqa: E402
from composegen.sizing.ml import activation_width  # noqa: E402
from composegen.sizing.serving import CUDA_CONTEXT  # noqa: E402
from composegen.units import MIB  # noqa: E402

#: (catalog name, dtype), smallest first: families and sizes of the catalog's decoders.
MODELS = (
    ("openai-community/gpt2", "fp32"),
    ("Qwen/Qwen2.5-0.5B", "bf16"),
    ("meta-llama/Llama-3.2-1B", "bf16"),
    ("facebook/opt-1.3b", "fp16"),
    ("Qwen/Qwen2.5-1.5B", "bf16"),
    ("meta-llama/Llama-3.2-3B", "bf16"),
    ("mistralai/Mistral-7B-v0.1", "bf16"),
    ("meta-llama/Llama-3.1-8B", "bf16"),
)
#: batch × context grids.
GRIDS = {
    "small": ((1, 1024), (8, 1024)),
    "full": ((1, 1024), (8, 1024), (4, 4096), (16, 2048)),
    "dry": ((1, 64), (2, 128)),
}
BUDGET = 480.0  # seconds: the 8 minutes
TARGET = (LOW, HIGH)  # bench/accuracy's
STEPS = 4  # greedy steps after the prefill (model_pass.STEPS)
#: The config class's architecture name and keyword arguments from the catalog, by family.
ARCHITECTURES = {
    "gpt2": "GPT2LMHeadModel",
    "opt": "OPTForCausalLM",
    "llama": "LlamaForCausalLM",
    "mistral": "MistralForCausalLM",
    "qwen2": "Qwen2ForCausalLM",
}


@dataclass(frozen=True)
class Result:
    model: str
    dtype: str
    batch: int
    context: int
    estimate: float  # bytes
    allocated: float | None = None  # torch.cuda.max_memory_allocated (bytes); None: not on CUDA
    context_bytes: float | None = None  # the CUDA context measured (bytes)
    note: str = ""  # skipped, out of memory, ...

    @property
    def measured(self) -> float | None:
        if self.allocated is None or self.context_bytes is None:
            return None
        return self.allocated + self.context_bytes

    @property
    def ratio(self) -> float | None:
        return self.estimate / self.measured if self.measured else None

    @property
    def verdict(self) -> str:
        return verdict(self.ratio) if self.ratio is not None else self.note or "n/a"


def hf_config(arch: ModelArch) -> dict[str, Any]:
    """The transformers config (model_type and keyword arguments) of a catalog decoder."""
    family = arch.family
    if family == "gpt2":
        fields: dict[str, Any] = {
            "n_embd": arch.hidden,
            "n_layer": arch.layers,
            "n_head": arch.heads,
            "n_inner": arch.intermediate,
            "n_positions": arch.max_positions,
            "vocab_size": arch.vocab,
        }
    elif family == "opt":
        fields = {
            "hidden_size": arch.hidden,
            "num_hidden_layers": arch.layers,
            "num_attention_heads": arch.heads,
            "ffn_dim": arch.intermediate,
            "max_position_embeddings": arch.max_positions,
            "vocab_size": arch.vocab,
            "word_embed_proj_dim": arch.hidden,
        }
    elif family in ("llama", "mistral", "qwen2"):
        fields = {
            "hidden_size": arch.hidden,
            "num_hidden_layers": arch.layers,
            "num_attention_heads": arch.heads,
            "num_key_value_heads": arch.kv_heads,
            "head_dim": arch.head_dim,
            "intermediate_size": arch.intermediate,
            "max_position_embeddings": arch.max_positions,
            "vocab_size": arch.vocab,
            "tie_word_embeddings": arch.tied_embeddings,
        }
        if family == "mistral":
            fields["sliding_window"] = arch.sliding_window
    else:
        raise ValueError(f"bench/gpu builds no {family} model")
    # no token ids: the passes take random ids, and a tiny vocabulary has none of the real ones
    ids = {"bos_token_id": None, "eos_token_id": None, "pad_token_id": None}
    head = {"model_type": family, "architectures": [ARCHITECTURES[family]], "tie_word_embeddings": True}
    return {**head, **fields, **ids}


def tiny(arch: ModelArch) -> ModelArch:
    """A few-layer, narrow model of the same family, for --dry-run (params by the family's formula)."""
    heads, kv = 4, 2 if arch.kv_heads < arch.heads else 4
    small = replace(
        arch,
        name=f"{arch.name} (tiny)",
        layers=2,
        hidden=64,
        heads=heads,
        kv_heads=kv,
        head_dim=16,
        intermediate=128,
        vocab=1000,
        max_positions=512,
        sliding_window=None,
    )
    found = count(small)
    return replace(small, params=found.total if found is not None else small.params)


def estimate(arch: ModelArch, dtype: str, batch: int, context: int) -> float:
    """composegen's VRAM for one process generating with `arch` (see the module docstring)."""
    width = activation_width(BYTES_PER_PARAM[dtype])
    act = activations(arch, batch, context, width).value
    transient = build_transient(arch, width).value
    return CUDA_CONTEXT + arch.weight_bytes(dtype) + max(act, transient)


def device_used() -> int | None:
    """Bytes used on GPU 0 now, by NVML or nvidia-smi (None: neither here)."""
    process = nvml_process_bytes(None)
    if process is not None:
        return process
    if shutil.which("nvidia-smi") is None:
        return None
    query = ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0"]
    try:
        out = subprocess.run(query, capture_output=True, text=True, timeout=30, check=True).stdout
        return int(out.split()[0]) * MIB
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def nvml_process_bytes(pid: int | None) -> int | None:
    """With nvidia-ml-py: this process's bytes on GPU 0 (`pid`; the only process listed where the
    pids NVML gives are another namespace's), or the device's used bytes when `pid` is None."""
    from composegen.engine.gpu import load_pynvml, read_devices

    try:
        api = load_pynvml()
    except ImportError:
        return None
    try:
        api.nvmlInit()
        try:
            devices = read_devices(api)
        finally:
            api.nvmlShutdown()
    except api.NVMLError:
        return None
    if not devices:
        return None
    if pid is None:
        return devices[0].used
    mine = [p for p in devices[0].processes if p.pid == pid] or (
        list(devices[0].processes) if len(devices[0].processes) == 1 else []
    )
    return mine[0].used if mine else None


def cuda_context(torch: Any, before: int | None) -> float | None:
    """What this process holds on the GPU beyond torch's allocator (see the module docstring)."""
    reserved = torch.cuda.memory_reserved()
    process = nvml_process_bytes(os.getpid())
    if process is not None:
        return float(process - reserved)
    free, total = torch.cuda.mem_get_info()
    if before is None:
        return None
    return float(total - free - before - reserved)


def build(arch: ModelArch, dtype: str, device: str) -> Any:
    """The model from its catalog architecture, random weights, built on `device` (`meta`: no memory)."""
    import torch
    from model_pass import model_class  # bench/accuracy/workloads
    from transformers import AutoConfig

    fields = hf_config(arch)
    config = AutoConfig.for_model(fields.pop("model_type"), **fields)
    torch_dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[dtype]
    torch.manual_seed(0)
    with torch.device(device):
        model = model_class(config).from_config(config, dtype=torch_dtype)
    return model.eval()


def params_note(arch: ModelArch, built: int) -> str:
    """Said where the built model's parameters are off the catalog's by more than 2 %."""
    if abs(built - arch.params) <= 0.02 * arch.params:
        return ""
    return f"built {built / 1e6:,.1f}M params, catalog {arch.params / 1e6:,.1f}M"


def full_size_check(arch: ModelArch, dtype: str) -> str:
    """--dry-run: the full-size config built on the meta device (no memory), its params against the catalog's."""
    built = sum(p.numel() for p in build(arch, dtype, "meta").parameters())
    return params_note(arch, built) or f"full size: {built / 1e6:,.1f}M params as the catalog"


def run_model(
    arch: ModelArch, dtype: str, grid: Sequence[tuple[int, int]], device: str, before: int | None
) -> list[Result]:
    """Build the model once, then generate at each grid point; one row per point."""
    import torch
    from model_pass import generate  # bench/accuracy/workloads

    cuda = device == "cuda"
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    model = build(arch, dtype, device)
    shape_note = params_note(arch, sum(p.numel() for p in model.parameters()))
    build_peak = torch.cuda.max_memory_allocated() if cuda else None
    results: list[Result] = []
    peaks: list[tuple[int, int, float | None, str]] = []
    for batch, context in grid:
        gc.collect()
        note = shape_note
        peak: float | None = None
        try:
            if cuda:
                torch.cuda.reset_peak_memory_stats()
            generator = torch.Generator(device=device).manual_seed(0)
            ids = torch.randint(3, arch.vocab, (batch, context), generator=generator, device=device)
            with torch.inference_mode():
                generate(model, ids, max(1, context - STEPS))
            if cuda:
                torch.cuda.synchronize()
                peak = float(max(build_peak or 0, torch.cuda.max_memory_allocated()))
            del ids
        except torch.cuda.OutOfMemoryError:
            note = "out of GPU memory"
            gc.collect()
            torch.cuda.empty_cache()
        peaks.append((batch, context, peak, note))
    context_bytes = cuda_context(torch, before) if cuda else None
    for batch, context, peak, note in peaks:
        results.append(
            Result(
                arch.name,
                dtype,
                batch,
                context,
                estimate(arch, dtype, batch, context),
                peak,
                context_bytes if peak is not None else None,
                note,
            )
        )
    del model
    gc.collect()
    if cuda:
        torch.cuda.empty_cache()
    return results


def skipped(arch: ModelArch, dtype: str, batch: int, context: int) -> Result:
    return Result(arch.name, dtype, batch, context, estimate(arch, dtype, batch, context), note="skipped: time")


def mib(value: float | None) -> str:
    return f"{value / MIB:,.0f} MiB" if value is not None else "n/a"


def table(results: Sequence[Result], device: str) -> str:
    lines = [
        "| model | dtype | batch × context | estimate | max allocated | CUDA context | measured | ratio | verdict |",
        "|---|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "n/a"
        lines.append(
            f"| {r.model} | {r.dtype} | {r.batch} × {r.context} | {mib(r.estimate)} | {mib(r.allocated)} | "
            f"{mib(r.context_bytes)} | {mib(r.measured)} | {ratio} | {r.verdict} |"
        )
    scored = [r for r in results if r.ratio is not None]
    ok = sum(1 for r in scored if r.verdict == "ok")
    lines.append("")
    lines.append(f"{ok} of {len(scored)} measured cases in [{TARGET[0]}, {TARGET[1]}] ({device}).")
    return "\n".join(lines)


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-run", action="store_true", help="tiny configs on the CPU (no GPU needed)")
    parser.add_argument("--grid", choices=("small", "full"), default="full")
    parser.add_argument("--only", default="", help="models whose name contains this word")
    parser.add_argument("--budget", type=float, default=BUDGET, help="seconds (default 480)")
    parser.add_argument("--estimates", action="store_true", help="only print composegen's estimates (no torch)")
    return parser.parse_args(argv)


def catalog(name: str) -> ModelArch:
    arch = lookup(name)
    if arch is None:
        raise SystemExit(f"bench/gpu: {name} is not in the catalog")
    return arch


def main(argv: Sequence[str]) -> int:
    args = parse(argv)
    start = time.monotonic()
    chosen = [(catalog(name), dtype) for name, dtype in MODELS if args.only.lower() in name.lower()]
    grid = GRIDS["dry" if args.dry_run else args.grid]
    if args.estimates:
        print(table([Result(a.name, d, b, c, estimate(a, d, b, c)) for a, d in chosen for b, c in grid], "estimates"))
        return 0
    try:
        import torch
        import transformers  # noqa: F401 (checked here, used by build)
    except ImportError as err:
        print(f"bench/gpu: {err.name} is not installed: pip install -e '.[accuracy]' (a CUDA build of torch on a GPU)")
        return 2
    if not args.dry_run and not torch.cuda.is_available():
        print("bench/gpu: no CUDA GPU here (torch.cuda.is_available() is false): nothing measured (--dry-run: on CPU)")
        return 0
    device = "cpu" if args.dry_run else "cuda"
    before = None if args.dry_run else device_used()
    if not args.dry_run:
        torch.zeros(1, device="cuda")  # start CUDA: the context exists from here
    results: list[Result] = []
    slowest = 0.0
    for full, dtype in chosen:
        if args.dry_run:
            print(f"bench/gpu: {full.name} {dtype}: {full_size_check(full, dtype)}", file=sys.stderr)
        arch = tiny(full) if args.dry_run else full  # the dry run's stand-in
        began = time.monotonic()
        # the next model (larger) takes at least as long as the slowest so far: stop before the budget
        if began - start + slowest > args.budget:
            results += [skipped(arch, dtype, b, c) for b, c in grid]
            continue
        results += run_model(arch, dtype, grid, device, before)
        slowest = max(slowest, time.monotonic() - began)
        print(f"bench/gpu: {arch.name} {dtype} done at {time.monotonic() - start:.0f} s", file=sys.stderr)
    where = "CPU dry run: no CUDA figures" if args.dry_run else torch.cuda.get_device_name(0)
    print(table(results, f"{where}, torch {torch.__version__}, {time.monotonic() - start:.0f} s"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
