"""ML inference services: model weights, framework runtime, load overhead, activations, workers.

Memory (facts/sizing.md §ML models, §Web workers; bench/accuracy, docs/sizing.md §Measured):
- weights = Σ params × bytes per dtype (fp32 4, fp16/bf16 2, int8 1, int4 0.5)
- runtime = torch + transformers: 0.73 GiB with the CUDA build (facts), 350 MiB with the CPU
  build (bench), chosen by `cpu` in the image name
- activations per worker: by architecture (sizing/activations.py: hidden states, MLP
  intermediate, attention scores, logits, KV cache) for a model of known shape; for one of
  declared params only, ≈ 0.3 GiB at sequence 512 × batch 8 in fp32, scaled by batch × sequence
  and by the dtype's width (bf16 halves it: bench)
- load overhead: a known shape's build transient beyond the activations (the output embeddings
  an LM head initialises before tying); 0.2 × weights for declared params (bench)
- with --preload the parent loads once and workers share it copy-on-write:
  1 × (runtime + weights + load overhead) + N × (private + activations), private 160 MiB
  per worker (106-155 MiB measured); without it every worker pays a copy and its own activations.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from composegen.models.footprint import ModelFootprint
from composegen.sizing import activations as by_arch
from composegen.sizing.common import FACTS_SIZING, baseline_cpus, declared_memory, startup_time, with_margin
from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.python_web import ARBITER, gunicorn_environment, preloaded, profile_workers, worker_choice
from composegen.sizing.quantity import Quantity, given, largest, times, total
from composegen.sizing.result import EnvSetting, Sizing
from composegen.units import GIB, MIB

if TYPE_CHECKING:
    from composegen.profiles.models import Profile

SRC = f"{FACTS_SIZING} §ML models"
BENCH = "measured: bench/accuracy (docs/sizing.md §Measured)"
#: torch + transformers over the weights with the CUDA build of torch (the wheel pip installs on
#: x86_64 without an index URL): 0.70-0.73 GiB measured (facts). LLM servers and lint use it too.
RUNTIME = 0.73 * GIB
#: The same with the CPU build (torch 2.13.0+cpu, transformers 5.23): bench/accuracy measured 232
#: MiB after the imports; 350 MiB fits its ten single-process and six gunicorn model cases.
RUNTIME_CPU = 350 * MIB
ACTIVATIONS_REF = 0.3 * GIB  # fp32, at batch 8 × sequence 512 (measured, facts)
ACTIVATIONS_REF_TOKENS = 8 * 512
#: Building or loading a model leaves memory behind beside its weights (init temporaries, the
#: allocator's free lists): bench/accuracy fits 0.2 × the weights (bf16: 442-521 MiB over the
#: weights for 238-775 MiB of weights; fp32: 519-940 MiB for 313-1550 MiB, bart-large varying
#: 2292-2490 MiB from run to run).
LOAD_OVERHEAD = 0.2
#: Private memory per forked worker with --preload: 106 MiB (PSS, roberta-base, 4 workers: facts
#: §Web workers); bench/accuracy: 111-155 MiB per added worker (1 → 4 workers, roberta-base, a
#: request each: how many pages copy-on-write copies depends on when the workers' GC runs).
WORKER_PRIVATE = 160 * MIB
IMPORT_SECONDS = 8.0  # importing torch + transformers: composegen's assumption
LOAD_BYTES_PER_SECOND = 200 * MIB  # reading weights from a warm cache: composegen's assumption


def weights(models: tuple[ModelFootprint, ...]) -> Quantity:
    parts = []
    for m in models:
        params = given(f"{m.name} params", m.params, "count", m.source)
        per = given(f"{m.dtype} bytes/param", m.bytes_per_param, "bytes", SRC)
        parts.append(times(f"{m.name} weights ({m.dtype})", params, per))
    return total("weights", parts, SRC)


def cpu_build(inputs: ServiceInputs) -> bool:
    """Whether the image says it carries the CPU build of torch: `cpu` a word of its name or tag."""
    return re.search(r"(^|[/:._-])cpu($|[/:._-])", (inputs.base.image or "").lower()) is not None


def runtime(inputs: ServiceInputs) -> Quantity:
    if cpu_build(inputs):
        return given("framework runtime (CPU build of torch)", RUNTIME_CPU, "bytes", f"{BENCH}; `cpu` in the image")
    return given(
        "framework runtime (CUDA build of torch)",
        RUNTIME,
        "bytes",
        f"{SRC}; the wheel pip installs on x86_64 (tag the image `cpu` for the CPU build's 350 MiB)",
    )


def generic_activations(inputs: ServiceInputs, widest: float) -> Quantity:
    """The model-agnostic constant, for a model of declared params whose shape is unknown."""
    ref = given("activations at 8 × 512 tokens (fp32)", ACTIVATIONS_REF, "bytes", SRC)
    scale = given(
        "tokens in flight ÷ 4096",
        inputs.spec.batch * inputs.spec.sequence_length / ACTIVATIONS_REF_TOKENS,
        "ratio",
        f"composegen.yaml: batch {inputs.spec.batch} × sequence_length {inputs.spec.sequence_length}",
    )
    width = given("bytes per value ÷ 4 (fp32)", widest / 4, "ratio", f"the widest model dtype; {BENCH}: bf16 halves it")
    tokens = times("activations at these tokens (fp32)", ref, scale, unit="bytes")
    return times("activations (shape unknown)", tokens, width, unit="bytes", source=SRC)


def activations(inputs: ServiceInputs) -> Quantity:
    """The largest one pass of any model (a worker runs one at a time): by its architecture where
    the catalog or its config.json gives it (sizing/activations.py), else the generic constant."""
    batch, seq = inputs.spec.batch, inputs.spec.sequence_length
    per_model = [
        by_arch.activations(m.arch, batch, seq, activation_width(m.bytes_per_param))
        if m.arch is not None
        else generic_activations(inputs, m.bytes_per_param)
        for m in inputs.models
    ]
    return largest("activations per worker", per_model, f"composegen.yaml: batch {batch} × sequence_length {seq}")


def activation_width(bytes_per_param: float) -> float:
    """Bytes per activation: the weights' dtype, at least 2 (int8/int4 weights compute in fp16)."""
    return max(bytes_per_param, 2.0)


