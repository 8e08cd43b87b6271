"""Time composegen on hostile shapes of input at growing sizes: is every input linear?

    python bench/hostile.py                        # every shape, at 1/4, 1/2 and 1 of 1 MB
    python bench/hostile.py --shapes ports-range command-letters --timeout 30
    python bench/hostile.py --sizes 0.1 0.2 0.4    # fractions of the 1 MB cap
    python bench/hostile.py --sizes 1 --repeat 3   # the least of 3 runs each (a shared host)

Each shape is a compose file (for port ranges, a range's width) made at each size in a temporary
project folder; `composegen lint` (also `--format sarif` and `--diff`, which plan every fix) and
`composegen render --profile prod` run on it as whole processes (the console script beside this
interpreter), once each (`--repeat N`: N times, the least kept: on a shared host one run of the
same command moved by 40 %); `--commands render-swarm export-k8s explain explain-json` times those too.
The table gives the CPU seconds of each run, user and system (the machine may be shared: a wall
clock would time the neighbours too). The targets (issue 12): at most 2 s for any input of at most
1 MB, and time in proportion to size. Proportion is judged on the time beyond a trivial file's
(Python's start-up and imports), per unit of size: the largest size's over the smallest's. Linear
work gives about 1, quadratic work the ratio of the sizes (4 for 1/4 against 1). A shape whose
extra time stays under `FLAT_SECONDS` at every size is "flat": too little work to judge, and no
risk either.

A run past `--timeout` is stopped and shown as `>TIMEOUT`; a run that exits other than 0 or 1
shows its exit code (exit 2 is composegen refusing the input: a bound, not a slowness).

A command that refuses a shape at its largest size (render's 12,000 services, the Swarm stack
file's 8 MiB) does the most work just below that bound, not at 1 MB: `--at-cap` also times, for
each such row, the largest size the command accepts (found by halving the gap between the
largest accepted and the smallest refused size to within `CAP_PRECISION`), in a column of its own
that the 2 s target covers too.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

CAP_BYTES = 1_000_000
TARGET_SECONDS = 2.0
#: How close `--at-cap` comes to the bound: the gap between the largest size accepted and the
#: smallest refused, as a share of the refused one.
CAP_PRECISION = 0.0025
#: Extra time (beyond a trivial file's) under which a shape's growth is not judged.
FLAT_SECONDS = 0.05
#: The largest size's time per unit over the smallest's, above which the shape is not linear.
MAX_GROWTH = 2.0
MAX_PORT = 65535
TRIVIAL = "services:\n  web:\n    image: nginx:1.27.1\n"
HEAD = "services:\n  web:\n    image: nginx:1.27.1\n"
#: An image no rule knows: the role is detected from the command, which is masked and quoted.
HEAD_BY_COMMAND = "services:\n  web:\n    image: example/app:1\n"


@dataclass(frozen=True)
class Shape:
    name: str
    what: str  # the unit of `size`
    make: Callable[[int], str | dict[str, str]]  # size -> the compose file, or {file name: text}
    size: Callable[[float], int]  # fraction of the cap -> size


def _by_bytes(fraction: float) -> int:
    return int(CAP_BYTES * fraction)


def _port_range(width: int) -> str:
    return HEAD + f'    ports: ["1-{width}:1-{width}", "1:1"]\n'


def _ports_many(size: int) -> str:
    lines = [f'      - "{1 + i % MAX_PORT}:{1 + (i // MAX_PORT) % MAX_PORT}"\n' for i in range(size // 20)]
    return HEAD + "    ports:\n" + "".join(lines)


def _command(token: str) -> Callable[[int], str]:
    def make(size: int) -> str:
        body = (token * (size // len(token) + 1))[:size]
        return HEAD_BY_COMMAND + "    command: '" + body.replace("'", "''") + "'\n"

    return make


def _services(size: int) -> str:
    entry = "  s{}:\n    image: nginx:1.27.1\n"
    count = size // len(entry.format(10_000))
    return "services:\n" + "".join(entry.format(i) for i in range(count))


def _security_lists(size: int) -> str:
    """Services whose `security_opt` lacks no-new-privileges: a fix (an item appended) on each."""
    entry = "  s{}:\n    image: nginx:1.27.1\n    security_opt:\n      - label:disable\n"
    count = size // len(entry.format(10_000))
    return "services:\n" + "".join(entry.format(i) for i in range(count))


def _passwords(size: int) -> str:
    """A password written on each service, and used in its command: every one is masked wherever
    it appears (`lint --diff` quotes the file)."""
    entry = "  s{0}:\n    image: postgres:16.4\n    environment:\n      POSTGRES_PASSWORD: pw{0:06d}x\n"
    entry += "    command: psql postgres://app:pw{0:06d}x@db\n"
    count = size // len(entry.format(10_000))
    return "services:\n" + "".join(entry.format(i) for i in range(count))


def _env_secrets(size: int) -> dict[str, str]:
    """Services each interpolating its own secret from `.env` into its command, environment and
    healthcheck: each text quoted is masked against every secret of the stack."""
    entry = (
        "  s{0}:\n    image: example/app:1\n    command: gunicorn app:wsgi -w 2 --name ${{S{0}_KEY}}\n"
        "    environment:\n      DSN: postgres://app:${{S{0}_KEY}}@db\n"
        "    healthcheck:\n      test: curl -f http://localhost/${{S{0}_KEY}}\n"
    )
    line = "S{0}_KEY=secretvalue{0:06d}\n"
    count = size // (len(entry.format(10_000)) + len(line.format(10_000)))
    return {
        ".env": "".join(line.format(i) for i in range(count)),
        "docker-compose.yml": "services:\n" + "".join(entry.format(i) for i in range(count)),
    }


def _environment(size: int) -> str:
    return HEAD + "    environment:\n" + "".join(f"      - K{i}=v{i}\n" for i in range(size // 18))


def _dollars(size: int) -> str:
    return HEAD + "    environment:\n      A: '" + "$" * size + "'\n"


def _references(size: int) -> str:
    return HEAD + "    environment:\n      A: '" + "${X:-$Y}" * (size // 8) + "'\n"


def _merges(size: int) -> str:
    base = "x-base: &base\n  image: nginx:1.27.1\n  restart: always\n"
    entry = "  s{}:\n    <<: *base\n"
    return base + "services:\n" + "".join(entry.format(i) for i in range(size // len(entry.format(10_000))))


def _merge_list(size: int) -> str:
    count = size // 40
    anchors = "".join(f"x-b{i}: &b{i} {{l{i}: v}}\n" for i in range(count))
    names = ", ".join(f"*b{i}" for i in range(count))
    return anchors + "services:\n  web:\n    image: nginx:1.27.1\n    labels:\n      <<: [" + names + "]\n"


def _long_line(size: int) -> str:
    return HEAD + "    labels:\n      note: " + "word " * (size // 5) + "\n"


def _env_file(size: int) -> dict[str, str]:
    lines = "".join(f"export K{i}=${{K{i - 1}:-x}}\n" if i % 2 else f"K{i}=v{i}\n" for i in range(size // 20))
    return {".env": lines, "docker-compose.yml": HEAD + "    environment:\n      A: ${K1}\n"}


def _secret_names(size: int) -> str:
    return HEAD + "    environment:\n      " + "PASS" * (size // 4) + ": x\n"


SHAPES: tuple[Shape, ...] = (
    Shape("ports-range", "ports", _port_range, lambda f: max(1, int(MAX_PORT * f))),
    Shape("ports-many", "bytes", _ports_many, _by_bytes),
    Shape("command-letters", "bytes", _command("a"), _by_bytes),
    Shape("command-words", "bytes", _command("run --opt x://u:p "), _by_bytes),
    Shape("command-flag-run", "bytes", _command("--passpass"), _by_bytes),
    Shape("command-secret-run", "bytes", _command("pass"), _by_bytes),
    Shape("command-url-user", "bytes", _command("a://" + "u" * 30), _by_bytes),
    Shape("many-services", "bytes", _services, _by_bytes),  # a fix on each: security_opt added
    Shape("security-lists", "bytes", _security_lists, _by_bytes),  # a fix on each: an item appended
    Shape("passwords", "bytes", _passwords, _by_bytes),  # a secret on each, quoted again in its command
    Shape("env-secrets", "bytes", _env_secrets, _by_bytes),  # a .env secret on each, in each text quoted
    Shape("environment-list", "bytes", _environment, _by_bytes),
    Shape("dollars", "bytes", _dollars, _by_bytes),
    Shape("references", "bytes", _references, _by_bytes),
    Shape("merge-keys", "bytes", _merges, _by_bytes),
    Shape("merge-list", "bytes", _merge_list, _by_bytes),
    Shape("long-line", "bytes", _long_line, _by_bytes),
    Shape("secret-name-run", "bytes", _secret_names, _by_bytes),
    Shape("env-file-lines", "bytes", _env_file, _by_bytes),
)
COMMANDS: dict[str, tuple[str, ...]] = {
    "lint": ("lint", "docker-compose.yml"),
    "lint-sarif": ("lint", "--format", "sarif", "docker-compose.yml"),  # each finding's fix planned
    "lint-diff": ("lint", "--diff", "docker-compose.yml"),  # the file's fixes planned and shown
    "render": ("render", "--profile", "prod", "-o", "overlay.yml", "--force"),
    # not run unless named (--commands): the Swarm stack file, the Kubernetes manifests, explain (text and json)
    "render-swarm": ("render", "--profile", "prod", "--target", "swarm", "-o", "stack.yml", "--force"),
    "export-k8s": ("export", "k8s", "--profile", "prod", "-o", "k8s", "--force"),
    "explain": ("explain", "--profile", "prod"),
    "explain-json": ("explain", "--profile", "prod", "--format", "json"),  # every derivation, as data
}
DEFAULT_COMMANDS = ("lint", "lint-sarif", "lint-diff", "render")


def script(name: str) -> str:
    """A console script beside this interpreter, else the name for PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else name


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("GITHUB_ACTIONS", None)
    env["NO_COLOR"] = "1"
    return env


