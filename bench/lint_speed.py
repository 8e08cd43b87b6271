"""Time `composegen lint` beside compose-lint and check-jsonschema, whole process, median of N runs.

    python bench/lint_speed.py                 # trivial file, 100/500/2000 services, the corpus
    python bench/lint_speed.py --runs 3 --sizes 100 500

Inputs: a three-line compose file; synthetic files from ../shared/bench/gen_synth.py N (the
generator behind the reference timings in ../shared/facts/performance.md); every file of
../shared/corpus in one call. Each tool runs as its console script from this interpreter's
folder (not through a pyenv shim), once untimed to warm the page cache and write bytecode, then
`--runs` times, the tools taking turns (run 1 of each tool, then run 2 of each...) so that on a
shared machine a burst of other work slows all of them alike. Peers run the way they run on a
compose file:
- compose-lint: `compose-lint check FILE...`
- check-jsonschema: `check-jsonschema --builtin-schema vendor.compose-spec FILE...`
Prints a markdown table: seconds per tool and input, and composegen's time as a share of the
fastest peer's (the target of issue 3: at most 0.5, and a trivial file under 0.10 s).
"""

from __future__ import annotations

import argparse
import os
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
TRIVIAL = "services:\n  web:\n    image: nginx:1.27.1\n"


@dataclass(frozen=True)
class Tool:
    name: str
    argv: tuple[str, ...]  # the command before the files

    def available(self) -> bool:
        return Path(self.argv[0]).is_file() or shutil.which(self.argv[0]) is not None


def script(name: str) -> str:
    """A console script beside this interpreter (a pyenv shim adds ~0.1 s of bash to each run)."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else name


def tools() -> list[Tool]:
    return [
        Tool("composegen", (script("composegen"), "lint")),
        Tool("compose-lint", (script("compose-lint"), "check")),
        Tool("check-jsonschema", (script("check-jsonschema"), "--builtin-schema", "vendor.compose-spec")),
    ]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure installed tools as they run: with bytecode
    env.pop("GITHUB_ACTIONS", None)
    env["NO_COLOR"] = "1"
    return env


def run_once(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(list(argv), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, done.returncode


def measure(
    tools: Sequence[Tool], files: Sequence[str], cwd: Path, runs: int, env: dict[str, str]
) -> dict[str, tuple[float, int]]:
    """{tool: (median seconds, exit code)}, the tools taking turns run by run."""
    for tool in tools:
        run_once([*tool.argv, *files], cwd, env)  # warm: page cache, bytecode
    times: dict[str, list[float]] = {tool.name: [] for tool in tools}
    codes: dict[str, int] = {}
    for _ in range(runs):
        for tool in tools:
            elapsed, codes[tool.name] = run_once([*tool.argv, *files], cwd, env)
            times[tool.name].append(elapsed)
    return {name: (statistics.median(found), codes.get(name, 0)) for name, found in times.items()}


def inputs(folder: Path, sizes: Sequence[int]) -> list[tuple[str, Path, list[str]]]:
    """(label, folder to run in, files) for each input."""
    (folder / "trivial.yml").write_text(TRIVIAL)
    found: list[tuple[str, Path, list[str]]] = [("trivial file", folder, ["trivial.yml"])]
    for size in sizes:
        name = f"synth-{size}.yml"
        text = subprocess.run([sys.executable, str(GEN_SYNTH), str(size)], check=True, capture_output=True, text=True)
        (folder / name).write_text(text.stdout)
        found.append((f"{size} services", folder, [name]))
    corpus = sorted(p.name for p in CORPUS.glob("*.yml"))
    if corpus:
        found.append((f"corpus ({len(corpus)} files, one call)", CORPUS, corpus))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="*", default=[100, 500, 2000])
    args = parser.parse_args(argv)
    env = environment()
    chosen = [t for t in tools() if t.available()]
    missing = [t.name for t in tools() if not t.available()]
    if missing:
        print(f"not installed, skipped: {', '.join(missing)} (pip install compose-lint check-jsonschema)")
    rows: list[list[str]] = []
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="lint-speed-") as tmp:
        for label, cwd, files in inputs(Path(tmp), args.sizes):
            timings: dict[str, float] = {}
            cells = [label]
            measured = measure(chosen, files, cwd, args.runs, env)
            for tool in chosen:
                seconds, code = measured[tool.name]
                timings[tool.name] = seconds
                cells.append(f"{seconds:.3f}" + ("" if code in (0, 1) else f" (exit {code})"))
            peers = {k: v for k, v in timings.items() if k != "composegen"}
            if "composegen" in timings and peers:
                fastest = min(peers, key=lambda k: peers[k])
                ratio = timings["composegen"] / peers[fastest]
                worst = max(worst, ratio)
                cells.append(f"{ratio:.2f} × {fastest}")
            else:
                cells.append("")
            rows.append(cells)
            print(f"  {label}: " + ", ".join(f"{k} {v:.3f} s" for k, v in timings.items()), file=sys.stderr)
    header = ["input", *(f"{t.name} (s)" for t in chosen), "composegen / fastest peer"]
    print(f"median of {args.runs} runs, whole process, Python {sys.version.split()[0]}, {os.cpu_count()} cores\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for cells in rows:
        print("| " + " | ".join(cells) + " |")
    print(f"\nworst ratio: {worst:.2f} (target: at most 0.50)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