def load_overhead(inputs: ServiceInputs, act: Quantity) -> Quantity:
    """What building the models holds beyond their weights and a pass: for a model of known shape,
    its build transient beyond the activations (freed before the first pass, so a process peaks at
    the larger); for one of declared params only, 0.2 × its weights."""
    parts = []
    for m in inputs.models:
        if m.arch is None:
            ratio = given("load overhead ratio (shape unknown)", LOAD_OVERHEAD, "ratio", BENCH)
            parts.append(times(f"{m.name} load overhead", weights((m,)), ratio, unit="bytes", source=BENCH))
            continue
        transient = by_arch.build_transient(m.arch, activation_width(m.bytes_per_param))
        parts.append(
            Quantity(
                f"{m.name} build transient beyond the activations",
                max(0.0, transient.value - act.value),
                "bytes",
                "max(0, build transient − activations per worker)",
                "",
                (transient, act),
            )
        )
    return largest("load overhead", parts, BENCH)


def serving_memory(inputs: ServiceInputs, workers: Quantity) -> Quantity:
    """One copy = runtime + weights + load overhead; with --preload it is shared copy-on-write and
    each worker adds its private memory and activations, else each worker holds a copy.

    The facts' load spike (0.25-0.38 × fp32 weights, RSS) is not counted: bench/accuracy saw
    loading an fp32 checkpoint map its file (page cache the kernel reclaims under a limit, 261 MiB
    of anonymous memory for bart-large) and converting one to bf16 peak at 1031 MiB anonymous,
    below building the same model (1219 MiB), which the load overhead covers."""
    w = weights(inputs.models)
    act = activations(inputs)
    copy = total("one copy of the models", (runtime(inputs), w, load_overhead(inputs, act)))
    n = int(workers.value)
    if preloaded(inputs):
        private = given("private memory per worker", WORKER_PRIVATE, "bytes", f"{FACTS_SIZING} §Web workers; {BENCH}")
        per_worker = total("per worker", (private, act))
        shared = copy.renamed("shared once (preload, copy-on-write)")
        return total(
            "working set",
            (shared, times("workers × per worker", workers, per_worker)),
            f"{FACTS_SIZING} §Web workers (copy-on-write)",
        )
    per_worker = total("per worker (no preload: each loads its own copy)", (copy, act))
    arbiter = given("gunicorn arbiter (without the app)", ARBITER, "bytes", BENCH)
    if n == 1 and not inputs.spec.workers and workers.source_kind != "base file":
        return per_worker.renamed("working set")
    return total("working set", (arbiter, times("workers × per worker", workers, per_worker)))


