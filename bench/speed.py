"""Time composegen beside its peers, whole process, median of N runs: `lint` and `render`.

    python bench/speed.py                          # everything below, 5 runs each
    python bench/speed.py --runs 3 --sizes 100 500 --no-render
    python bench/speed.py --update docs/benchmarks.md   # also rewrite that page's speed section

Lint inputs: a three-line compose file; synthetic files from ../shared/bench/gen_synth.py N (the
generator behind the reference timings in ../shared/facts/performance.md); every file of
../shared/corpus in one call. Peers, run the way they run on a compose file:
- compose-lint (PyPI, `pip install -e '.[bench]'`): `compose-lint check FILE...`
- check-jsonschema (PyPI, a test extra): `check-jsonschema --builtin-schema vendor.compose-spec FILE...`
- dclint (npm), when node and npm are present: installed once into ~/.cache/composegen-bench
  (`--no-dclint` leaves it out): `dclint FILE...`
Render: `composegen render` for every example (its own profile, written to a temporary file) and
for a 500-service synthetic stack (profile prod), and `composegen --help`. These have no peer:
the table gives seconds and peak memory.

Each tool runs as its console script from this interpreter's folder (a pyenv shim adds ~0.1 s
of bash to each run), once untimed to warm the page cache and write bytecode, then `--runs`
times, the tools taking turns (run 1 of each tool, then run 2 of each...) so that on a shared
machine a burst of other work slows all of them alike. Peak memory is the child's max RSS
(os.wait4). The targets (issues 3 and 7): composegen at most half the fastest peer's time on the
synthetic files and the corpus, and under 0.10 s on the trivial file.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
GEN_SYNTH = SHARED / "bench" / "gen_synth.py"
CORPUS = SHARED / "corpus"
EXAMPLES = REPO / "examples"
TRIVIAL = "services:\n  web:\n    image: nginx:1.27.1\n"
DCLINT = "dclint@3.1.0"
DCLINT_HOME = Path.home() / ".cache" / "composegen-bench" / "dclint"
TARGET_RATIO = 0.5
TARGET_TRIVIAL = 0.10
SECTION = "## Speed against peers"


@dataclass(frozen=True)
class Tool:
    name: str
    argv: tuple[str, ...]  # the command before the files

    def available(self) -> bool:
        return Path(self.argv[0]).is_file() or shutil.which(self.argv[0]) is not None


@dataclass(frozen=True)
class Timing:
    seconds: float  # median
    peak_mb: float  # median of the runs' max RSS
    code: int  # exit code of the last run


@dataclass(frozen=True)
class Job:
    """One thing to time: a label, the folder to run in, and the arguments after the tool's own."""

    label: str
    cwd: Path
    args: tuple[str, ...]


def script(name: str) -> str:
    """A console script beside this interpreter, else the name for PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else name


def dclint_tool(enabled: bool) -> Tool | None:
    """dclint from npm, installed into a cache folder on first use; None without node/npm."""
    if not enabled or shutil.which("node") is None or shutil.which("npm") is None:
        return None
    binary = DCLINT_HOME / "node_modules" / ".bin" / "dclint"
    if not binary.is_file():
        DCLINT_HOME.mkdir(parents=True, exist_ok=True)
        print(f"installing {DCLINT} into {DCLINT_HOME} (npm)", file=sys.stderr)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(DCLINT_HOME), DCLINT],
            check=False,
            stdout=subprocess.DEVNULL,
        )
    return Tool("dclint", (str(binary),)) if binary.is_file() else None


def lint_tools(with_dclint: bool) -> list[Tool]:
    found = [
        Tool("composegen", (script("composegen"), "lint")),
        Tool("compose-lint", (script("compose-lint"), "check")),
        Tool("check-jsonschema", (script("check-jsonschema"), "--builtin-schema", "vendor.compose-spec")),
    ]
    dclint = dclint_tool(with_dclint)
    return [*found, dclint] if dclint is not None else found


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure installed tools as they run: with bytecode
    env.pop("GITHUB_ACTIONS", None)
    env["NO_COLOR"] = "1"
    return env


def run_once(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, exit code) of one whole run."""
    start = time.perf_counter()
    child = subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss / 1024, child.returncode


def measure(tools: Sequence[Tool], job: Job, runs: int, env: dict[str, str]) -> dict[str, Timing]:
    """{tool: Timing}, the tools taking turns run by run."""
    for tool in tools:
        run_once([*tool.argv, *job.args], job.cwd, env)  # warm: page cache, bytecode
    seconds: dict[str, list[float]] = {tool.name: [] for tool in tools}
    peaks: dict[str, list[float]] = {tool.name: [] for tool in tools}
    codes: dict[str, int] = {}
    for _ in range(runs):
        for tool in tools:
            elapsed, peak, codes[tool.name] = run_once([*tool.argv, *job.args], job.cwd, env)
            seconds[tool.name].append(elapsed)
            peaks[tool.name].append(peak)
    return {
        name: Timing(statistics.median(seconds[name]), statistics.median(peaks[name]), codes.get(name, 0))
        for name in seconds
    }


def synthetic(folder: Path, size: int) -> Path:
    path = folder / f"synth-{size}" / "docker-compose.yml"
    path.parent.mkdir(exist_ok=True)
    text = subprocess.run([sys.executable, str(GEN_SYNTH), str(size)], check=True, capture_output=True, text=True)
    path.write_text(text.stdout)
    return path


