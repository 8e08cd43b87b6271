"""Redis sizing: maxmemory and the fork room, worked by hand from facts/sizing.md §Databases."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from composegen.sizing import redis
from composegen.sizing.model import ServiceInputs
from composegen.sizing.quantity import explain_lines
from composegen.units import MIB
from tests.conftest import leaves, make_inputs, make_profile

TMPFS = {"tmpfs": {"data_dirs": True}}


def rd(image: str | None = "redis:7", **spec: object) -> ServiceInputs:
    return make_inputs("redis", image=image, **spec)


#: 100 MiB of values in 128-byte values (the default size): 819200 keys × 91 bytes = 71.09 MiB
#: beside the values' 100 × 1.25 = 125 MiB (jemalloc's size classes), × the default margin 1.2
DATA_100M = (125 + 819200 * 91 / MIB) * 1.2
KIB_1 = 125 + 102400 * 91 / MIB


@pytest.mark.parametrize(
    ("spec", "profile", "maxmemory_mib", "limit_mib"),
    [
        # persistence on (the default without tmpfs): maxmemory is half the limit
        ({"dataset": "100M"}, {}, DATA_100M, DATA_100M * 2),
        # persistence off: maxmemory is 85% of the limit
        ({"dataset": "100M", "persistence": False}, {}, DATA_100M, DATA_100M / 0.85),
        # tmpfs profile: persistence off by default, and then no tmpfs /data: nothing is saved
        ({"dataset": "100M"}, TMPFS, DATA_100M, DATA_100M / 0.85),
        # tmpfs profile with persistence asked for: + a tmpfs of two dumps of maxmemory, whole MiB
        ({"dataset": "100M", "persistence": True}, TMPFS, DATA_100M, DATA_100M * 2 + math.ceil(DATA_100M * 2)),
        # nothing declared: the 64 MiB default in 128-byte values: 64 × 1.25 + 524288 × 91 B
        # (45.5 MiB) = 125.5 MiB, × 1.2 = 150.6 MiB; × 2
        ({}, {}, 150.6, 301.2),
        # declared memory is the data in memory when nothing else is given: 1 GiB × 1.2 × 2
        ({"memory": "1G"}, {}, 1228.8, 2457.6),
        # 1 KiB values: 102400 keys × 91 B + 125 MiB, × 1.2
        ({"dataset": "100M", "value_size": "1K"}, {}, KIB_1 * 1.2, KIB_1 * 2.4),
        # a declared key count: 100 MiB × 1.25 + 1000 × 91 B, × 1.2
        ({"dataset": "100M", "keys": 1000}, {}, (125 + 91000 / MIB) * 1.2, (125 + 91000 / MIB) * 2.4),
        # keys and value size without a dataset: 1Mi keys × 1 KiB = 1024 MiB of values × 1.25
        # + 1Mi keys × 91 B = 91 MiB
        ({"keys": 1024**2, "value_size": "1K"}, {}, (1280 + 91) * 1.2, (1280 + 91) * 2.4),
        # 16 KiB values take jemalloc's 20 KiB class (bench/servers: at 1.07 × maxmemory refused
        # writes): 4000 × 16 KiB × 1.25 = 78.125 MiB + 4000 × 91 B
        ({"keys": 4000, "value_size": "16K"}, {}, (78.125 + 364000 / MIB) * 1.2, (78.125 + 364000 / MIB) * 2.4),
    ],
)
def test_maxmemory_and_limit(
    spec: dict[str, object], profile: dict[str, object], maxmemory_mib: float, limit_mib: float
) -> None:
    """Redis memory is not the values' size: with 80-byte values a key cost ~191 bytes on a real
    Redis 7.0 (facts/real-servers.md)."""
    sizing = redis.size(rd(**spec), make_profile(**profile))
    assert sizing.extra["maxmemory"].value == pytest.approx(maxmemory_mib * MIB)
    assert sizing.memory.value == pytest.approx(limit_mib * MIB)


MAXMEMORY_100M = str(math.floor(DATA_100M * MIB))


def test_command_with_persistence() -> None:
    sizing = redis.size(rd(dataset="100M"), make_profile())
    assert sizing.command == ("redis-server", "--maxmemory", MAXMEMORY_100M, "--maxmemory-policy", "noeviction")


def test_command_without_persistence_turns_saving_off_and_mounts_no_tmpfs() -> None:
    sizing = redis.size(rd(dataset="100M"), make_profile(**TMPFS))
    assert sizing.command == (
        "redis-server",
        "--maxmemory",
        MAXMEMORY_100M,
        "--maxmemory-policy",
        "noeviction",
        "--save",
        "",
        "--appendonly",
        "no",
    )
    assert sizing.tmpfs == ()


def test_the_default_value_size_says_how_to_declare_it() -> None:
    sizing = redis.size(rd(dataset="100M"), make_profile())
    value_size = next(q for q in leaves(sizing.extra["maxmemory"]) if q.name == "value size")
    assert value_size.source_kind == "assumed"
    assert "declare keys: or value_size:" in value_size.source
    per_key = next(q for q in leaves(sizing.extra["maxmemory"]) if q.name == "memory per key")
    assert per_key.source_kind == "measured"


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
        flag = f"--maxmemory {MAXMEMORY_100M}"
        assert any(n.startswith("redis settings not applied") and flag in n for n in sizing.notes)


@pytest.mark.parametrize(
    ("spec", "seconds"),
    [
        ({"dataset": "100M"}, 3),  # persistence on: 1 s + 100 MiB RDB ÷ 50 MiB/s (both measured)
        ({"dataset": "100M", "persistence": False}, 1),  # nothing to load
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


@pytest.mark.parametrize(
    ("image", "spec", "dump_mib"),
    [
        # 10 MiB of 100 B values: maxmemory (10 × 1.25 + 104858 keys × 91 B) × 1.2 = 25.9 MiB; two
        # dumps of it, whole MiB (52), are below the profile's 64 MiB tmpfs minimum
        ("redis:7", {"dataset": "10M", "value_size": 100}, 52),
        # 100 MiB of 128 B values: two dumps of maxmemory (235.3 MiB) are 471 MiB, above the
        # profile's dataset × 2 (200 MiB), which the data at maxmemory would outgrow
        ("redis:7", {"dataset": "100M"}, 471),
        # a maxmemory composegen cannot write bounds nothing: the profile's minimum stays
        ("bitnami/redis:7.2", {"dataset": "10M", "value_size": 100}, 64),
    ],
)
def test_the_dump_dir_holds_two_dumps_of_maxmemory(image: str, spec: dict[str, object], dump_mib: int) -> None:
    """An RDB holds the data more compactly than memory does, and maxmemory bounds the data: the
    dump dir holds the last dump and the one a save writes beside it (bench/servers), neither more
    (the profile's 64 MiB minimum) nor less (dataset × 2, which data at maxmemory outgrows)."""
    sizing = redis.size(rd(image, persistence=True, **spec), make_profile(**TMPFS))
    (mount,) = sizing.tmpfs
    assert mount.size.value == dump_mib * MIB


@pytest.mark.parametrize(
    ("command", "dump_mib"),
    [
        ("redis-server --maxmemory 20mb", 40),  # the base's maxmemory bounds its dumps
        ("redis-server --maxmemory 20mb --appendonly yes", 64),  # an AOF grows past the data
    ],
)
def test_the_dump_dir_bound_follows_what_runs(tmp_path: Path, command: str, dump_mib: int) -> None:
    from composegen.render.overlay import plan

    (tmp_path / "docker-compose.yml").write_text(f"services:\n  cache:\n    image: redis:7\n    command: {command}\n")
    (tmp_path / "composegen.yaml").write_text(
        "compose_files: [docker-compose.yml]\nservices:\n  cache: {dataset: 10M, persistence: true}\n"
    )
    service = plan("pytest", None, tmp_path).stack.service("cache")
    assert service is not None
    (mount,) = service.sizing.tmpfs
    assert mount.size.value == dump_mib * MIB
