"""Sizing accuracy: run real workloads on this machine, measure their peak memory the way the kernel
charges a container, and compare with composegen's estimate for the same inputs (issue 7).

    .venv/bin/python bench/accuracy/run.py                 # every case (20-25 minutes on 2 shared cores)
    .venv/bin/python bench/accuracy/run.py --quick         # a smoke run: small batches, fewer cases (~8 min)
    .venv/bin/python bench/accuracy/run.py --only gunicorn # cases whose name contains a word
    .venv/bin/python bench/accuracy/run.py --no-engine     # skip the replays on the Docker Engine
    .venv/bin/python bench/accuracy/run.py --only arch --no-engine --no-docs   # decoders and seq2seq
    .venv/bin/python bench/accuracy/run.py --grid full ...  # their grid up to batch 8 × seq 512

Needs the accuracy extra (`pip install -e '.[accuracy]'`: the CPU build of torch 2.13.0,
transformers, gunicorn, flask) and root for the memory cgroups (without them the summed PSS of the
process tree is used). The engine cases need DOCKER_HOST (`export DOCKER_HOST=$(scripts/engine
host)`) and the image composegen-smoke:local. The table is printed, written to
bench/accuracy/results.md (--results) and into the "Sizing accuracy" section of docs/benchmarks.md
(unless --no-docs).

Target: estimate ÷ measured in [1.0, 1.3] for every case; for the engine replays, no OOM kill
under the limits `composegen calibrate` recommended.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from bench.accuracy.estimate import Estimate, estimate  # noqa: E402
from bench.accuracy.measure import Peak, run_measured  # noqa: E402
from bench.accuracy.table import Row, markdown, replace_section, summary  # noqa: E402

PYTHON = sys.executable
WORKLOADS = HERE / "workloads"
FOUR = "bart-large,roberta-base,roberta-large,distilroberta"
#: Decoders and seq2seq models by architecture (issue 15): the activation constants were fitted on
#: FITTED (and the four encoders above); HELD_OUT are families and sizes they were not fitted to.
FITTED = ("gpt2", "SmolLM2-135M")
HELD_OUT = ("distilgpt2", "opt-125m", "qwen2.5-0.5b", "t5-small", "bart-base")
#: batch × sequence grids: the small one (a few minutes on 2 shared cores) and the full one.
GRIDS = {"small": ((1, 128), (4, 256)), "full": ((1, 128), (4, 256), (8, 512))}
DOCS = ROOT / "docs" / "benchmarks.md"
DOCS_START = "## Sizing accuracy"
#: Environment the plan sets that the workload here should run with (the rest is container-only).
APPLIED_ENV = ("MALLOC_ARENA_MAX", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "GUNICORN_CMD_ARGS", "WEB_CONCURRENCY")


@dataclass(frozen=True)
class Case:
    name: str
    inputs: str
    profile: str
    service: Mapping[str, Any]  # composegen.yaml services.app
    compose: Mapping[str, Any]  # docker-compose.yml services.app (role detection only)
    run: Callable[[Mapping[str, str]], Peak]  # the workload, given the environment the plan sets
    tags: tuple[str, ...] = field(default=())


def plan_env(est: Estimate) -> dict[str, str]:
    env = dict(os.environ)
    env.update({k: v for k, v in est.environment.items() if k in APPLIED_ENV})
    return env


# --- transformer models in one process --------------------------------------------------------


def model_case(models: str, dtype: str, batch: int, seq: int, grid: bool = False) -> Case:
    refs = [{"name": m, "dtype": dtype} for m in models.split(",")]
    label = "4 models" if models == FOUR else models

    def run(env: Mapping[str, str]) -> Peak:
        argv = [PYTHON, str(WORKLOADS / "model_pass.py"), "--models", models, "--dtype", dtype]
        return run_measured([*argv, "--batch", str(batch), "--seq", str(seq)], env=env)

    return Case(
        name=f"arch {label} {dtype} b{batch}×s{seq}" if grid else f"model {label} {dtype}",
        inputs=f"1 process, batch {batch} × seq {seq}",
        profile="ml",
        service={"role": "ml-inference", "cpus": 2, "batch": batch, "sequence_length": seq, "models": refs},
        compose={"image": "inference:cpu", "command": ["python", "serve.py"]},
        run=run,
        tags=("model",),
    )


# --- gunicorn serving a model, and a web service without one ----------------------------------


def request_pid(path: str, timeout: float) -> int | None:
    """GET / over the unix socket; the worker's pid, or None while gunicorn is not answering."""

    class Connection(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(path)

    try:
        conn = Connection("localhost", timeout=timeout)
        conn.request("GET", "/")
        body = conn.getresponse().read()
        conn.close()
    except OSError:
        return None
    text = body.decode(errors="replace")
    digits = "".join(c for c in text.split(",")[-1] if c.isdigit()) if text.startswith("{") else text
    return int(digits) if digits.isdigit() else None


@dataclass
class Driver:
    """Wait until gunicorn answers, send requests until every worker has served one, then stop it."""

    path: str
    workers: int
    ready_timeout: float = 600.0
    answer_timeout: float = 120.0  # once it answers: how long to try until every worker has served a request
    seen: set[int] = field(default_factory=set)

    def __call__(self, proc: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + self.ready_timeout
        try:
            while not Path(self.path).exists() and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.2)
            deadline = min(deadline, time.monotonic() + self.answer_timeout)
            while len(self.seen) < self.workers and time.monotonic() < deadline and proc.poll() is None:
                results: list[int | None] = []

                def one(found: list[int | None] = results) -> None:
                    found.append(request_pid(self.path, 300.0))

                threads = [threading.Thread(target=one) for _ in range(self.workers)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                self.seen.update(pid for pid in results if pid)
                time.sleep(0.1)  # a worker still booting takes no request yet
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)


def gunicorn_case(
    name: str,
    inputs: str,
    service: Mapping[str, Any],
    app: str,
    app_env: Mapping[str, str],
    *,
    chdir: Path = WORKLOADS,
    setup: Callable[[Path, Mapping[str, str]], None] | None = None,
    compose: Mapping[str, Any] | None = None,
) -> Case:
    """gunicorn serving `app` from `chdir`; `setup` prepares the temporary folder (outside the
    measured cgroup) with the environment the app runs with."""
    workers = int(service.get("workers", 1))

    def run(env: Mapping[str, str]) -> Peak:
        with tempfile.TemporaryDirectory(prefix="composegen-accuracy-") as folder:
            driver = Driver(f"{folder}/gunicorn.sock", workers)
            app_environment = {k: v.replace("{folder}", folder) for k, v in app_env.items()}
            if setup is not None:
                setup(Path(folder), {**env, **app_environment})
            argv = [PYTHON, "-m", "gunicorn", "--bind", f"unix:{driver.path}", "--chdir", str(chdir), app]
            peak = run_measured(argv, env={**env, **app_environment}, during=driver)
            if len(driver.seen) < workers:
                raise RuntimeError(f"{name}: {len(driver.seen)} of {workers} workers answered:\n{peak.output}")
            return peak

    role = "ml-inference" if "models" in service else "python-web"
    return Case(
        name=name,
        inputs=inputs,
        profile="ml" if role == "ml-inference" else "prod",
        service={"role": role, **service},
        compose=compose or {"image": "web:cpu", "command": ["gunicorn", app]},
        run=run,
        tags=("gunicorn",),
    )


def served_model_case(model: str, dtype: str, workers: int, preload: bool, batch: int, seq: int) -> Case:
    service = {
        "cpus": 2,
        "workers": workers,
        "preload": preload,
        "batch": batch,
        "sequence_length": seq,
        "models": [{"name": model, "dtype": dtype}],
    }
    app_env = {
        "ACCURACY_MODELS": model,
        "ACCURACY_DTYPE": dtype,
        "ACCURACY_BATCH": str(batch),
        "ACCURACY_SEQ": str(seq),
    }
    name = f"gunicorn {model} {workers}w" + (" preload" if preload else "")
    inputs = f"{dtype}, {workers} worker{'s' if workers > 1 else ''}, batch {batch} × seq {seq}, a request per worker"
    return gunicorn_case(name, inputs, service, "model_app:app", app_env)


def web_case(workers: int) -> Case:
    inputs = f"flask JSON app, {workers} worker{'s' if workers > 1 else ''}, a request per worker"
    compose = {"image": "web:latest", "command": ["gunicorn", "web_app:app"], "environment": {"FLASK_APP": "web_app"}}
    return gunicorn_case(f"web {workers}w", inputs, {"cpus": 2, "workers": workers}, "web_app:app", {}, compose=compose)


DJANGO_SITE = WORKLOADS / "django_site"


def migrate(folder: Path, env: Mapping[str, str]) -> None:
    """The Django case's SQLite database: its tables and 200 products (not measured)."""
    argv = [PYTHON, "-m", "django", "migrate", "--verbosity", "0"]
    subprocess.run(argv, env={**env, "PYTHONPATH": str(DJANGO_SITE)}, cwd=DJANGO_SITE, check=True, timeout=300)


def django_case(workers: int, preload: bool) -> Case:
    """A small but real Django project (workloads/django_site: the contrib apps, the ORM on SQLite,
    templates) served by gunicorn; each worker answers a page that queries and renders 50 products."""
    plural = "s" if workers > 1 else ""
    inputs = f"django ORM + template page, {workers} worker{plural}, a request per worker"
    service = {"cpus": 2, "workers": workers, "preload": preload}
    app_env = {"DJANGO_SETTINGS_MODULE": "shop.settings", "ACCURACY_DJANGO_DB": "{folder}/db.sqlite3"}
    compose = {
        "image": "shop-web:latest",
        "command": ["gunicorn", "shop.wsgi:application"],
        "environment": {"DJANGO_SETTINGS_MODULE": "shop.settings"},
    }
    name = f"django {workers}w" + (" preload" if preload else "")
    return gunicorn_case(
        name, inputs, service, "shop.wsgi:application", app_env, chdir=DJANGO_SITE, setup=migrate, compose=compose
    )


def runserver_case() -> Case:
    """The same project under Django's development server, as examples/dev runs it: one process
    serving with threads, and the autoreloader's parent process, which imports the project too."""

    def run(env: Mapping[str, str]) -> Peak:
        with tempfile.TemporaryDirectory(prefix="composegen-accuracy-") as folder:
            app_env = {
                "DJANGO_SETTINGS_MODULE": "shop.settings",
                "ACCURACY_DJANGO_DB": f"{folder}/db.sqlite3",
                "PYTHONPATH": str(DJANGO_SITE),
            }
            migrate(Path(folder), {**env, **app_env})
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            answered: list[bytes] = []

            def during(proc: subprocess.Popen[bytes]) -> None:
                deadline = time.monotonic() + 300
                try:
                    while not answered and time.monotonic() < deadline and proc.poll() is None:
                        try:
                            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=60) as page:
                                answered.append(page.read())
                        except OSError:
                            time.sleep(0.2)
                finally:
                    if proc.poll() is None:
                        proc.send_signal(signal.SIGTERM)

            argv = [PYTHON, "-m", "django", "runserver", f"127.0.0.1:{port}"]
            peak = run_measured(argv, env={**env, **app_env}, cwd=DJANGO_SITE, during=during)
            if not answered:
                raise RuntimeError(f"django runserver did not answer:\n{peak.output}")
            return peak

    return Case(
        name="django runserver",
        inputs="django ORM + template page, the development server with its autoreloader, a request",
        profile="dev",
        service={"role": "python-web", "cpus": 2},
        compose={
            "image": "shop-web:dev",
            "command": ["python", "manage.py", "runserver", "0.0.0.0:8000"],
            "environment": {"DJANGO_SETTINGS_MODULE": "shop.settings"},
        },
        run=run,
        tags=("django",),
    )


