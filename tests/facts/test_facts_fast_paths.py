"""The quick paths of reading facts say what the slow ones say.

read_service runs only the readers that may find something in a service (`NEEDS`: the programs
each reader asks about and the variables it looks up); here every reader runs instead, on every
case of cases.yaml and every corpus file, and on random services (Hypothesis), and the facts must
be the same. Likewise `_group`'s shortcut for facts that share no setting, the one search for a
finishing word, and the environment of a service with env files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composegen.compose.stack import load_stack
from composegen.facts import Fact, ServiceFacts, read_stack
from composegen.facts import read as read_module
from composegen.facts import stack as compose_facts
from composegen.facts.argv import PROGRAMS, Word, basename
from composegen.facts.context import Context, EnvVar, Readout
from composegen.facts.read import (
    ACCUMULATING,
    ASKED,
    NEEDS,
    READERS,
    WithEnvFiles,
    _group,
    asked_variables,
    env_files_of,
    group_facts,
    readers_for,
)
from composegen.yamlio import Origin, read_document
from tests.conftest import CORPUS

HERE = Path(__file__).resolve().parent
CASES: list[dict[str, Any]] = read_document(HERE / "cases.yaml").data["cases"]


def _every_reader(programs: frozenset[str], variables: frozenset[str]) -> tuple[Any, ...]:
    return READERS


def _both_ways(stack: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, ServiceFacts], dict[str, ServiceFacts]]:
    quick = read_stack(stack, env_files=env_files_of(stack))
    with monkeypatch.context() as patched:
        patched.setattr(read_module, "readers_for", _every_reader)
        slow = read_stack(stack, env_files=env_files_of(stack))
    return quick, slow


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_skipping_readers_changes_no_case(
    case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / case.get("file", "docker-compose.yml")
    file.write_text(case["compose"], encoding="utf-8")
    for name, text in case.get("files", {}).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    quick, slow = _both_ways(load_stack([file], env={}), monkeypatch)
    assert quick == slow


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.yml")))
def test_skipping_readers_changes_no_corpus_file(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    quick, slow = _both_ways(load_stack([CORPUS / name], env={}), monkeypatch)
    assert quick == slow


def test_every_reader_asks_about_something() -> None:
    """A reader that asked about nothing would never run (or would run on every service)."""
    for needs in NEEDS:
        assert needs.programs or needs.variables, needs.reader
        assert not needs.always, needs.reader  # none finds anything in an empty service


# --- random services ------------------------------------------------------------------------

ORIGIN = Origin("docker-compose.yml", 3, 5)


def _option_names(module: str) -> list[str]:
    import importlib

    found = importlib.import_module(f"composegen.facts.{module}")
    names: list[str] = []
    for value in vars(found).values():
        if isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
            names.extend(k for k in value if k.startswith("-"))
    return names


#: Words the readers know (their options and values), and some they don't.
WORDS = st.sampled_from(
    sorted(
        {
            *(name for module in ("python", "jvm", "databases", "llm") for name in _option_names(module)),
            "-c",
            "shared_buffers=1GB",
            "-Xmx2g",
            "-XX:+UseG1GC",
            "worker",
            "serve",
            "runserver",
            "--noreload",
            "4",
            "2k",
            "app:app",
            "-",
            "--",
            "x.conf",
            "yes",
            "",
        }
    )
)
VALUES = st.sampled_from(
    ["4", "1g", "-Xmx1g -Xms1g", "-w 3", "'broken", "llama3", "on", "", "off", "--max-old-space-size=512"]
)
NAMES = st.sampled_from(sorted({*ASKED, "POSTGRES_PASSWORD", "DSN", "PATH"}))
COMMANDS = st.lists(st.tuples(st.sampled_from(sorted(set(PROGRAMS.values()))), st.lists(WORDS, max_size=6)), max_size=3)


def _context(commands: list[tuple[str, list[str]]], env: dict[str, str]) -> Context:
    found = tuple(
        (program, tuple(Word(text, ORIGIN, "command") for text in [program, *words])) for program, words in commands
    )
    variables = {name: EnvVar(name, value, ORIGIN, f"environment {name}", "x:1") for name, value in env.items()}
    return Context("web", "example/app", found, variables)


def _read(ctx: Context, readers: tuple[Any, ...]) -> Readout:
    facts: list[Fact] = []
    unread: list[Any] = []
    for reader in readers:
        readout = reader(ctx)
        facts.extend(readout.facts)
        unread.extend(readout.unread)
    return Readout(facts, unread)


@settings(deadline=None, max_examples=300)  # a shared CI machine: no time limit per example
@given(COMMANDS, st.dictionaries(NAMES, VALUES, max_size=6))
def test_the_readers_that_apply_read_what_every_reader_reads(commands: Any, env: dict[str, str]) -> None:
    ctx = _context(commands, env)
    programs = frozenset(program for program, _ in ctx.commands)
    chosen = readers_for(programs, frozenset(asked_variables(ctx.env)))
    assert _read(ctx, chosen) == _read(ctx, READERS)


@settings(deadline=None)
@given(st.dictionaries(NAMES, VALUES, max_size=4), st.dictionaries(NAMES, VALUES, max_size=6))
def test_env_files_answer_as_a_mapping_would(own: dict[str, str], files: dict[str, str]) -> None:
    env = {name: EnvVar(name, value, ORIGIN, f"environment {name}", "x:1") for name, value in own.items()}
    variables = {name: (value, ".env:1") for name, value in files.items()}
    merged = WithEnvFiles(env, variables, ORIGIN)
    for name in (*ASKED, "POSTGRES_PASSWORD"):
        assert (name in merged) is (name in dict(merged.items()))
    assert bool(merged) is (len(merged) > 0)
    assert asked_variables(merged) == ASKED.intersection(dict(merged.items()))


# --- grouping, finishing words ----------------------------------------------------------------

PAIRS = st.sampled_from(
    [*ACCUMULATING, ("gunicorn", "workers"), ("gunicorn", "config_file"), ("jvm", "heap_max"), ("postgres", "work_mem")]
)
FACTS = st.lists(
    st.builds(
        lambda pair, value, overridden: Fact(
            pair[0], pair[1], value, str(value), ORIGIN, "command", overridden=overridden
        ),
        PAIRS,
        st.integers(0, 3),
        st.booleans(),
    ),
    max_size=6,
)


@settings(deadline=None)
@given(FACTS)
def test_grouping_facts_that_share_no_setting_keeps_them(facts: list[Fact]) -> None:
    assert _group(facts) == group_facts(facts)


TEXTS = st.text(alphabet=st.sampled_from("abcdegilmnoprstuy.:/-_MDB"), max_size=20) | st.sampled_from(
    ["./manage.py", "manage.py/", "src/manage.py", "xmanage.py", "django-admin", "db:Seed", "MIGRATE", "collectstatic"]
)


@settings(deadline=None)
@given(TEXTS)
def test_one_search_finds_each_finishing_word(text: str) -> None:
    lowered = text.lower()
    assert bool(compose_facts._FINISHING_WORD.search(lowered)) is any(
        m in lowered for m in compose_facts._FINISHING_WORDS
    )
    assert compose_facts._is_manage(text) is (basename(text) == "manage.py" or text == "django-admin")


DEPLOY_RESOURCES = {
    "resources": {"limits": {"memory": "1g", "cpus": 0.5, "pids": 10}, "reservations": {"memory": "256m"}}
}
#: Services that set some of the resource keys (and others), with values compose reads or refuses.
RESOURCE_SERVICES = st.dictionaries(
    st.sampled_from(["shm_size", "pids_limit", "mem_limit", "memswap_limit", "mem_reservation", "cpus", "deploy"])
    | st.sampled_from(["image", "tmpfs", "environment", "command"]),
    st.sampled_from([None, "512m", "-1", 2, 0.5, "x", ["/scratch:size=64m"], {"resources": None}, DEPLOY_RESOURCES]),
    max_size=5,
)


@given(RESOURCE_SERVICES)
def test_a_service_without_resource_keys_skips_them_alike(service: dict[str, Any]) -> None:
    """`resources` looks up each figure only where the service sets one of RESOURCE_KEYS' first
    keys; looking each one up always finds the same facts."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compose_facts, "_RESOURCE_ROOTS", frozenset(service) | {""})  # never disjoint
        slow = compose_facts.resources(service)
    assert compose_facts.resources(service) == slow


