"""Proxy sizing: small named defaults, no command, no healthcheck."""

from __future__ import annotations

import pytest

from composegen.sizing import proxy
from composegen.sizing.model import ServiceInputs
from composegen.units import MIB
from tests.conftest import leaves, make_inputs, make_profile


def px(image: str | None, **spec: object) -> ServiceInputs:
    return make_inputs("proxy", image=image, **spec)


@pytest.mark.parametrize(
    ("image", "kind", "baseline_mib"),
    [
        ("nginx:1.27", "nginx", 64),
        ("nginxinc/nginx-unprivileged:1.27", "nginx", 64),
        ("openresty/openresty:alpine", "nginx", 64),
        ("haproxy:3.0", "haproxy", 64),
        ("docker.io/library/caddy:2-alpine", "caddy", 64),
        ("traefik:2.6", "traefik", 128),
        ("envoyproxy/envoy:v1.31-latest", "envoy", 128),
        ("ghcr.io/acme/edge:1", "proxy", 128),
    ],
)
def test_baselines(image: str, kind: str, baseline_mib: int) -> None:
    sizing = proxy.size(px(image), make_profile())
    assert proxy.kind(px(image)) == kind
    assert sizing.memory.value == pytest.approx(baseline_mib * MIB * 1.2)  # baseline × margin
    assert sizing.memory.parts[0].source.startswith("composegen default (assumed)")
    assert sizing.cpus is not None and sizing.cpus.value == 0.5
    assert sizing.command is None
    assert sizing.healthcheck_test is None
    assert sizing.hardening is False
    assert sizing.startup.value == 5


def test_declared_and_profile_values_win() -> None:
    sizing = proxy.size(px("nginx:1.27", memory="200M", cpus=2), make_profile())
    assert sizing.memory.value == pytest.approx(200 * MIB * 1.2)
    assert sizing.cpus is not None and sizing.cpus.value == 2
    profile = make_profile(roles={"proxy": {"memory": "256M", "cpus": 1}})
    sizing = proxy.size(px("traefik:3"), profile)
    assert sizing.memory.value == pytest.approx(256 * MIB * 1.2)
    assert sizing.cpus is not None and sizing.cpus.value == 1


@pytest.mark.parametrize(
    ("image", "fragment"),
    [
        ("nginx:1.27", "worker_connections"),
        ("haproxy:3.0", "maxconn"),
        ("traefik:3", "no per-process cap"),
    ],
)
def test_connections_become_a_note(image: str, fragment: str) -> None:
    sizing = proxy.size(px(image, connections=5000), make_profile())
    assert any("5000 connections" in n and fragment in n for n in sizing.notes)


def test_nginx_worker_processes_note_and_sources() -> None:
    sizing = proxy.size(px("nginx:1.27"), make_profile())
    assert any("worker_processes auto" in n for n in sizing.notes)
    for q in (sizing.memory, sizing.startup):
        for leaf in leaves(q):
            assert leaf.source, f"{leaf.name} has no source"
