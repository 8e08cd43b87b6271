"""CPU truth for LLM serving (issue 15 item 6): llama.cpp on the CPU, through llama-cpp-python's
bindings of its C API, on random-weight GGUF files written here with the `gguf` package, at
several `-c` × `-np` × KV types; the process's peak RSS against composegen's estimate for a
llama.cpp server with the same flags.

    .venv/bin/python -m pip install llama-cpp-python   # builds llama.cpp from source (sdist only)
    .venv/bin/python bench/accuracy/llamacpp.py                # every case (~3-5 min on 2 shared cores)
    .venv/bin/python bench/accuracy/llamacpp.py --only qwen    # cases whose name contains a word
    .venv/bin/python bench/accuracy/llamacpp.py --no-docs      # print the table, leave docs alone

llama-cpp-python is not in any extra: it has no wheels on PyPI, and building it takes ~15 minutes
on 2 cores (CMAKE_BUILD_PARALLEL_LEVEL=1 CMAKE_ARGS="-DGGML_NATIVE=OFF" is what was used here).
The GGUF files (~2.5 GB together) are written once into --cache (default
~/.cache/composegen/llamacpp-bench).

Each case runs in a fresh process, set up as llama.cpp's server sets up its context
(common/common.cpp common_context_params_to_llama, tools/server/server.cpp): n_ctx = -c,
n_seq_max = -np, n_batch 2048, n_ubatch -ub, one output per slot, flash attention `auto`, the
weights mmapped, K and V of the type -ctk/-ctv name, a unified KV cache only with --kv-unified, one
thread. It then does what a busy server does: one batch of -ub prompt tokens spread over the slots,
with logits for each slot's last token only, then 8 steps of one token per slot. Most cases run
-ub 64 (composegen reads -ub; a 512-token batch takes ~8× longer here), two the server's 512. The
peak is VmHWM of /proc/self/status: the mmapped weights' file pages included (a container's
memory cgroup charges them too), and the Python interpreter with llama-cpp-python (not
llama-server's own binary: composegen's process constant is this process's).

The estimate is `composegen render`'s: a compose service running `llama-server -m
/models/<name>.<type>.gguf <the case's flags>` from ghcr.io/ggml-org/llama.cpp:server, the model
named in composegen.yaml, no GPU (bench/accuracy/estimate.py), before the profile's margin. Target:
estimate ÷ measured in [1.0, 1.3]. composegen's llama.cpp process constant was fitted on the
`fitted` cases only; the others are held out (another family, Q4_0's repacking, q8_0 KV, slots
whose share is padded, --kv-unified, -ub 512).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from bench.accuracy.estimate import estimate  # noqa: E402
from bench.accuracy.table import HIGH, LOW, MIB, mib, replace_section, verdict  # noqa: E402
from composegen.sizing.llm import LLAMA_CPP_PROCESS  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
DOCS_START = "## LLM serving on the CPU: llama.cpp (bench/accuracy/llamacpp.py)"
IMAGE = "ghcr.io/ggml-org/llama.cpp:server"
DECODE_STEPS = 8


@dataclass(frozen=True)
class Model:
    """A catalog decoder, written as a GGUF of its real dimensions with random weights."""

    key: str  # short name, in the file's name
    catalog: str  # composegen's catalog name (composegen/models/catalog.json)
    arch: str  # GGUF general.architecture
    qkv_bias: bool  # Qwen2 has q/k/v biases
    rope_base: float
    rms_eps: float


MODELS = {
    "SmolLM2-135M": Model("SmolLM2-135M", "HuggingFaceTB/SmolLM2-135M", "llama", False, 100000.0, 1e-5),
    "Qwen2.5-0.5B": Model("Qwen2.5-0.5B", "Qwen/Qwen2.5-0.5B", "qwen2", True, 1000000.0, 1e-6),
}


@dataclass(frozen=True)
class Case:
    model: str
    weights: str  # F16, Q8_0, Q4_0
    ctx: int  # -c
    parallel: int  # -np
    kv: str  # -ctk and -ctv: f16, q8_0
    unified: bool = False  # --kv-unified
    ubatch: int = 64  # -ub: the prompt batch the case fills (llama.cpp's 512 takes ~8× longer here)
    fitted: bool = False  # the llama.cpp runtime constants were fitted on this case

    @property
    def name(self) -> str:
        return f"{self.model} {self.weights} {self.flags}"

    @property
    def flags(self) -> str:
        """The llama-server flags the case runs with (f16 K and V, -ub 512: its defaults, left out)."""
        flags = f"-c {self.ctx} -np {self.parallel}"
        flags += f" -ctk {self.kv} -ctv {self.kv}" if self.kv != "f16" else ""
        flags += f" -ub {self.ubatch}" if self.ubatch != 512 else ""
        return flags + (" --kv-unified" if self.unified else "")


CASES = (
    # fitted: one small model, F16 and Q8_0 weights, context and slots varied
    Case("SmolLM2-135M", "F16", 2048, 1, "f16", fitted=True),
    Case("SmolLM2-135M", "F16", 8192, 1, "f16", fitted=True),
    Case("SmolLM2-135M", "Q8_0", 4096, 4, "f16", fitted=True),
    Case("SmolLM2-135M", "Q8_0", 16384, 4, "f16", fitted=True),
    # held out: other types, KV types, slots, the unified cache, another family
    Case("SmolLM2-135M", "Q4_0", 4096, 1, "f16"),
    Case("SmolLM2-135M", "Q4_0", 32768, 8, "f16"),
    Case("SmolLM2-135M", "Q8_0", 8192, 2, "q8_0"),
    Case("SmolLM2-135M", "F16", 6000, 3, "f16"),
    Case("SmolLM2-135M", "F16", 8192, 4, "f16", unified=True),
    Case("Qwen2.5-0.5B", "Q8_0", 4096, 1, "f16"),
    Case("Qwen2.5-0.5B", "Q4_0", 16384, 4, "f16"),
    Case("Qwen2.5-0.5B", "Q4_0", 32768, 2, "q8_0"),
    Case("Qwen2.5-0.5B", "F16", 2048, 2, "f16"),
    # held out: the server's own prompt batch (-ub 512), whose compute the fitted cases did not fill
    Case("SmolLM2-135M", "Q8_0", 4096, 4, "f16", ubatch=512),
    Case("Qwen2.5-0.5B", "Q8_0", 4096, 1, "f16", ubatch=512),
)


# --- GGUF files with random weights -----------------------------------------------------------


def gguf_path(cache: Path, model: Model, weights: str) -> Path:
    return cache / f"{model.key}.{weights}.gguf"


def write_gguf(path: Path, model: Model, weights: str, seed: int = 0) -> None:
    """A GGUF llama.cpp loads: the catalog's dimensions, random weights (normal, std 0.02) of type
    `weights` for the matrices, F32 norms and biases, and no tokenizer (`none`, with the vocab size:
    llama.cpp adds dummy tokens; the bench feeds token ids)."""
    import numpy as np
    from gguf import GGMLQuantizationType, GGUFWriter, LlamaFileType, quants

    from composegen.models.catalog import lookup

    found = lookup(model.catalog)
    assert found is not None, model.catalog
    hidden, layers, heads, kv_heads = found.hidden, found.layers, found.heads, found.kv_heads
    head_dim, inter, vocab = found.head_dim, found.intermediate, found.vocab
    qtype = {"F16": GGMLQuantizationType.F16, "Q8_0": GGMLQuantizationType.Q8_0, "Q4_0": GGMLQuantizationType.Q4_0}
    ftype = {"F16": LlamaFileType.MOSTLY_F16, "Q8_0": LlamaFileType.MOSTLY_Q8_0, "Q4_0": LlamaFileType.MOSTLY_Q4_0}
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".partial")
    writer = GGUFWriter(str(tmp), model.arch, use_temp_file=True)
    writer.add_name(f"{model.key} (random weights, composegen bench)")
    writer.add_context_length(found.max_positions)
    writer.add_embedding_length(hidden)
    writer.add_block_count(layers)
    writer.add_feed_forward_length(inter)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_key_length(head_dim)
    writer.add_value_length(head_dim)
    writer.add_rope_freq_base(model.rope_base)
    writer.add_layer_norm_rms_eps(model.rms_eps)
    writer.add_vocab_size(vocab)
    writer.add_file_type(ftype[weights])
    writer.add_tokenizer_model("none")

    def matrix(name: str, rows: int, cols: int) -> None:
        data = (rng.standard_normal((rows, cols), dtype=np.float32) * 0.02).astype(np.float32)
        if weights == "F16":
            writer.add_tensor(name, data.astype(np.float16))
        else:
            packed = quants.quantize(data, qtype[weights])
            writer.add_tensor(name, packed, raw_shape=packed.shape, raw_dtype=qtype[weights])

    def vector(name: str, size: int, value: float | None = None) -> None:
        data = np.full(size, value, np.float32) if value is not None else rng.standard_normal(size, np.float32) * 0.02
        writer.add_tensor(name, data.astype(np.float32))

    matrix("token_embd.weight", vocab, hidden)
    vector("output_norm.weight", hidden, 1.0)
    if not found.tied_embeddings:
        matrix("output.weight", vocab, hidden)
    for i in range(layers):
        p = f"blk.{i}."
        vector(p + "attn_norm.weight", hidden, 1.0)
        matrix(p + "attn_q.weight", heads * head_dim, hidden)
        matrix(p + "attn_k.weight", kv_heads * head_dim, hidden)
        matrix(p + "attn_v.weight", kv_heads * head_dim, hidden)
        if model.qkv_bias:
            vector(p + "attn_q.bias", heads * head_dim)
            vector(p + "attn_k.bias", kv_heads * head_dim)
            vector(p + "attn_v.bias", kv_heads * head_dim)
        matrix(p + "attn_output.weight", hidden, heads * head_dim)
        vector(p + "ffn_norm.weight", hidden, 1.0)
        matrix(p + "ffn_gate.weight", inter, hidden)
        matrix(p + "ffn_up.weight", inter, hidden)
        matrix(p + "ffn_down.weight", hidden, inter)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.rename(path)


def ensure_gguf(cache: Path, model: Model, weights: str) -> Path:
    path = gguf_path(cache, model, weights)
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        write_gguf(path, model, weights)
        print(f"wrote {path} ({path.stat().st_size / MIB:,.0f} MiB) in {time.monotonic() - started:.0f} s", flush=True)
    return path


# --- one case, in a fresh process -------------------------------------------------------------


def status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


GGML_TYPES = {"f16": 1, "q8_0": 8, "q4_0": 2}


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """Load the model and a context as llama.cpp's server does, fill it, and report the peak."""
    import ctypes

    import llama_cpp as ll

    logged: list[str] = []

    @ll.llama_log_callback  # type: ignore[untyped-decorator,misc]
    def keep(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        logged.append(text.decode("utf-8", "replace"))

    ll.llama_log_set(keep, ctypes.c_void_p(0))
    ll.llama_backend_init()
    base_kib = status_kib("VmHWM")
    mparams = ll.llama_model_default_params()
    mparams.n_gpu_layers = 0
    model = ll.llama_model_load_from_file(spec["path"].encode(), mparams)
    assert model, "".join(logged[-20:])
    cparams = ll.llama_context_default_params()
    cparams.n_ctx = spec["ctx"]
    cparams.n_seq_max = spec["parallel"]
    cparams.n_batch = 2048
    cparams.n_ubatch = spec["ubatch"]
    cparams.n_outputs_max = 0  # common.h: 0 = n_batch
    cparams.n_outputs_max_per_seq = 1
    cparams.flash_attn_type = ll.LLAMA_FLASH_ATTN_TYPE_AUTO
    cparams.type_k = cparams.type_v = GGML_TYPES[spec["kv"]]
    cparams.kv_unified = spec["unified"]
    cparams.swa_full = False
    cparams.n_threads = cparams.n_threads_batch = spec.get("threads", 1)
    ctx = ll.llama_init_from_model(model, cparams)
    assert ctx, "".join(logged[-20:])
    n_slots = spec["parallel"]
    per_slot = max(1, min(spec["ubatch"] // n_slots, ll.llama_n_ctx_seq(ctx) - DECODE_STEPS - 1))
    n_vocab = spec["vocab"]
    batch = ll.llama_batch_init(max(spec["ubatch"], n_slots), 0, 1)

    def submit(tokens: Sequence[tuple[int, int, int, bool]]) -> None:
        batch.n_tokens = len(tokens)
        for i, (token, pos, seq, logits) in enumerate(tokens):
            batch.token[i] = token
            batch.pos[i] = pos
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = seq
            batch.logits[i] = logits
        rc = ll.llama_decode(ctx, batch)
        assert rc == 0, f"llama_decode returned {rc}: " + "".join(logged[-5:])

    started = time.monotonic()
    submit(
        [
            ((7 + 31 * (s * per_slot + p)) % n_vocab, p, s, p == per_slot - 1)
            for s in range(n_slots)
            for p in range(per_slot)
        ]
    )
    for step in range(DECODE_STEPS):
        submit([((11 + 17 * step + s) % n_vocab, per_slot + step, s, True) for s in range(n_slots)])
    seconds = time.monotonic() - started
    text = "".join(logged)
    peak = status_kib("VmHWM") * 1024
    out = {
        "peak": peak,
        "rss": status_kib("VmRSS") * 1024,
        "anon": status_kib("RssAnon") * 1024,
        "file": status_kib("RssFile") * 1024,
        "base": base_kib * 1024,
        "n_ctx": ll.llama_n_ctx(ctx),
        "n_ctx_seq": ll.llama_n_ctx_seq(ctx),
        "seconds": seconds,
        "log": [line for line in text.splitlines() if "buffer size" in line or "flash_attn" in line],
    }
    ll.llama_batch_free(batch)
    ll.llama_free(ctx)
    ll.llama_model_free(model)
    return out


def measure(case: Case, path: Path) -> dict[str, Any]:
    from composegen.models.catalog import lookup

    found = lookup(MODELS[case.model].catalog)
    assert found is not None
    spec = {**asdict(case), "path": str(path), "vocab": found.vocab}
    done = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        raise RuntimeError(f"{case.name}: exit {done.returncode}\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def project(case: Case) -> tuple[dict[str, Any], dict[str, Any]]:
    """composegen.yaml's `services.app` and docker-compose.yml's for the case: llama.cpp's server
    with the case's flags, the model named in composegen.yaml."""
    # -cram 0: the process measured (llama-cpp-python) has no server prompt cache, which composegen
    # counts for llama-server where the command leaves --cache-ram unset (docs/sizing.md)
    compose = {"image": IMAGE, "command": f"-m /models/{case.model}.{case.weights}.gguf {case.flags} -cram 0"}
    return {"models": [{"name": MODELS[case.model].catalog}]}, compose


def composegen_estimate(case: Case) -> tuple[float, float]:
    """(working set, limit) composegen writes for llama.cpp's server with the case's flags."""
    found = estimate("dev", *project(case))
    return found.working_set, found.limit


BASELINE = """
import json, sys
sys.path.insert(0, ".")
from bench.accuracy.estimate import estimate
print(json.dumps([estimate("dev", s, c).working_set for s, c in json.loads(sys.stdin.read())]))
"""


def baseline_estimates(checkout: Path, cases: Sequence[Case]) -> list[float]:
    """The working sets another checkout of composegen (`--baseline /work/main`) estimates."""
    done = subprocess.run(
        [sys.executable, "-c", BASELINE],
        input=json.dumps([project(c) for c in cases]),
        capture_output=True,
        text=True,
        cwd=checkout,
        env={**os.environ, "PYTHONPATH": str(checkout)},
        check=True,
    )
    found: list[float] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


# --- the table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    case: Case
    estimate: float
    limit: float
    peak: float
    anon: float
    seconds: float
    before: float | None = None  # the baseline checkout's estimate (--baseline)

    @property
    def ratio(self) -> float:
        return self.estimate / self.peak


def markdown(rows: Sequence[Row], baseline: str = "") -> str:
    before = f" ÷ peak, {baseline} |" if baseline else ""
    lines = [
        f"| case | set | estimate | peak RSS (anon) | estimate ÷ peak | verdict | limit written |{before}",
        "|---|---|---:|---:|---:|---|---:|" + ("---:|" if baseline else ""),
    ]
    for r in rows:
        then = f" {r.before / r.peak:.2f} |" if baseline and r.before else ""
        lines.append(
            f"| {r.case.name} | {'fitted' if r.case.fitted else 'held out'} | {mib(r.estimate)} "
            f"| {mib(r.peak)} ({mib(r.anon)}) | {r.ratio:.2f} | {verdict(r.ratio)} | {mib(r.limit)} |{then}"
        )
    return "\n".join(lines) + "\n"


def summary(rows: Sequence[Row]) -> str:
    parts = []
    for label, chosen in (
        ("fitted", [r for r in rows if r.case.fitted]),
        ("held out", [r for r in rows if not r.case.fitted]),
    ):
        if chosen:
            ok = sum(1 for r in chosen if LOW <= r.ratio <= HIGH)
            low, high = min(r.ratio for r in chosen), max(r.ratio for r in chosen)
            parts.append(f"{label}: {ok} of {len(chosen)} in [{LOW}, {HIGH}] (range {low:.2f}-{high:.2f})")
    return "; ".join(parts) + "."


def section(rows: Sequence[Row], version: str, command: str, baseline: str = "") -> str:
    return (
        f"{DOCS_START}\n\n"
        "llama.cpp on the CPU through llama-cpp-python "
        f"{version} (its bindings of llama.cpp's C API, set up as llama.cpp's server sets its context), on\n"
        "random-weight GGUF files of catalog models' real dimensions written with the `gguf` package. Peak\n"
        "RSS is the process's VmHWM (the mmapped weights' file pages included; anon: the anonymous part at\n"
        "the end). Estimate: `composegen render`'s working set for `llama-server` with the same flags, no\n"
        "GPU, before the profile's margin; limit: what the overlay writes (dev profile). Target [1.0, 1.3].\n"
        "Cases with `-ub 64` fill a 64-token prompt batch (composegen reads -ub); the others the server's\n"
        "512. The process constant (64 MiB) was fitted on the `fitted` rows only; the process measured is\n"
        "Python with llama-cpp-python, not llama-server's binary (which has no Python, but an HTTP server\n"
        "and a prompt cache in RAM, `--cache-ram`, up to 8192 MiB by default, that no row fills)."
        + (f" The last column: {baseline}'s estimate (before) ÷ the same peak." if baseline else "")
        + f"\n\n    {command}\n\n"
        + markdown(rows, baseline)
        + "\n"
        + summary(rows)
        + "\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--only", default="", help="run the cases whose name contains this word")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "composegen" / "llamacpp-bench")
    parser.add_argument("--no-docs", action="store_true", help="do not write the table into docs/benchmarks.md")
    parser.add_argument("--baseline", type=Path, help="another composegen checkout: its estimates in a column")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0
    import llama_cpp

    cases = [c for c in CASES if args.only.lower() in c.name.lower()]
    befores: list[float | None] = (
        list(baseline_estimates(args.baseline, cases)) if args.baseline else [None] * len(cases)
    )
    label = ""
    if args.baseline:
        head = subprocess.run(
            ["git", "-C", str(args.baseline), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        )
        label = f"{args.baseline.name} {head.stdout.strip()}".strip()
    rows = []
    for case, before in zip(cases, befores, strict=True):
        path = ensure_gguf(args.cache, MODELS[case.model], case.weights)
        found = measure(case, path)
        working, limit = composegen_estimate(case)
        row = Row(case, working, limit, found["peak"], found["anon"], found["seconds"], before)
        rows.append(row)
        implied = row.peak - (working - LLAMA_CPP_PROCESS)
        print(
            f"{case.name}: estimate {mib(working)}, peak {mib(row.peak)} (anon {mib(row.anon)}, file "
            f"{mib(found['file'])}, base {mib(found['base'])}), implied process {implied / MIB:.1f} MiB, ratio "
            f"{row.ratio:.2f}, n_ctx {found['n_ctx']} (per slot {found['n_ctx_seq']}), decode {found['seconds']:.1f} s",
            flush=True,
        )
        for line in found["log"]:
            print("   ", line.strip(), flush=True)
    print()
    print(markdown(rows, label))
    print(summary(rows))
    if not args.no_docs and not args.only:
        command = ".venv/bin/python bench/accuracy/llamacpp.py"
        text = DOCS.read_text(encoding="utf-8")
        new = section(
            rows, llama_cpp.__version__, command + (f" --baseline {args.baseline}" if args.baseline else ""), label
        )
        text = replace_section(text, DOCS_START, new) if DOCS_START in text else text.rstrip("\n") + "\n\n" + new
        DOCS.write_text(text, encoding="utf-8")
        print(f"wrote {DOCS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    # one thread that sleeps when idle: OpenMP's spinning threads on 2 shared cores made a case 10× slower
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    sys.exit(main())