def lint_jobs(folder: Path, sizes: Sequence[int]) -> list[Job]:
    (folder / "trivial.yml").write_text(TRIVIAL)
    jobs = [Job("trivial file", folder, ("trivial.yml",))]
    for size in sizes:
        path = synthetic(folder, size)
        jobs.append(Job(f"{size} services", path.parent, (path.name,)))
    corpus = tuple(sorted(p.name for p in CORPUS.glob("*.yml")))
    if corpus:
        jobs.append(Job(f"corpus ({len(corpus)} files, one call)", CORPUS, corpus))
    return jobs


def render_jobs(folder: Path) -> list[Job]:
    """`render` of every example with its own profile (named by its golden overlay), and of 500 services."""
    out = str(folder / "overlay.yml")
    jobs = [Job("help", folder, ("--help",))]
    for example in sorted(EXAMPLES.iterdir()):
        golden = sorted(example.glob("docker-compose.*.yml"))
        if (example / "composegen.yaml").is_file() and golden:
            profile = golden[0].name.removeprefix("docker-compose.").removesuffix(".yml")
            jobs.append(Job(f"examples/{example.name}", example, ("render", "--profile", profile, "-o", out)))
    big = synthetic(folder, 500)
    jobs.append(Job("500 synthetic services", big.parent, ("render", "--profile", "prod", "-o", out)))
    return jobs


def cell(timing: Timing) -> str:
    return f"{timing.seconds:.3f}" + ("" if timing.code in (0, 1) else f" (exit {timing.code})")


def lint_table(tools: Sequence[Tool], jobs: Sequence[Job], runs: int, env: dict[str, str]) -> tuple[list[str], bool]:
    """The markdown lines of the lint table, and whether every target was met."""
    header = ["input", *(f"{t.name} (s)" for t in tools), "composegen peak (MB)", "composegen / fastest peer"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    met = True
    for job in jobs:
        timings = measure(tools, job, runs, env)
        own = timings["composegen"]
        peers = {k: v.seconds for k, v in timings.items() if k != "composegen"}
        ratio_text = ""
        if peers:
            fastest = min(peers, key=lambda k: peers[k])
            ratio = own.seconds / peers[fastest]
            ratio_text = f"{ratio:.2f} × {fastest}"
            if job.label != "trivial file":
                met = met and ratio <= TARGET_RATIO
        if job.label == "trivial file":
            met = met and own.seconds < TARGET_TRIVIAL
        cells = [job.label, *(cell(timings[t.name]) for t in tools), f"{own.peak_mb:.0f}", ratio_text]
        lines.append("| " + " | ".join(cells) + " |")
        print(f"  {job.label}: " + ", ".join(f"{k} {v.seconds:.3f} s" for k, v in timings.items()), file=sys.stderr)
    return lines, met


def render_table(jobs: Sequence[Job], runs: int, env: dict[str, str]) -> list[str]:
    composegen = Tool("composegen", (script("composegen"),))
    lines = ["| run | command | seconds | peak memory (MB) |", "|---|---|---|---|"]
    for job in jobs:
        timing = measure([composegen], job, runs, env)["composegen"]
        command = " ".join(job.args[:3])
        lines.append(f"| {job.label} | `composegen {command}` | {cell(timing)} | {timing.peak_mb:.0f} |")
        print(f"  {job.label}: {timing.seconds:.3f} s, {timing.peak_mb:.0f} MB", file=sys.stderr)
    return lines


def versions(tools: Sequence[Tool]) -> str:
    found = []
    for tool in tools:
        done = subprocess.run([tool.argv[0], "--version"], capture_output=True, text=True, check=False)
        words = (done.stdout or done.stderr).split()
        version = next((w.strip(",") for w in words if re.match(r"v?\d+\.\d+", w)), "?")
        found.append(f"{tool.name} {version}")
    return ", ".join(found)


def update_page(page: Path, body: str) -> None:
    """Replace the speed section of `page` (from its heading to the next `## `) with `body`."""
    text = page.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    rest = text[end:] if end != -1 else "\n"
    page.write_text(text[:start] + SECTION + "\n\n" + body.rstrip("\n") + "\n" + rest, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="*", default=[100, 500, 2000])
    parser.add_argument("--no-render", action="store_true", help="time lint only")
    parser.add_argument("--no-dclint", action="store_true", help="leave dclint (npm) out")
    parser.add_argument("--update", type=Path, help="rewrite the '## Speed against peers' section of this page")
    args = parser.parse_args(argv)
    env = environment()
    every = lint_tools(not args.no_dclint)
    tools = [t for t in every if t.available()]
    missing = [t.name for t in every if not t.available()]
    if missing:
        print(f"not installed, left out: {', '.join(missing)} (pip install -e '.[test,bench]')", file=sys.stderr)
    load = os.getloadavg()
    out = [
        f"`python bench/speed.py --runs {args.runs}`: median of {args.runs} runs, whole process, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {load[0]:.1f} at the start; "
        f"{versions(tools)}.",
        "",
        "### lint",
        "",
    ]
    with tempfile.TemporaryDirectory(prefix="speed-") as tmp:
        lines, met = lint_table(tools, lint_jobs(Path(tmp), args.sizes), args.runs, env)
        out += [*lines, ""]
        out.append(
            f"Targets: at most {TARGET_RATIO} × the fastest peer on the synthetic files and the corpus, "
            f"under {TARGET_TRIVIAL:.2f} s on the trivial file: {'met' if met else 'NOT met'}."
        )
        if not args.no_render:
            out += ["", "### render (and --help)", "", *render_table(render_jobs(Path(tmp)), args.runs, env)]
    body = "\n".join(out) + "\n"
    print(body)
    if args.update is not None:
        update_page(args.update, body)
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