# --- pytest collecting and running a generated suite ------------------------------------------


def pytest_case(tests: int) -> Case:
    def run(env: Mapping[str, str]) -> Peak:
        sys.path.insert(0, str(WORKLOADS))
        from gen_suite import write_suite

        with tempfile.TemporaryDirectory(prefix="composegen-accuracy-") as folder:
            suite = Path(folder)
            write_suite(suite, tests)
            argv = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(suite), str(suite)]
            return run_measured(argv, env=env, cwd=suite)

    return Case(
        name=f"pytest {tests:,} tests",
        inputs="collect and run, one process",
        profile="pytest",
        service={"role": "pytest", "tests": tests},
        compose={"image": "tests:latest", "command": ["pytest"]},
        run=run,
        tags=("pytest",),
    )


def arch_cases(grid: str) -> list[Case]:
    """Decoders and seq2seq models (and the fitted ones) over a batch × sequence grid, fp32 and bf16."""
    return [
        model_case(model, dtype, batch, seq, grid=True)
        for model in (*FITTED, *HELD_OUT)
        for dtype in ("fp32", "bf16")
        for batch, seq in GRIDS[grid]
    ]


def cases(quick: bool, grid: str = "small") -> list[Case]:
    batch, seq = (2, 128) if quick else (8, 512)
    found: list[Case] = arch_cases(grid)
    model_sets = (
        ("distilroberta", FOUR) if quick else ("bart-large", "roberta-base", "roberta-large", "distilroberta", FOUR)
    )
    for models in model_sets:
        for dtype in ("fp32", "bf16"):
            found.append(model_case(models, dtype, batch, seq))
    serve_batch, serve_seq = (1, 64) if quick else (4, 256)
    for workers in (1, 2, 4):
        for preload in (False, True):
            found.append(served_model_case("roberta-base", "fp32", workers, preload, serve_batch, serve_seq))
    found += [web_case(w) for w in (1, 4)]
    found += [django_case(w, preload) for w in (1, 2, 4) for preload in (False, True)]
    found.append(runserver_case())
    found += [pytest_case(n) for n in (1_000, 10_000)]
    return found


