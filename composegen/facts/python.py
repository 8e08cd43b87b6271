"""Python servers and workers: gunicorn, uvicorn, hypercorn, celery, pytest (xdist), Django's
runserver.

Settings: `workers`, `threads`, `worker_class`, `preload`, `max_requests`, `config_file`
(gunicorn, hypercorn); `workers`, `reload` (uvicorn); `subcommand`, `concurrency`,
`autoscale_max`, `autoscale_min`, `pool` (celery); `workers` (pytest `-n`: an int, or `auto` /
`logical`); `subcommand`, `autoreload`, `threading` (django).
"""

from __future__ import annotations

from collections.abc import Sequence

from composegen.facts import values
from composegen.facts.argv import Word
from composegen.facts.context import Context, Readout, env_options, read_program
from composegen.facts.model import Fact, Unread, Value
from composegen.facts.options import Option, parse_options, table, unread_of

GUNICORN = table(
    (
        Option(("-w", "--workers"), "workers", values.count),
        Option(("--threads",), "threads", values.count),
        Option(("-k", "--worker-class"), "worker_class", values.text),
        Option(("--preload",), "preload", None),
        Option(("--max-requests",), "max_requests", values.count),
        Option(("-c", "--config"), "config_file", values.text, status="not-read"),
    )
)


def _read_args(program: str, words: Sequence[Word], options: dict[str, Option], unread: list[Unread]) -> list[Fact]:
    parsed = parse_options(program, words, options)
    unread.extend(unread_of(program, parsed.unread))
    return parsed.facts


def read_gunicorn(ctx: Context) -> Readout:
    """gunicorn's precedence, least to most authoritative: environment variables (WEB_CONCURRENCY
    gives the default of `workers`), the config file, GUNICORN_CMD_ARGS, the command line.
    https://gunicorn.org/configure ("Configuration Overview");
    https://docs.gunicorn.org/en/stable/settings.html#workers (WEB_CONCURRENCY).
    GUNICORN_CMD_ARGS is split with shlex, as gunicorn splits it."""
    facts: list[Fact] = []
    unread: list[Unread] = []
    runs = ctx.runs("gunicorn")
    cmd_args = env_options(ctx, "GUNICORN_CMD_ARGS", facts)
    if not runs and not cmd_args:
        return Readout(facts, unread)
    concurrency = ctx.env_fact("gunicorn", "workers", "WEB_CONCURRENCY", values.count)
    if concurrency is not None:
        facts.append(concurrency)
    if cmd_args:
        facts.extend(_read_args("gunicorn", cmd_args, GUNICORN, unread))
    for words in ctx.words_of("gunicorn"):
        facts.extend(_read_args("gunicorn", words, GUNICORN, unread))
    return Readout(facts, unread)


UVICORN = table(
    (
        Option(("--workers",), "workers", values.count),
        Option(("--reload",), "reload", None),
    )
)


def read_uvicorn(ctx: Context) -> Readout:
    """uvicorn `--workers`, which defaults to $WEB_CONCURRENCY (else 1).
    https://www.uvicorn.org/settings/#production ("--workers ... Defaults to the $WEB_CONCURRENCY
    environment variable if available, or 1")."""
    facts: list[Fact] = []
    unread: list[Unread] = []
    if not ctx.runs("uvicorn"):
        return Readout(facts, unread)
    concurrency = ctx.env_fact("uvicorn", "workers", "WEB_CONCURRENCY", values.count)
    if concurrency is not None:
        facts.append(concurrency)
    for words in ctx.words_of("uvicorn"):
        facts.extend(_read_args("uvicorn", words, UVICORN, unread))
    return Readout(facts, unread)


def read_web_concurrency(ctx: Context) -> Readout:
    """WEB_CONCURRENCY where no gunicorn or uvicorn command is seen (an image's own CMD, or a script,
    may read it): program `python-web`."""
    if ctx.runs("gunicorn") or ctx.runs("uvicorn") or "GUNICORN_CMD_ARGS" in ctx.env:
        return Readout([], [])
    found = ctx.env_fact("python-web", "workers", "WEB_CONCURRENCY", values.count)
    return Readout([found] if found else [], [])