@dataclass(frozen=True)
class Run:
    seconds: float
    code: int | None  # None: stopped at the timeout


def run_once(args: Sequence[str], folder: Path, timeout: float) -> Run:
    """One whole run: its CPU seconds (user and system, of the child alone: on a shared machine
    a wall clock measures the neighbours too), or the timeout where it was stopped."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        done = subprocess.run(
            [script("composegen"), *args],
            cwd=folder,
            env=environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Run(timeout, None)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(seconds, done.returncode)


def time_files(
    folders: Iterator[Path], made: str | dict[str, str], command: str, timeout: float, repeat: int = 1
) -> Run:
    """`command` in a new project folder holding `made` (a compose file's text, or files), `repeat`
    times, each in a folder of its own: the fastest run (a run stopped at the timeout ends it).

    Each run gets a folder of its own and none is deleted before the bench ends: deleting the
    last run's 7,500 manifests just before the next run writes its own made ext4 skip every
    recently deleted inode while it looks for a free one (`recently_deleted` in
    `find_inode_bit`, 31 % of the samples in `perf record`), 2.5 to 4 s of system time for 7,500
    new files that take 0.15 s in a folder with no deletions behind it: the bench's cleanup
    timed, not composegen."""
    files = made if isinstance(made, dict) else {"docker-compose.yml": made}
    runs: list[Run] = []
    for _ in range(repeat):
        folder = next(folders)
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        runs.append(run_once(COMMANDS[command], folder, timeout))
        if runs[-1].code is None:
            return runs[-1]
    return min(runs, key=lambda run: run.seconds)


def largest_accepted(
    shape: Shape, command: str, points: Sequence[tuple[int, Run]], folders: Iterator[Path], timeout: float
) -> int | None:
    """The largest size `command` accepts (exits other than 2), between the largest of `points`
    it accepted (or nothing) and the smallest it refused, to within `CAP_PRECISION`; None where it
    refused none of them, or accepts no size at all."""
    refused = [size for size, run in points if run.code == 2]
    if not refused:
        return None
    high = min(refused)
    low = max((size for size, run in points if run.code != 2 and size < high), default=0)
    precision = max(1, int(high * CAP_PRECISION))
    while high - low > precision:
        middle = (low + high) // 2
        if time_files(folders, shape.make(middle), command, timeout).code == 2:
            high = middle
        else:
            low = middle
    return low or None


def cell(run: Run) -> str:
    if run.code is None:
        return f">{run.seconds:.0f}"
    return f"{run.seconds:.2f}" + ("" if run.code in (0, 1) else f" (exit {run.code})")


def growth(points: Sequence[tuple[int, Run]], baseline: float) -> str:
    """The verdict on proportion: time beyond the baseline per unit, largest size over smallest."""
    if any(run.code is None for _, run in points):
        return "NOT linear (timed out)"
    extra = [(size, max(run.seconds - baseline, 0.0)) for size, run in points]
    if all(seconds < FLAT_SECONDS for _, seconds in extra):
        return "flat"
    (small, small_extra), (large, large_extra) = extra[0], extra[-1]
    ratio = (large_extra / large) / (max(small_extra, FLAT_SECONDS / 4) / small)
    return f"{ratio:.1f} ({'linear' if ratio <= MAX_GROWTH else 'NOT linear'})"


#: The machine's speed, told by a fixed pure-Python loop: the hosts this runs on differ by up to
#: 1.5 times from day to day (the same commit's merge-keys `lint` took 1.51 s on 2026-12-07 08:39 and 2.20 s
#: on that day's later machine), so a table is read beside the loop it ran with.
REFERENCE_LOOP = 10_000_000


def reference_seconds() -> float:
    """CPU seconds of the reference loop, the least of three."""
    times = []
    for _ in range(3):
        start = time.process_time()
        total = 0
        for i in range(REFERENCE_LOOP):
            total += i * i
        times.append(time.process_time() - start)
    return min(times)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--shapes", nargs="*", choices=[s.name for s in SHAPES], help="default: all")
    parser.add_argument("--sizes", type=float, nargs="*", default=[0.25, 0.5, 1.0], help="fractions of 1 MB")
    parser.add_argument("--commands", nargs="*", choices=list(COMMANDS), default=list(DEFAULT_COMMANDS))
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a run is stopped")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each cell, the least kept (default 1)")
    parser.add_argument(
        "--at-cap", action="store_true", help="where a size is refused (exit 2), also time the largest size accepted"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat takes 1 or more")
    if shutil.which(script("composegen")) is None:
        parser.error("no composegen console script beside this interpreter or on PATH: run it with the venv's python")
    shapes = [s for s in SHAPES if not args.shapes or s.name in args.shapes]
    fractions = sorted(args.sizes)
    met = True
    runs = "one run" if args.repeat == 1 else f"the least of {args.repeat} runs"
    lines = [
        f"`python bench/hostile.py`: CPU seconds of {runs} each, whole process, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start.",
        "",
        "| shape | command | "
        + " | ".join(f"size {f:g} (s)" for f in fractions)
        + (" | largest accepted (s) | size" if args.at_cap else "")
        + " | ≤ 2 s | growth |",
        "|---|---|" + "---|" * (len(fractions) + 2 * args.at_cap) + "---|---|",
    ]
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        folders = (Path(tmp) / f"project-{n}" for n in itertools.count())
        for command in args.commands:
            time_files(folders, TRIVIAL, command, args.timeout)  # warm: page cache, bytecode
        baselines = {c: time_files(folders, TRIVIAL, c, args.timeout, args.repeat).seconds for c in args.commands}
        for shape in shapes:
            for command in args.commands:
                points: list[tuple[int, Run]] = []
                for fraction in fractions:
                    size = shape.size(fraction)
                    made = shape.make(size)
                    run = time_files(folders, made, command, args.timeout, args.repeat)
                    points.append((size, run))
                    total = sum(map(len, made.values())) if isinstance(made, dict) else len(made)
                    label = f"{shape.name} {command} {size} {shape.what} ({total} bytes)"
                    print(f"  {label}: {cell(run)}", file=sys.stderr)
                timed = list(points)
                sizes = ", ".join(f"{size} {shape.what}" for size, _ in points)
                cells = [f"{shape.name} ({sizes})", command, *(cell(run) for _, run in points)]
                if args.at_cap:
                    largest = largest_accepted(shape, command, points, folders, args.timeout)
                    if largest is None:
                        cells += ["—", "—"]
                    else:
                        run = time_files(folders, shape.make(largest), command, args.timeout, args.repeat)
                        timed.append((largest, run))
                        label = f"{shape.name} {command} largest accepted {largest} {shape.what}"
                        print(f"  {label}: {cell(run)}", file=sys.stderr)
                        cells += [cell(run), f"{largest} {shape.what}"]
                fast = all(run.code is not None and run.seconds <= TARGET_SECONDS for _, run in timed)
                verdict = growth(points, baselines[command])
                met = met and fast and "NOT" not in verdict
                lines.append("| " + " | ".join([*cells, "yes" if fast else "NO", verdict]) + " |")
    lines += [
        "",
        "Baseline (trivial file): " + ", ".join(f"{c} {s:.2f} s" for c, s in baselines.items()) + ".",
        f"Machine: the reference loop (sum of squares below {REFERENCE_LOOP:,}) took {reference_seconds():.3f} s.",
        f"Targets: ≤ {TARGET_SECONDS:g} s at ≤ 1 MB and growth ≤ {MAX_GROWTH:g}: {'met' if met else 'NOT met'}.",
    ]
    print("\n".join(lines))
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