#: What the workloads import: read once, before the first case, by `warm_page_cache`.
WARM_IMPORTS = "import torch, transformers, gunicorn, flask, django, pytest"


def warm_page_cache() -> None:
    """Read the workloads' libraries (torch's alone is hundreds of MiB) into the page cache, in
    this process's cgroup, before the first case. cgroup v1 charges a clean page to the cgroup
    that reads it first: without this, whichever case runs first is charged every library page
    it reads, the later ones none (bart-large fp32 measured 2526-2566 MiB first, 2272 MiB
    after). Those pages are reclaimable: under a limit the kernel drops them before it kills (see
    the notes: bart-large fp32 from a cold cache runs to the end under its 2517 MiB estimate).
    Warm, every case is measured alike, as a container is on a host where its image has run."""
    subprocess.run([PYTHON, "-c", WARM_IMPORTS], check=False, capture_output=True, timeout=300)


def run_case(case: Case) -> Row:
    est = estimate(case.profile, case.service, case.compose)
    peak = case.run(plan_env(est))
    if peak.returncode not in (0, -signal.SIGTERM):
        raise RuntimeError(f"{case.name}: the workload exited {peak.returncode}:\n{peak.output}")
    return Row(case.name, case.inputs, est.working_set, peak.bytes, est.limit, peak.method)