HYPERCORN = table(
    (
        Option(("-w", "--workers"), "workers", values.count),
        Option(("-k", "--worker-class"), "worker_class", values.text),
        Option(("-c", "--config"), "config_file", values.text, status="not-read"),
    )
)


def read_hypercorn(ctx: Context) -> Readout:
    """hypercorn `-w/--workers` (default 1). https://hypercorn.readthedocs.io/en/latest/how_to_guides/configuring.html"""
    return read_program(ctx, "hypercorn", HYPERCORN)


def _autoscale(text: str) -> Value:
    maximum, _, minimum = text.partition(",")
    values.count(minimum or "0")
    return values.count(maximum)


CELERY = table(
    (
        Option(("-c", "--concurrency"), "concurrency", values.count),
        Option(("--autoscale",), "autoscale_max", _autoscale),
        Option(("-P", "--pool"), "pool", values.text),
        Option(("-A", "--app"), "app", values.text),
    )
)
CELERY_SUBCOMMANDS = frozenset({"worker", "beat", "flower", "events", "inspect", "control", "purge", "call", "shell"})


def read_celery(ctx: Context) -> Readout:
    """celery `-c/--concurrency` (default: the CPU count), `--autoscale=max[,min]`, `-P/--pool`.
    https://docs.celeryq.dev/en/stable/reference/cli.html#celery-worker"""
    facts: list[Fact] = []
    unread: list[Unread] = []
    for words in ctx.words_of("celery"):
        rest: list[Word] = []
        named = False
        for word in words:
            if word.text in CELERY_SUBCOMMANDS and not named:
                facts.append(Fact("celery", "subcommand", word.text, word.text, word.origin, word.via))
                named = True
            else:
                rest.append(word)
        for found in _read_args("celery", rest, CELERY, unread):
            facts.append(found)
            if found.setting == "autoscale_max" and found.status == "read":
                spec = found.raw.removeprefix("--autoscale").lstrip("= ")  # `max,min`, checked by _autoscale
                facts.append(found._replace(setting="autoscale_min", value=values.count(spec.partition(",")[2] or "0")))
    return Readout(facts, unread)


def _processes(text: str) -> Value:
    """pytest-xdist `-n`: a count, or `auto` / `logical`."""
    if text in ("auto", "logical"):
        return text
    return values.count(text)


PYTEST = table((Option(("-n", "--numprocesses"), "workers", _processes),))


def read_pytest(ctx: Context) -> Readout:
    """pytest-xdist `-n N|auto|logical` (also `-nauto`, `--numprocesses=4`); PYTEST_ADDOPTS is put
    before the command line, so the command line wins.
    https://pytest-xdist.readthedocs.io/en/stable/distribution.html;
    https://docs.pytest.org/en/stable/reference/reference.html#envvar-PYTEST_ADDOPTS"""
    facts: list[Fact] = []
    unread: list[Unread] = []
    if not ctx.runs("pytest"):
        return Readout(facts, unread)
    facts.extend(_read_args("pytest", env_options(ctx, "PYTEST_ADDOPTS", facts), PYTEST, unread))
    for words in ctx.words_of("pytest"):
        facts.extend(_read_args("pytest", words, PYTEST, unread))
    return Readout(facts, unread)


DJANGO = table(
    (
        Option(("--noreload",), "autoreload", None, flag_value=False),
        Option(("--nothreading",), "threading", None, flag_value=False),
    )
)


def read_django(ctx: Context) -> Readout:
    """`manage.py <subcommand>` / `django-admin <subcommand>`; for runserver, `--noreload` (else
    an autoreloader parent runs beside the server) and `--nothreading`.
    https://docs.djangoproject.com/en/stable/ref/django-admin/#runserver"""
    facts: list[Fact] = []
    unread: list[Unread] = []
    for words in ctx.words_of("django"):
        at = next((i for i, w in enumerate(words) if not w.text.startswith("-")), None)
        if at is None:
            continue
        sub = words[at]
        facts.append(Fact("django", "subcommand", sub.text, sub.text, sub.origin, sub.via))
        if sub.text.startswith("runserver"):
            facts.extend(_read_args("django", words[at + 1 :], DJANGO, unread))
    return Readout(facts, unread)


READERS = (read_web_concurrency, read_gunicorn, read_uvicorn, read_hypercorn, read_celery, read_pytest, read_django)
