"""What the shared readers work out once per stack gives each rule what walking the stack would."""

from __future__ import annotations

from pathlib import Path

from composegen.lint.load import build_context
from composegen.lint.readers import limited_services, services_in_role, services_with

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