#: Services that set some of the keys the compose facts read (and others), with values compose
#: reads or refuses.
COMPOSE_FACT_SERVICES = st.dictionaries(
    st.sampled_from(sorted(compose_facts.FACT_KEYS)) | st.sampled_from(["image", "environment", "command", "restart"]),
    st.sampled_from(
        [
            None,
            "512m",
            2,
            "x",
            ["/scratch:size=64m", "./gunicorn.conf.py:/app/gunicorn.conf.py"],
            [{"type": "tmpfs", "target": "/data", "tmpfs": {"size": "1g"}}, {"target": "/etc/redis.conf"}],
            {"test": ["CMD", "curl", "-f", "http://x"], "interval": "5s"},
            {"replicas": 2, "mode": "global", "placement": {}, **DEPLOY_RESOURCES},
        ]
    ),
    max_size=5,
)


@settings(deadline=None)
@given(COMPOSE_FACT_SERVICES)
def test_the_compose_facts_of_a_service_are_each_readers(service: dict[str, Any]) -> None:
    """`service_facts` skips a service that sets none of FACT_KEYS; asking each reader finds the
    same facts, in the same order."""

    def origin_of(key: str) -> Origin | None:
        return ORIGIN

    slow = [
        *compose_facts.replicas(service, origin_of),
        *compose_facts.config_mounts(service),
        *compose_facts.healthcheck(service),
        *compose_facts.resources(service),
    ]
    assert compose_facts.service_facts(service, origin_of) == (slow, compose_facts.service_target_evidence(service))