NOTES = """\
How each case is planned: a composegen.yaml with one service, `role` and the inputs in the table
(ml-inference: its models and dtype, `batch`, `sequence_length`, `cpus: 2`, `workers` and
`preload` for gunicorn, under the ml profile, with an image tagged `cpu` so the CPU build's runtime
applies; python-web: `workers` under prod; pytest: `tests` under pytest). The workload runs with the
environment the plan writes (`GUNICORN_CMD_ARGS`, `OMP_NUM_THREADS`, `MALLOC_ARENA_MAX`, ...).

The libraries' page cache: cgroup v1 charges a clean page to the cgroup that reads it first, so
before this bench read the workloads' libraries first (`warm_page_cache`), its first case,
bart-large fp32, was charged every page of torch it read: 2526 MiB (1.00) in the full run and
2566 MiB (0.98) alone, against 2272 MiB (pss, 1.11) with the libraries already in the cache.
Those pages are clean and the kernel reclaims them before it kills: from a cold cache
(`echo 3 > /proc/sys/vm/drop_caches`), in a memory cgroup limited to the 2517 MiB estimate
(`memory.limit_in_bytes`, no swap on this machine), `workloads/model_pass.py --models bart-large
--dtype fp32 --batch 8 --seq 512` ran to its end: the cgroup reached its limit, reclaimed 27,828
times, and killed nothing (`oom_kill 0`), still holding 366 MiB of cache at the end.

Peaks move from run to run: bart-large fp32 peaked at 2292-2490 MiB in earlier runs, gunicorn with 4 preloaded
workers at 1528-1730 MiB (how many pages copy-on-write copies depends on when the workers' garbage
collector runs), the flask service with 4 workers at 91-105 MiB, the Django project with 4
preloaded workers at 138-169 MiB; the constants leave room for that (docs/sizing.md §Measured).

The Django rows (workloads/django_site: the contrib apps, the ORM on SQLite, a template page, as
the bundled examples/dev runs it) are sized with 38 MiB per worker, the flask rows with 22 MiB:
python-web's memory per worker follows the framework it detects (docs/sizing.md); with one 20 MiB
figure for every framework the Django rows were at 0.55-0.78.

The engine rows: calibrate reads each container's memory high-water mark beside its samples
(`memory_stats.max_usage` on cgroup v1, `memory.peak` from the cgroup fs on v2) and carries the
OOM kills of earlier runs into the file it writes. `shapes/spike` writes 200 MiB into its tmpfs in
well under a second and exits, taking its cgroup and its mark with it before a sample can see them:
rounds 1 and 2 saw it OOM-killed (at 64M, then at the 176M the first kill's bump gave it), round 3
fit under 288M and saw 4 MiB, and the recommendation kept the OOM bump of the 176M kill, which
that round's peak does not explain: 288M, where the replay peaked at 202 MiB without a kill (the
replay reads the cgroup fs every 5 ms to see that peak; the 1.43 is the OOM bump, 176 + 100 MiB
rounded up, where no sample could tell more). `watch/grower` was killed at 64M too, but round 2 measured
its whole 82 MiB: the peak explains that kill, and it is sized from the peak. `watch/runaway` grows
without end (calibrate reports the leak): it fits only for as long as the replay lasts.

`--quick` (batch 2 × seq 128, fewer cases) is a smoke run, not this table (before the warm-up, its
first case, distilroberta fp32, was charged the libraries' pages too: 965 MiB, 0.77).
"""


