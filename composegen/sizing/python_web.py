"""Python web services (gunicorn, uvicorn): workers from the CPU limit, memory per worker."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from composegen.sizing import runs
from composegen.sizing.common import FACTS_SIZING, baseline_cpus, declared_memory, with_margin
from composegen.sizing.detect import command_text, detect_framework
from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.pytest_runner import collection_time
from composegen.sizing.quantity import Quantity, SourceKind, given, times, total
from composegen.sizing.result import EnvSetting, Sizing
from composegen.units import MIB

if TYPE_CHECKING:
    from composegen.profiles.models import Profile

BENCH = "measured: bench/accuracy (docs/sizing.md §Measured)"
#: Memory per gunicorn worker by framework, measured by bench/accuracy on a small app of each in a
#: memory cgroup, every worker having served a request (docs/benchmarks.md §Sizing accuracy):
#: - flask, a JSON app: 38-43 MiB for 1 worker, 91-105 MiB for 4 (17-21 MiB per worker): 22 MiB
#:   (20 left 4 workers at 0.99-1.00 in two runs);
#: - django, the contrib apps, the ORM on SQLite and a template page: 55-56 MiB for 1 worker, 87-91
#:   for 2, 148-157 for 4 (32-33 MiB per worker); with --preload 71-73, 96-106, 138-169 (the
#:   arbiter holds the app: ~41 MiB): 38 MiB, which keeps 1 worker with --preload at or above 1.0.
#: An app with heavier imports (pandas, many apps) needs `memory_per_worker:` declared, or calibrate.
#: - wsgi, a plain WSGI app (gunicorn and the standard library: bench/servers.py's JSON API over a
#:   20,000-item catalogue): 19-21 MiB per added worker at 2-8 workers (docs/benchmarks.md "Real
#:   servers"; 53 MiB for 1, 111 for 4): 22 MiB, Flask's figure, which held every row. Source:
#:   WSGI_MEASURED. Fitted on the 1- and 4-worker rows, checked on 2 and 8 workers.
WORKER_MEMORY: dict[str, int] = {"flask": 22 * MIB, "django": 38 * MIB, "wsgi": 22 * MIB}
WSGI_MEASURED = "measured: bench/servers (docs/benchmarks.md, Real servers)"
#: Where the framework is not known: the heaviest one measured (a worker short of memory is
#: OOM-killed; one with room to spare only wastes it), and the source says it is a default.
UNKNOWN_FRAMEWORK = "django"
#: The gunicorn arbiter, which does not import the app unless --preload: 1 worker less the
#: per-worker figure, ~20 MiB with flask, ~23 MiB with django: 24 MiB.
ARBITER = 24 * MIB
DEFAULT_STARTUP = 10.0
#: The arbiter without --preload, one for every service (a quantity is immutable).
_ARBITER = given("gunicorn arbiter (without the app)", ARBITER, "bytes", BENCH)


#: Flags that say what gunicorn does anyway: a GUNICORN_CMD_ARGS of these alone is not written
#: (--workers=1 is: it overrides a config file's workers).
GUNICORN_DEFAULTS = frozenset({"--timeout=30"})

#: The workers option of gunicorn, uvicorn (--workers) and hypercorn.
WORKERS = ("-w", "--workers")

#: The servers whose worker count the base's command line (or their environment) sets.
SERVERS = ("gunicorn", "uvicorn", "hypercorn")


def profile_workers(inputs: ServiceInputs, cpus: Quantity) -> Quantity:
    """WEB_CONCURRENCY from the base where no server composegen reads says otherwise, else
    (2 × cores) + 1 of the CPU limit.

    gunicorn's docs suggest (2 × cores) + 1, counting the container's CPU limit, not the host's
    cores (facts/sizing.md §Web workers).
    """
    concurrency = inputs.base.environment.get("WEB_CONCURRENCY", "")
    # a count, and a sane one: `isdigit` takes "²", and a 400-digit count overflowed the float sums
    if concurrency.isascii() and concurrency.isdigit() and 0 < int(concurrency) <= 2**53:
        return given("workers", int(concurrency), "count", "WEB_CONCURRENCY in the base compose file")
    return _workers_of(cpus)


@functools.lru_cache(maxsize=64)  # services share their cpus (the profile's, or a declared one)
def _workers_of(cpus: Quantity) -> Quantity:
    """(2 × cores) + 1 of the CPU limit, whole."""
    value = math.floor(2 * cpus.value) + 1
    return Quantity(
        "workers", value, "count", f"(2 × {cpus.name}) + 1, whole", f"{FACTS_SIZING} §Web workers (gunicorn)", (cpus,)
    )


def worker_choice(inputs: ServiceInputs, cpus: Quantity, fallback: Quantity | None = None) -> runs.Chosen:
    """Declared workers, else what the base runs (`gunicorn -w 12`, GUNICORN_CMD_ARGS,
    WEB_CONCURRENCY: runs.chosen_setting's precedence), else `fallback` (`profile_workers`)."""
    declared = (
        given("workers", inputs.spec.workers, "count", f"composegen.yaml: services.{inputs.name}.workers")
        if inputs.spec.workers is not None
        else None
    )
    if declared is None and runserver(inputs) is not None:
        return runs.Chosen(
            given("workers", 1, "count", "Django's runserver serves from one process (a thread per request)")
        )
    found = runs.fact(inputs, "workers", *SERVERS, most=runs.MOST_COUNT)
    default = fallback if fallback is not None else profile_workers(inputs, cpus)
    choice = runs.chosen_setting(inputs, found, "workers", "count", declared, default)
    if found is None:
        return choice._replace(notes=runs.ignored(inputs, "workers", *SERVERS, most=runs.MOST_COUNT))
    return choice


def preloaded(inputs: ServiceInputs) -> bool:
    """Declared `preload:`, or `--preload` where the base runs gunicorn with it."""
    found = runs.fact(inputs, "preload", "gunicorn")
    return bool(inputs.spec.preload) or (found is not None and found.value is True)


def _sets_option(words: Sequence[str], names: tuple[str, ...]) -> bool:
    """Whether `words` set an option named in `names` (`--timeout 30`, `--timeout=30`, `-t30`)."""
    exact, prefixes = _option_prefixes(names)  # (asked three times of each gunicorn service)
    return any(word in exact or word.startswith(prefixes) for word in words)


@functools.lru_cache(maxsize=64)
def _option_prefixes(names: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    """The words that are one of `names`, and how a word that sets one with its value starts:
    `--timeout=`, and a short option's own name (`-t30`, `-t=30`)."""
    return frozenset(names), tuple(name if len(name) == 2 else name + "=" for name in names)


def gunicorn_environment(
    inputs: ServiceInputs, profile: Profile, choice: runs.Chosen, timeout: int, preload: bool
) -> tuple[list[EnvSetting], tuple[str, ...], tuple[str, ...]]:
    """WEB_CONCURRENCY and GUNICORN_CMD_ARGS for `choice`'s workers, leaving out every flag the
    command line sets (it wins over both: the overlay never writes a value that does not run) and
    keeping the base's own GUNICORN_CMD_ARGS, which the overlay's value replaces, in front.
    Returns the settings, the base notes (`choice`'s) and the notes for explain."""
    workers = choice.quantity
    n = int(workers.value)
    found = choice.fact
    on_command = found is not None and not runs.overridable(found)
    commands = inputs.facts.commands if inputs.facts else ()
    command_words = [w for c in commands if c.program == "gunicorn" for w in c.argv]
    # a count on any server's command line wins over WEB_CONCURRENCY, even one the plan cannot use
    on_command = on_command or _sets_option([w for c in commands if c.program in SERVERS for w in c.argv], WORKERS)
    base_args = inputs.base.environment.get("GUNICORN_CMD_ARGS")
    base_words = base_args.split() if base_args else []
    flags: list[tuple[tuple[str, ...], str]] = [
        (WORKERS, f"--workers={n}"),
        (("-t", "--timeout"), f"--timeout={timeout}"),
    ]
    if profile.ml.max_requests:
        flags += [
            (("--max-requests",), f"--max-requests={profile.ml.max_requests}"),
            (("--max-requests-jitter",), f"--max-requests-jitter={profile.ml.max_requests_jitter}"),
        ]
    if preload:
        flags.append((("--preload",), "--preload"))
    args = []
    for names, arg in flags:
        if _sets_option(command_words, names) or (on_command and names[0] == "-w"):
            continue  # the command line wins: writing it would say something that does not run
        if base_words and _sets_option(base_words, names) and not (names[0] == "-w" and choice.override):
            continue  # the base's GUNICORN_CMD_ARGS sets it, and it is kept
        args.append(arg)
    env: list[EnvSetting] = []
    notes: list[str] = []
    if not on_command and (found is None or runs.env_key(found) == "WEB_CONCURRENCY"):
        env.append(EnvSetting("WEB_CONCURRENCY", str(n), workers))
    programs = inputs.facts.programs if inputs.facts else ()
    other_server = any(p in programs for p in SERVERS[1:]) and "gunicorn" not in programs
    if set(args) - GUNICORN_DEFAULTS and not other_server:
        value = " ".join([*base_words, *args])
        note = "gunicorn reads it; flags on the command line still win"
        if base_words:
            note = "the base's GUNICORN_CMD_ARGS with composegen's flags after it (the last one wins)"
        env.append(EnvSetting("GUNICORN_CMD_ARGS", value, workers, note))
    config = inputs.facts.get("config_file", "gunicorn") if inputs.facts else None
    base_notes = choice.notes
    if config is not None and any(a.startswith("--workers=") for a in args) and not other_server:
        base_notes += (
            f"workers: the overlay's GUNICORN_CMD_ARGS --workers={n} overrides any workers the config file "
            f"sets ({runs.origin_text(config)}; not read: declare workers: in composegen.yaml to keep its count)",
        )
    if on_command and found is not None:
        notes.append(
            f"no --workers in GUNICORN_CMD_ARGS and no WEB_CONCURRENCY: the command line sets the workers "
            f"({runs.origin_text(found)}), and it wins over both"
        )
    return env, base_notes, tuple(notes)


def runserver(inputs: ServiceInputs) -> str | None:
    """ "autoreload" when the command runs Django's development server with its autoreloader (the
    default: a parent process that imports the project and restarts the server process on a code
    change), "noreload" with --noreload, None for any other server."""
    text = command_text(inputs.base)
    if "runserver" not in text or not re.search(r"(?:^|[\s\"'])runserver(?:$|[\s\"'])", text):
        return None
    return "noreload" if "--noreload" in text else "autoreload"


def framework(inputs: ServiceInputs) -> tuple[str | None, str]:
    """The service's web framework and what says so: composegen.yaml's `framework:`, else what
    detect.py reads in the base (environment, command, image); (None, why not) when nothing does."""
    if inputs.spec.framework is not None:
        return inputs.spec.framework, f"composegen.yaml: services.{inputs.name}.framework"
    found = detect_framework(inputs.base)
    if found is not None:
        return found[0], f"detected: {found[1]}"
    return None, "not detected from the environment, command, image or dependency files"


def framework_default(inputs: ServiceInputs) -> tuple[int, str, SourceKind]:
    """The measured memory per worker for the service's framework, its source text and kind: a
    measurement, or composegen's default where the framework is unknown."""
    name, why = framework(inputs)
    declare = "declare memory_per_worker: for a heavier app"
    if name is None:
        figure = WORKER_MEMORY[UNKNOWN_FRAMEWORK]
        return (
            figure,
            f"{BENCH}: framework {why}: assumed, the figure of a small {UNKNOWN_FRAMEWORK} app, the heaviest "
            f"measured (flask {WORKER_MEMORY['flask'] // MIB} MiB: declare framework: or memory_per_worker:)",
            "assumed",
        )
    source = WSGI_MEASURED if name == "wsgi" else BENCH
    return WORKER_MEMORY[name], f"{source}: a small {name} app (framework {why}; {declare})", "measured"


def per_worker_memory(
    inputs: ServiceInputs,
    profile: Profile,
    default: int | None = None,
    default_source: str = "",
    default_kind: SourceKind = "assumed",
) -> Quantity:
    """Declared memory per worker, else the profile's for the role, else `default` (the worker
    calculator's), else the measured figure of the service's web framework."""
    if inputs.spec.memory_per_worker is not None:
        return given(
            "memory per worker",
            inputs.spec.memory_per_worker,
            "bytes",
            f"composegen.yaml: services.{inputs.name}.memory_per_worker",
        )
    chosen = profile.role(inputs.role).memory
    if chosen is not None:
        return given("memory per worker", chosen, "bytes", f"profile {profile.name}: roles.{inputs.role}.memory")
    if default is None:
        default, default_source, default_kind = framework_default(inputs)
    return given("memory per worker", default, "bytes", default_source, default_kind)


def processes_memory(inputs: ServiceInputs, profile: Profile, workers: Quantity) -> Quantity:
    """The gunicorn arbiter + workers × memory per worker, or the declared working set.

    The arbiter imports the app only with --preload; then it is counted as one more worker. Django's
    runserver is one process serving with threads, and its autoreloader a parent that imports the
    app as well: one more worker too (with --noreload, the arbiter's figure stands for nothing more
    than the interpreter: measured 41 MiB against the 62 MiB this gives).
    """
    declared = declared_memory(inputs)
    if declared is not None:
        return declared
    per_worker = per_worker_memory(inputs, profile)
    if preloaded(inputs):
        arbiter = per_worker.renamed("arbiter (--preload: it imports the app)")
    elif runserver(inputs) == "autoreload":
        # measured: the django_site under `runserver` peaked at 75 MiB, 41 MiB with --noreload
        arbiter = per_worker.renamed("runserver's autoreloader (a parent process that imports the app too)")
    else:
        arbiter = _ARBITER
    return total("working set", (arbiter, times("workers × memory per worker", workers, per_worker)))


def size(inputs: ServiceInputs, profile: Profile) -> Sizing:
    cpus = baseline_cpus(inputs, profile)
    choice = worker_choice(inputs, cpus)
    workers = choice.quantity
    memory = processes_memory(inputs, profile, workers)
    timeout = int(profile.ml.gunicorn_timeout) if inputs.models else 30
    env, base_notes, notes = gunicorn_environment(inputs, profile, choice, timeout, bool(inputs.spec.preload))
    extra = {"workers": workers}
    threads = runs.fact(inputs, "threads", "gunicorn", most=runs.MOST_COUNT)
    if threads is not None:
        extra["threads per worker"] = runs.fact_quantity("threads per worker", threads, "count")
    pool = agent_pool(inputs, profile, workers)
    if pool is not None:
        env.append(
            EnvSetting(
                "POOL_SIZE_PER_WORKER",
                str(int(pool.value)),
                pool,
                "connections each worker must accept or hold for the stack's agents",
            )
        )
        extra["connection pool per worker"] = pool
    return Sizing(
        memory=with_margin(memory, profile),
        startup=collection_time(inputs, profile, DEFAULT_STARTUP),
        cpus=cpus,
        environment=tuple(env),
        extra=extra,
        notes=notes,
        base_notes=base_notes,
    )


def agent_pool(inputs: ServiceInputs, profile: Profile, workers: Quantity) -> Quantity | None:
    """Connections per worker for a service the stack's load-test agents connect to.

    ceil(agents × connections per agent ÷ workers): a gateway in front of 500 agents with 4
    workers needs a pool of 125 per worker, not a library's default of 10.
    """
    if not inputs.stack_agents or not profile.agents.connections_per_agent:
        return None
    agents = given("agents in the stack", inputs.stack_agents, "count", "composegen.yaml: services.*.agents")
    per_agent = given(
        "connections per agent",
        profile.agents.connections_per_agent,
        "count",
        f"profile {profile.name}: agents.connections_per_agent",
    )
    connections = times("connections", agents, per_agent, unit="count")
    value = math.ceil(connections.value / workers.value)
    return Quantity(
        "connection pool per worker", value, "count", "ceil(connections ÷ workers)", "", (connections, workers)
    )
