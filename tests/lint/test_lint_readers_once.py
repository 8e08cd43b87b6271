"""What the shared readers work out once per stack gives each rule what walking the stack would."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composegen.lint.engine import run_rule
from composegen.lint.load import build_context
from composegen.lint.readers import limited_services, services_in_role, services_with
from composegen.lint.rules import all_rules
from tests.conftest import CORPUS

STACK = """\
x-base: &base
  image: nginx:1.27.1
  deploy: {resources: {limits: {memory: 64m}}}
services:
  a: {<<: *base}
  b: {image: redis:7.4, healthcheck: {test: [CMD, true]}}
  c: {<<: *base, devices: [/dev/kfd], healthcheck: {disable: true}}
  d: {image: postgres:16.4, volumes: [data:/var/lib/postgresql/data]}
"""


def test_services_with_any_of_the_keys_in_file_order(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(STACK, encoding="utf-8")
    ctx = build_context([tmp_path / "docker-compose.yml"], mode="file", env={})
    names = {
        keys: [name for name, _ in services_with(ctx, *keys)]
        for keys in [("deploy",), ("healthcheck",), ("volumes", "devices"), ("devices", "deploy"), ("ports",)]
    }
    assert names == {
        ("deploy",): ["a", "c"],
        ("healthcheck",): ["b", "c"],
        ("volumes", "devices"): ["c", "d"],
        ("devices", "deploy"): ["a", "c"],
        ("ports",): [],
    }
    services = dict(ctx.services())
    assert all(service is services[name] for name, service in services_with(ctx, "image"))
    assert [found.name for found in limited_services(ctx)] == ["a", "c"]
    assert limited_services(ctx) is limited_services(ctx)  # found once
    assert [name for name, _ in services_in_role(ctx, "postgres")] == ["d"]
    assert [name for name, _ in services_in_role(ctx, "redis")] == ["b"]
    assert services_in_role(ctx, "llm") == []


#: A service's keys that secret-in-environment and restart-policy-missing read, and others.
_SERVICE_ENTRIES = [
    "image: nginx:1.27.1",
    "command: [redis-server, --requirepass, hunter2hunter2]",
    "entrypoint: mysqld --password=hunter2hunter2",
    "healthcheck: {test: [CMD, mysqladmin, --password=hunter2hunter2]}",
    "environment: {DB_PASSWORD: hunter2hunter2, LOG: info}",
    "environment: [API_TOKEN=abcdefabcdef]",
    "depends_on: {a: {condition: service_completed_successfully}}",
    "depends_on: [a]",
    "restart: always",
    "<<: *base",
]


def _findings_walking_every_service(ctx: object, rule: object, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The rule's findings with `services_with` giving every service (the walk it replaces)."""
    module = sys.modules[rule.check.__module__]  # type: ignore[attr-defined]
    with monkeypatch.context() as patched:
        patched.setattr(module, "services_with", lambda ctx, *keys: list(ctx.services()))
        return run_rule(ctx, rule)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bodies=st.lists(st.lists(st.sampled_from(_SERVICE_ENTRIES), max_size=3, unique=True), min_size=1, max_size=5))
def test_rules_reading_some_keys_find_what_walking_every_service_finds(
    bodies: list[list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """secret-in-environment and restart-policy-missing walk only the services that set a key
    they read (`services_with`): the findings of walking every service."""
    text = "x-base: &base {image: redis:7.4, environment: {SECRET_KEY: abcdefabcdef}}\nservices:\n"
    text += "".join(f"  {chr(97 + i)}: {{{', '.join(body)}}}\n" for i, body in enumerate(bodies))
    (tmp_path / "docker-compose.yml").write_text(text, encoding="utf-8")
    ctx = build_context([tmp_path / "docker-compose.yml"], mode="file", env={})
    for rule in [r for r in all_rules() if r.name in ("secret-in-environment", "restart-policy-missing")]:
        assert run_rule(ctx, rule) == _findings_walking_every_service(ctx, rule, monkeypatch)


def test_rules_reading_some_keys_find_on_the_corpus_what_walking_every_service_finds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rules = [r for r in all_rules() if r.name in ("secret-in-environment", "restart-policy-missing")]
    assert len(rules) == 2
    for path in sorted(CORPUS.glob("*.yml")):
        ctx = build_context([path], mode="file", env={})
        for rule in rules:
            assert run_rule(ctx, rule) == _findings_walking_every_service(ctx, rule, monkeypatch), path


_NAMES = st.sampled_from(["web", "db", "1", "true", "x-a", "s0"])
_SERVICE_TEXT = st.sampled_from(["{image: nginx:1.27.1}", "{<<: *base}", "{}", "null", "[a]", "*base"])


@settings(max_examples=60, deadline=None)
@given(
    services=st.lists(st.tuples(_NAMES, _SERVICE_TEXT), max_size=5, unique_by=lambda one: one[0]),
    layout=st.sampled_from(["block", "flow", "none", "scalar"]),
)
def test_service_origins_are_origin_at_of_each_service(services: list[tuple[str, str]], layout: str) -> None:
    """`ctx.origin` of a service's own path, found for every service at once
    (`context.service_origins`), is `origin_at` of it, asked alone."""
    from composegen.compose.tree import origin_at
    from composegen.lint.context import service_origins
    from composegen.yamlio import parse_document

    head = "x-base: &base\n  image: nginx:1.27.1\n"
    if layout == "block":
        body = "services:\n" + "".join(f"  {name}: {text}\n" for name, text in services)
    elif layout == "flow":
        body = "services: {" + ", ".join(f"{name}: {text}" for name, text in services) + "}\n"
    elif layout == "scalar":
        body = "services: web\n"
    else:
        body = ""
    data = parse_document(head + body, "docker-compose.yml").data
    found = service_origins(data)
    names = list(data["services"]) if isinstance(data.get("services"), dict) else []
    assert found == {("services", name): origin_at(data, ("services", name)) for name in names}