def docs_section(table: str, line: str, command: str) -> str:
    return (
        f"{DOCS_START}\n\n"
        "Each case runs the real workload on this machine (2 cores, CPU build of torch 2.13.0,\n"
        "transformers 5.23, Django 5.2, CPython 3.11) in a memory cgroup of its own and takes its peak\n"
        "(`memory.max_usage_in_bytes` on cgroup v1, `memory.peak` on v2; the summed PSS of the process\n"
        "tree where that is larger, as when another cgroup holds the shared library pages). The estimate\n"
        "is the working set composegen plans for the same inputs, before the profile's margin; the limit\n"
        "written adds the margin. Target: estimate ÷ measured in [1.0, 1.3]. The engine rows replay the\n"
        "busybox workloads under the limits `composegen calibrate` recommended: the target is no OOM kill.\n\n"
        f"Reproduce: `{command}`\n\n{table}\n{line}\n\n{NOTES}"
    )


def write_docs(section: str, path: Path = DOCS) -> None:
    """Replace the Sizing accuracy section (up to the next `## `) of docs/benchmarks.md."""
    path.write_text(replace_section(path.read_text(encoding="utf-8"), DOCS_START, section), encoding="utf-8")


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small batches and fewer model cases")
    parser.add_argument("--only", action="append", default=[], help="run cases whose name contains this (repeatable)")
    parser.add_argument("--no-engine", action="store_true", help="skip the replays on the Docker Engine")
    parser.add_argument("--grid", choices=tuple(GRIDS), default="small", help="batch × sequence grid of the arch cases")
    parser.add_argument("--results", type=Path, default=HERE / "results.md", help="the markdown file to write")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    warm_page_cache()
    for case in cases(args.quick, args.grid):
        if args.only and not any(word in case.name for word in args.only):
            continue
        started = time.monotonic()
        row = run_case(case)
        rows.append(row)
        print(f"{case.name}: {row.ratio:.2f} ({row.verdict}) in {time.monotonic() - started:.0f} s", flush=True)
    if not args.no_engine and (not args.only or any("engine" in w for w in args.only)):
        from bench.accuracy.engine_replay import replay_rows

        rows += replay_rows(quick=args.quick, log=lambda s: print(s, flush=True))
    table, line = markdown(rows), summary(rows)
    print("\n" + table + "\n" + line)
    command = "python bench/accuracy/run.py " + " ".join(argv) if argv else "python bench/accuracy/run.py"
    args.results.write_text(docs_section(table, line, command.strip()).replace(DOCS_START, "# Sizing accuracy", 1))
    if not args.no_docs:
        write_docs(docs_section(table, line, command.strip()))
    return 0 if all(r.verdict == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
