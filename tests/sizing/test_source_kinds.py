"""A number's source kind is typed (issue 13 item 2): a source whose text says it is composegen's
default or assumption, or a program's default, carries the kind that says so, and lint's `weak()`
reads the kind, never the words."""

from __future__ import annotations

import ast
import dataclasses
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from composegen.lint.readers import strength, weak
from composegen.render.overlay import plan
from composegen.sizing.quantity import Quantity, given

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "composegen"
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if (p / "composegen.yaml").is_file())
PROFILES = ("dev", "prod", "pytest")
#: What a source says when its value is nobody's choice: composegen's default or assumption, or a
#: program's own default.
CLAIM = re.compile(r"\b(default|defaults|assumed|assumption)\b", re.IGNORECASE)
WEAK = ("default", "assumed")

#: One service of every role composegen detects, none of them described in composegen.yaml: the
#: calculators fall back to their defaults and assumptions.
EVERY_ROLE = """\
services:
  db: {image: "postgres:16.4"}
  cache: {image: "redis:7.4"}
  ch: {image: "clickhouse/clickhouse-server:24.8"}
  my: {image: "mysql:8.4"}
  mongo: {image: "mongo:7.0"}
  kafka: {image: "apache/kafka:3.8.0"}
  zk: {image: "zookeeper:3.9"}
  es: {image: "elasticsearch:8.15.0"}
  proxy: {image: "nginx:1.27"}
  web: {image: "python:3.12", command: "gunicorn app:app"}
  worker: {image: "python:3.12", command: "celery -A shop worker"}
  tests: {image: "python:3.12", command: "pytest -n auto"}
  app: {image: "eclipse-temurin:21", command: "java -jar app.jar"}
  other: {image: "busybox:1.36"}
"""


def quantities(value: Any, seen: set[int] | None = None) -> Iterator[Quantity]:
    """Every Quantity inside a plan: named tuples, tuples, lists, mappings and dataclasses."""
    seen = set() if seen is None else seen
    if id(value) in seen or isinstance(value, (str, bytes, int, float, Path)) or value is None:
        return
    seen.add(id(value))
    if isinstance(value, Quantity):
        yield value
        for part in value.parts:
            yield from quantities(part, seen)
    elif isinstance(value, dict):
        for item in value.values():
            yield from quantities(item, seen)
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from quantities(item, seen)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from quantities(getattr(value, field.name), seen)


def claims_checked(found: Iterator[Quantity]) -> list[Quantity]:
    """The leaves whose source claims a default or an assumption, each held to a weak kind."""
    claimed = []
    for q in found:
        if q.parts or not CLAIM.search(q.source):
            continue
        claimed.append(q)
        assert q.source_kind in WEAK, f"{q.name} = {q.show()}: source {q.source!r} says so, kind {q.source_kind!r}"
    return claimed


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_plan_types_its_defaults(tmp_path: Path, example: Path) -> None:
    """Each example with the profile of its name (agent-scale, ml, ...), else dev."""
    folder = tmp_path / example.name
    shutil.copytree(example, folder)
    profile = example.name if (ROOT / "profiles" / f"{example.name}.yaml").is_file() else "dev"
    claims_checked(quantities(plan(profile, None, folder)))


@pytest.mark.parametrize("profile", PROFILES)
def test_every_role_types_its_defaults(tmp_path: Path, profile: str) -> None:
    (tmp_path / "docker-compose.yml").write_text(EVERY_ROLE)
    planned = plan(profile, None, tmp_path)
    assert {s.role for s in planned.stack.services} >= {
        "postgres", "redis", "clickhouse", "mysql", "mongo", "kafka", "zookeeper", "elasticsearch", "proxy",
        "python-web", "worker", "pytest", "jvm", "generic",
    }  # fmt: skip
    assert claims_checked(quantities(planned))  # the defaults are there, and typed


def _constants(tree: ast.Module) -> dict[str, str]:
    """A module's top-level string constants (plain or f-strings), as text."""
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = ast.unparse(node.value)
    return found


def _given_sources() -> Iterator[tuple[str, int, str, bool]]:
    """(file, line, source text, has a kind) of every `given(...)` call in the package."""
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _constants(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "given"):
                continue
            keywords = {k.arg: k.value for k in node.keywords}
            source = node.args[3] if len(node.args) > 3 else keywords.get("source")
            if source is None:
                continue
            text = constants.get(source.id, source.id) if isinstance(source, ast.Name) else ast.unparse(source)
            typed = len(node.args) > 4 or "kind" in keywords
            yield str(path.relative_to(ROOT)), node.lineno, text, typed


def test_every_given_whose_source_claims_a_default_types_it() -> None:
    untyped = [
        f"{file}:{line}: {text}" for file, line, text, typed in _given_sources() if CLAIM.search(text) and not typed
    ]
    assert untyped == []


def test_weak_reads_the_kind_not_the_words() -> None:
    assert weak(given("x", 1, "count", "composegen default (assumed)", "assumed"))
    assert weak(given("x", 1, "count", "some text", "default"))
    assert not weak(given("x", 1, "count", "the default the manual documents", "fact"))
    assert weak(given("x", 1, "count", "profile lint: roles.web.memory"))  # the neutral profile lint sizes with
    assert not weak(given("x", 1, "count", "profile dev: roles.web.memory"))
    assert strength(given("x", 1, "count", "composegen.yaml: services.web.workers")) == "declared"
    assert strength(given("x", 1, "count", "PostgreSQL default max_connections", "default")) == "default"
