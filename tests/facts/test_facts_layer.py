"""The stack-facts layer's contracts: what it may import, that it stays linear in its input, and
the parts of its API the cases file does not reach (env files, image names)."""

from __future__ import annotations

import ast
import time
from pathlib import Path

from composegen.compose.stack import load_stack
from composegen.compose.syntax import image_name, image_tag
from composegen.facts import read_service, read_stack
from composegen.facts.read import StackReader, env_files_of
from composegen.sizing import detect

PACKAGE = Path(__file__).resolve().parents[2] / "composegen" / "facts"
#: DESIGN.md's parts table: stack facts import compose, units, errors and yamlio, and nothing above.
ALLOWED = ("composegen.compose", "composegen.units", "composegen.errors", "composegen.yamlio", "composegen.facts")


def _imports(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


def test_facts_import_only_the_layers_below() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) >= 8
    for module in modules:
        for name in _imports(module):
            if name.startswith("composegen"):
                assert name.startswith(ALLOWED), f"{module.name} imports {name}"
            assert name not in ("dataclasses", "pydantic"), f"{module.name} imports {name}"


def test_image_name_lives_in_compose_and_sizing_uses_it() -> None:
    assert detect.image_name is image_name
    assert image_name("ghcr.io/acme/postgres:16@sha256:abc") == "postgres"
    assert image_name("vllm/vllm-openai") == "vllm-openai"
    assert image_tag("ghcr.io/ggml-org/llama.cpp:server-cuda") == "server-cuda"
    assert image_tag("localhost:5000/app") == ""


def test_env_file_variables_count_where_the_caller_reads_them(tmp_path: Path) -> None:
    (tmp_path / "web.env").write_text("WEB_CONCURRENCY=5\n", encoding="utf-8")
    file = tmp_path / "compose.yaml"
    file.write_text(
        "services:\n  web:\n    image: python\n    command: gunicorn app:app\n    env_file: web.env\n",
        encoding="utf-8",
    )
    stack = load_stack([file], env={})
    assert read_service(stack, "web").get("workers") is None  # pure: the env file is not read
    facts = read_service(stack, "web", environment=stack.effective_environment("web"))
    found = facts.get("workers", "gunicorn")
    assert found is not None
    assert (found.value, found.via, found.where()) == (5, "env_file WEB_CONCURRENCY", f"{file}:5")
    assert read_stack(stack, environments={"web": {"WEB_CONCURRENCY": "2"}})["web"].value("workers") == 2


SERVICES_READ_ALONE = """\
services:
  db:
    image: registry.example/pg-custom:16
    command: ["-c", "maintenance_work_mem=512MB"]
  web:
    image: python
    command: gunicorn app:app
    env_file: web.env
    depends_on:
      migrate: {condition: service_completed_successfully}
  migrate:
    image: python
    command: python manage.py migrate
    env_file: [web.env, missing.env]
"""


def test_a_service_read_alone_reads_as_in_its_stack(tmp_path: Path) -> None:
    """StackReader (lint reads only the services a rule asks about) gives each service the facts
    read_stack gives it: env files, declared roles and other services' evidence included."""
    (tmp_path / "web.env").write_text("WEB_CONCURRENCY=5\n", encoding="utf-8")
    (tmp_path / "compose.yaml").write_text(SERVICES_READ_ALONE, encoding="utf-8")
    stack = load_stack([tmp_path / "compose.yaml"], env={})
    roles = {"db": "postgres"}
    whole = read_stack(stack, env_files=env_files_of(stack), roles=roles)
    assert whole["web"].value("workers") == 5 and whole["migrate"].run_once  # the case reaches them
    assert whole["db"].value("maintenance_work_mem") is not None
    reader = StackReader(stack, roles=roles)
    for name in reversed(list(whole)):
        assert reader.service(name) == whole[name], name
    assert reader.service("no-such-service") is None


def _elapsed(file: Path) -> float:
    stack = load_stack([file], env={})
    start = time.perf_counter()
    read_stack(stack)
    return time.perf_counter() - start


def test_linear_in_the_command_length(tmp_path: Path) -> None:
    """100,000 flags on a command line and 20,000 commands in a sh -c script read in well under a
    second each here; a quadratic step would take minutes."""
    flags = " ".join(f"--opt{i}=x -w {i}" for i in range(50_000))
    script = " && ".join(f"echo {i}" for i in range(20_000))
    file = tmp_path / "compose.yaml"
    file.write_text(
        "services:\n"
        f"  web:\n    image: python\n    command: gunicorn {flags} app:app\n"
        f"  job:\n    image: python\n    command: sh -c '{script}; gunicorn -w 2 app:app'\n",
        encoding="utf-8",
    )
    assert _elapsed(file) < 10
    facts = read_stack(load_stack([file], env={}))
    assert facts["web"].value("workers") == 49_999
    assert facts["job"].value("workers") == 2


ODD_SERVICE = """\
services:
  odd:
    image: 5
    command: {a: 1}
    entrypoint: 7
    environment: [A, "B=", 3, "GUNICORN_CMD_ARGS='unclosed", "JAVA_TOOL_OPTIONS=-Xmx"]
    volumes: [{type: bind}, "", 5, {target: /etc/redis/redis.conf}]
    configs: [x, {target: 5}]
    deploy: {replicas: many, mode: 3, restart_policy: none}
    scale: -1
    profiles: tools
    restart: 4
    depends_on: [a]
  other:
    image: postgres
    command: ["-c"]
    depends_on: {odd: {condition: [1]}, missing: 3}
  empty:
  listed: [1, 2]
networks: {n: 4, m: {driver: [overlay]}}
"""


def test_odd_shapes_give_facts_never_an_exception(tmp_path: Path) -> None:
    """load_stack does not validate: every key may hold any shape, and reading never raises."""
    file = tmp_path / "compose.yaml"
    file.write_text(ODD_SERVICE, encoding="utf-8")
    from composegen.facts import read_stack_facts

    facts = read_stack_facts(load_stack([file], env={}))
    odd = facts.services["odd"]
    assert odd.get("replicas") is not None and odd.get("replicas").status == "unreadable"  # type: ignore[union-attr]
    assert odd.get("GUNICORN_CMD_ARGS", "environment") is not None
    assert odd.value("heap_max", "jvm") is None
    assert [f.value for f in odd.all("config_file")] == ["/etc/redis/redis.conf"]
    assert facts.services["other"].programs == ("postgres",)
    assert facts.target is None


def test_a_script_word_expands_within_a_bound() -> None:
    """`$VAR` in a script reads the container's value; a word the expansion would make longer than
    a bound stays as written (every input in linear time)."""
    from composegen.facts.argv import Word, expanded

    env = {"W": ("8", "app.env:2"), "BIG": ("x" * 1000, "app.env:3")}
    word = expanded(Word("--workers=${W}", None, "command"), env)
    assert (word.text, word.shown, word.cited()) == (
        "--workers=8",
        "--workers=${W}",
        "--workers=${W} (W set at app.env:2)",
    )
    many = Word("$BIG" * 100_000, None, "command")
    assert expanded(many, env) is many
    unset = Word("$NOPE", None, "command")
    assert expanded(unset, env) is unset


def test_readers_read_only_commands_and_environment() -> None:
    """read_service skips the readers for a service with no command and no environment (most of a
    large stack): every reader must find nothing there."""
    from composegen.facts.context import Context
    from composegen.facts.read import READERS

    empty = Context("web", "postgres", (), {})
    for reader in READERS:
        assert reader(empty) == ([], []), reader.__name__
