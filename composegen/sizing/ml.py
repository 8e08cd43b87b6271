"""ML inference services: model weights, framework runtime, activations, load spike, workers.

Memory (facts/sizing.md §ML models, §Web workers):
- weights = Σ params × bytes per dtype (fp32 4, fp16/bf16 2, int8 1, int4 0.5)
- runtime = the fixed overhead of torch + transformers over the weights: 0.70-0.73 GiB measured
- activations per worker ≈ 0.3 GiB at sequence 512 × batch 8, scaled by batch × sequence
- load spike: loading bart-large peaks 0.38 GiB above steady state (0.25 × its fp32 weights);
  converting to bf16 peaks 0.57 GiB above (0.38 × the largest model's fp32 weights)
- with --preload the parent loads once and workers share it copy-on-write:
  1 × (runtime + weights) + N × (private + activations), private 106 MiB measured per worker;
  without it every worker pays runtime + weights + its own activations.
Checked against the measurements in the facts: four models in one fp32 worker: 3.60 GiB weights
+ 0.73 GiB runtime = 4.33 GiB measured; bf16: 1.80 + 0.73 = 2.53 GiB measured.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from composegen.sizing.common import FACTS_SIZING, baseline_cpus, declared_memory, startup_time, with_margin
from composegen.sizing.inputs import ModelFootprint, ServiceInputs
from composegen.sizing.python_web import worker_count
from composegen.sizing.quantity import Quantity, given, largest, times, total
from composegen.sizing.result import EnvSetting, Sizing
from composegen.units import GIB, MIB

if TYPE_CHECKING:
    from composegen.profiles.models import Profile

SRC = f"{FACTS_SIZING} §ML models"
RUNTIME = 0.73 * GIB  # torch + transformers over the weights, CPython 3.11 (measured, facts)
ACTIVATIONS_REF = 0.3 * GIB  # at batch 8 × sequence 512 (measured, facts)
ACTIVATIONS_REF_TOKENS = 8 * 512
SPIKE_FP32 = 0.25  # 0.38 GiB over bart-large's 1.51 GiB fp32 weights (measured, facts)
SPIKE_CONVERT = 0.38  # 0.57 GiB over 1.51 GiB while converting to bf16 (measured, facts)
WORKER_PRIVATE = 106 * MIB  # per forked worker with --preload (measured, facts §Web workers)
ARBITER = 13 * MIB  # the gunicorn arbiter without the app: a bare interpreter (facts)
IMPORT_SECONDS = 8.0  # importing torch + transformers: composegen's assumption
LOAD_BYTES_PER_SECOND = 200 * MIB  # reading weights from a warm cache: composegen's assumption


def weights(models: tuple[ModelFootprint, ...]) -> Quantity:
    parts = []
    for m in models:
        params = given(f"{m.name} params", m.params, "count", m.source)
        per = given(f"{m.dtype} bytes/param", m.bytes_per_param, "bytes", SRC)
        parts.append(times(f"{m.name} weights ({m.dtype})", params, per))
    return total("weights", parts, SRC)


def activations(inputs: ServiceInputs) -> Quantity:
    ref = given("activations at 8 × 512 tokens", ACTIVATIONS_REF, "bytes", SRC)
    scale = given(
        "tokens in flight ÷ 4096",
        inputs.spec.batch * inputs.spec.sequence_length / ACTIVATIONS_REF_TOKENS,
        "ratio",
        f"composegen.yaml: batch {inputs.spec.batch} × sequence_length {inputs.spec.sequence_length}",
    )
    return times("activations per worker", ref, scale, unit="bytes", source=SRC)


def load_spike(models: tuple[ModelFootprint, ...]) -> Quantity:
    biggest = max(models, key=lambda m: m.params)
    converting = any(m.dtype != "fp32" for m in models)
    fp32 = given(f"{biggest.name} fp32 weights", biggest.params * 4, "bytes", SRC)
    ratio = given(
        "load spike ratio (bf16 conversion)" if converting else "load spike ratio",
        SPIKE_CONVERT if converting else SPIKE_FP32,
        "ratio",
        SRC,
    )
    return times("load spike", fp32, ratio, unit="bytes", source=SRC)


def serving_memory(inputs: ServiceInputs, workers: Quantity) -> Quantity:
    models = inputs.models
    runtime = given("framework runtime", RUNTIME, "bytes", SRC)
    w = weights(models)
    act = activations(inputs)
    spike = load_spike(models)
    n = int(workers.value)
    if inputs.spec.preload:
        private = given("private memory per worker", WORKER_PRIVATE, "bytes", f"{FACTS_SIZING} §Web workers")
        per_worker = total("per worker", (private, act))
        shared = total("shared once (preload, copy-on-write)", (runtime, w))
        loading = total("while loading (parent, before fork)", (shared, spike))
        serving = total("while serving", (shared, times("workers × per worker", workers, per_worker)))
        return largest("working set", (loading, serving), f"{FACTS_SIZING} §Web workers (copy-on-write)")
    per_worker = total(
        "per worker (no preload: each loads its own copy)", (runtime, w, largest("peak extra", (act, spike)))
    )
    arbiter = given("gunicorn arbiter", ARBITER, "bytes", SRC)
    if n == 1 and not inputs.spec.workers:
        return per_worker.renamed("working set")
    return total("working set", (arbiter, times("workers × per worker", workers, per_worker)))


def load_time(inputs: ServiceInputs, profile: Profile, w: Quantity, workers: Quantity, cpus: Quantity) -> Quantity:
    if inputs.spec.startup is not None or profile.role(inputs.role).startup is not None:
        return startup_time(inputs, profile, 0.0, "")
    imports = given("import torch + transformers", IMPORT_SECONDS, "seconds", "composegen default, assumed")
    rate = given("load rate", LOAD_BYTES_PER_SECOND, "bytes", "composegen default, assumed (warm local cache)")
    read = Quantity("read weights", w.value / rate.value, "seconds", "weights ÷ load rate", "", (w, rate))
    if inputs.spec.preload:
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
    workers = (
        worker_count(inputs, cpus)
        if inputs.spec.workers or inputs.base.environment.get("WEB_CONCURRENCY")
        else given("workers", 1, "count", "composegen default: one worker per model copy")
    )
    memory = declared_memory(inputs) or serving_memory(inputs, workers)
    t = threads(cpus, workers)
    n = int(workers.value)
    args = [f"--workers={n}", f"--timeout={int(profile.ml.gunicorn_timeout)}"]
    if profile.ml.max_requests:
        args += [f"--max-requests={profile.ml.max_requests}", f"--max-requests-jitter={profile.ml.max_requests_jitter}"]
    if inputs.spec.preload:
        args.append("--preload")
    env = [
        EnvSetting("WEB_CONCURRENCY", str(n), workers),
        EnvSetting(
            "GUNICORN_CMD_ARGS", " ".join(args), workers, "gunicorn reads it; flags on the command line still win"
        ),
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
        notes=("never set PYTHONOPTIMIZE=2 on ML services: it breaks `import transformers` (facts/sizing.md)",),
    )