def load_time(inputs: ServiceInputs, profile: Profile, w: Quantity, workers: Quantity, cpus: Quantity) -> Quantity:
    if inputs.spec.startup is not None or profile.role(inputs.role).startup is not None:
        return startup_time(inputs, profile, 0.0, "")
    imports = given("import torch + transformers", IMPORT_SECONDS, "seconds", "composegen default, assumed", "assumed")
    rate = given(
        "load rate", LOAD_BYTES_PER_SECOND, "bytes", "composegen default, assumed (warm local cache)", "assumed"
    )
    read = Quantity("read weights", w.value / rate.value, "seconds", "weights ÷ load rate", "", (w, rate))
    if preloaded(inputs):
        return total("startup", (imports, read))
    contention = Quantity(
        "CPU contention",
        max(1, math.ceil(workers.value / max(cpus.value, 1))),
        "ratio",
        "ceil(workers ÷ cpus): workers load at once",
        "",
        (workers, cpus),
    )
    return total("startup", (imports, times("read weights × contention", read, contention, unit="seconds")))


def threads(cpus: Quantity, workers: Quantity) -> Quantity:
    value = max(1, math.floor(cpus.value / workers.value))
    return Quantity(
        "threads per worker",
        value,
        "count",
        f"floor({cpus.name} ÷ {workers.name}), at least 1",
        "one BLAS/OpenMP pool per worker must not oversubscribe the CPU limit",
        (cpus, workers),
    )


def size(inputs: ServiceInputs, profile: Profile) -> Sizing:
    if not inputs.models:
        from composegen.sizing import python_web  # a web service with no models declared

        return python_web.size(inputs, profile)
    cpus = baseline_cpus(inputs, profile, 2.0, "composegen default for ML inference, assumed")
    fallback = (
        profile_workers(inputs, cpus)
        if inputs.base.environment.get("WEB_CONCURRENCY")
        else given("workers", 1, "count", "composegen default: one worker per model copy", "default")
    )
    choice = worker_choice(inputs, cpus, fallback)
    workers = choice.quantity
    memory = declared_memory(inputs) or serving_memory(inputs, workers)
    t = threads(cpus, workers)
    env, base_notes, gunicorn_notes = gunicorn_environment(
        inputs, profile, choice, int(profile.ml.gunicorn_timeout), bool(inputs.spec.preload)
    )
    env += [
        EnvSetting("OMP_NUM_THREADS", str(int(t.value)), t),
        EnvSetting("MKL_NUM_THREADS", str(int(t.value)), t),
        EnvSetting("MALLOC_ARENA_MAX", "2", note=f"{FACTS_SIZING} §Web workers: cut peak memory 12 %"),
    ]
    volumes: tuple[tuple[str, str], ...] = ()
    if profile.ml.model_cache_volume:
        volumes = ((f"{inputs.name}-model-cache", profile.ml.cache_path),)
        env.append(EnvSetting("HF_HOME", profile.ml.cache_path, note="the model cache volume"))
    w = weights(inputs.models)
    return Sizing(
        memory=with_margin(memory, profile),
        startup=load_time(inputs, profile, w, workers, cpus),
        cpus=cpus,
        environment=tuple(env),
        volumes=volumes,
        extra={"workers": workers, "weights": w, "threads": t},
        notes=(
            *gunicorn_notes,
            "never set PYTHONOPTIMIZE=2 on ML services: it breaks `import transformers` (facts/sizing.md)",
        ),
        base_notes=base_notes,
    )
