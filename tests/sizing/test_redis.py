"""Redis sizing: maxmemory and the fork room, worked by hand from facts/sizing.md §Databases."""

from __future__ import annotations

import pytest

from composegen.sizing import redis
from composegen.sizing.model import ServiceInputs
from composegen.sizing.quantity import explain_lines
from composegen.units import MIB
from tests.conftest import leaves, make_inputs, make_profile

TMPFS = {"tmpfs": {"data_dirs": True}}


def rd(image: str | None = "redis:7", **spec: object) -> ServiceInputs:
    return make_inputs("redis", image=image, **spec)


@pytest.mark.parametrize(
    ("spec", "profile", "maxmemory", "limit_mib"),
    [
        # persistence on (the default without tmpfs): maxmemory = 100 MiB × 1.2 = 120 MiB,
        # half the limit → 240 MiB
        ({"dataset": "100M"}, {}, 120 * MIB, 240.0),
        # persistence off: maxmemory is 85% of the limit → 120 / 0.85 = 141.18 MiB
        ({"dataset": "100M", "persistence": False}, {}, 120 * MIB, 120 / 0.85),
        # tmpfs profile: persistence off by default; + the profile's 64 MiB tmpfs minimum
        ({"dataset": "100M"}, TMPFS, 120 * MIB, 120 / 0.85 + 64),
        # tmpfs profile with persistence asked for: 240 MiB + tmpfs 100 MiB × 2 = 440 MiB
        ({"dataset": "100M", "persistence": True}, TMPFS, 120 * MIB, 240 + 200.0),
        # nothing declared: the 64 MiB default dataset × 1.2 = 76.8 MiB; × 2 = 153.6 MiB
        ({}, {}, 76.8 * MIB, 153.6),
        # declared memory is the data budget when no dataset is given: 1 GiB × 1.2 × 2
        ({"memory": "1G"}, {}, 1228.8 * MIB, 2457.6),
    ],
)
def test_maxmemory_and_limit(
    spec: dict[str, object], profile: dict[str, object], maxmemory: float, limit_mib: float
) -> None:
    sizing = redis.size(rd(**spec), make_profile(**profile))
    assert sizing.extra["maxmemory"].value == pytest.approx(maxmemory)
    assert sizing.memory.value == pytest.approx(limit_mib * MIB)


def test_command_with_persistence() -> None:
    sizing = redis.size(rd(dataset="100M"), make_profile())
    # 120 MiB = 125829120 bytes
    assert sizing.command == ("redis-server", "--maxmemory", "125829120", "--maxmemory-policy", "noeviction")


def test_command_without_persistence_turns_saving_off() -> None:
    sizing = redis.size(rd(dataset="100M"), make_profile(**TMPFS))
    assert sizing.command == (
        "redis-server",
        "--maxmemory",
        "125829120",
        "--maxmemory-policy",
        "noeviction",
        "--save",
        "",
        "--appendonly",
        "no",
    )
    (mount,) = sizing.tmpfs
    assert mount.path == "/data"
    assert mount.size.value == 64 * MIB


def test_tmpfs_adds_exactly_its_size() -> None:
    spec = {"dataset": "100M", "persistence": True}
    off = redis.size(rd(**spec), make_profile())
    on = redis.size(rd(**spec), make_profile(**TMPFS))
    (mount,) = on.tmpfs
    assert on.memory.value - off.memory.value == pytest.approx(mount.size.value)


@pytest.mark.parametrize(
    ("image", "base", "server", "cli"),
    [
        ("redis:7.4-alpine", {}, "redis-server", "redis-cli"),
        ("docker.io/redis:7", {}, "redis-server", "redis-cli"),
        ("valkey/valkey:8.0-alpine", {}, "valkey-server", "valkey-cli"),
        ("bitnami/redis:7.2", {}, None, "redis-cli"),
        ("redis:7", {"command": "redis-server /usr/local/etc/redis/redis.conf"}, None, "redis-cli"),
        ("redis:7", {"entrypoint": ("sh", "-c")}, None, "redis-cli"),
    ],
)
def test_command_only_for_official_images_without_command(
    image: str,
    base: dict[str, object],
    server: str | None,
    cli: str,
) -> None:
    inputs = rd(image, dataset="100M")
    inputs = inputs._replace(base=inputs.base._replace(**base))
    sizing = redis.size(inputs, make_profile())
    assert (sizing.command[0] if sizing.command else None) == server
    assert sizing.healthcheck_test == ("CMD", cli, "ping")
    if server is None:
        assert any(n.startswith("redis settings not applied") and "--maxmemory 125829120" in n for n in sizing.notes)


@pytest.mark.parametrize(
    ("spec", "seconds"),
    [
        ({"dataset": "100M"}, 6),  # persistence on: 5 s + 100 MiB RDB ÷ 100 MiB/s
        ({"dataset": "100M", "persistence": False}, 5),  # nothing to load
    ],
)
def test_startup(spec: dict[str, object], seconds: float) -> None:
    assert redis.size(rd(**spec), make_profile()).startup.value == pytest.approx(seconds)


def test_derivations_name_their_sources() -> None:
    sizing = redis.size(rd(), make_profile())
    text = "\n".join(explain_lines(sizing.memory))
    assert "facts/sizing.md §Databases (Redis)" in text
    assert "composegen default (assumed)" in text  # the 64 MiB dataset nobody declared
    assert sizing.hardening is False
    for q in (sizing.memory, sizing.startup, *sizing.extra.values()):
        for leaf in leaves(q):
            assert leaf.source, f"{leaf.name} has no source"
