"""MongoDB sizing: the WiredTiger cache from the RAM budget (MongoDB manual's formula)."""

from __future__ import annotations

import pytest

from composegen.sizing import mongo
from composegen.sizing.model import ServiceInputs
from composegen.sizing.quantity import explain_lines
from composegen.units import GIB, MIB
from tests.conftest import leaves, make_inputs, make_profile

TMPFS = {"tmpfs": {"data_dirs": True}}


def mg(image: str | None = "mongo:7", **spec: object) -> ServiceInputs:
    return make_inputs("mongo", image=image, **spec)


@pytest.mark.parametrize(
    ("memory", "cache", "gb"),
    [
        ("1G", 256 * MIB, "0.25"),  # 0.5 × (1 − 1) GiB = 0 → the 256 MB floor
        ("1536M", 256 * MIB, "0.25"),  # 0.5 × 0.5 GiB = 256 MiB
        ("2G", 512 * MIB, "0.5"),  # 0.5 × 1 GiB
        ("3G", 1 * GIB, "1"),  # 0.5 × 2 GiB
        ("4G", 1.5 * GIB, "1.5"),  # 0.5 × 3 GiB
    ],
)
def test_wiredtiger_cache(memory: str, cache: float, gb: str) -> None:
    sizing = mongo.size(mg(memory=memory), make_profile())
    assert sizing.extra["wiredTigerCacheSize"].value == cache
    assert sizing.command == ("--wiredTigerCacheSizeGB", gb)


def test_limit_and_tmpfs() -> None:
    off = mongo.size(mg(), make_profile())
    assert off.memory.value == pytest.approx(1.2 * GIB)  # default 1 GiB budget × 1.2
    on = mongo.size(mg(), make_profile(**TMPFS))
    (mount,) = on.tmpfs
    assert mount.path == "/data/db"
    assert mount.size.value == (64 + 320) * MIB  # profile minimum + empty dbpath and journal
    assert on.memory.value - off.memory.value == pytest.approx(mount.size.value)


@pytest.mark.parametrize(
    ("image", "base", "applied"),
    [
        ("mongo:7", {}, True),
        ("mongo:4.2.0", {}, True),
        ("bitnami/mongodb:7.0", {}, False),
        ("mongo:7", {"command": "--replSet rs0"}, False),
    ],
)
def test_command_only_for_official_images_without_command(image: str, base: dict[str, object], applied: bool) -> None:
    inputs = mg(image)
    inputs = inputs._replace(base=inputs.base._replace(**base))
    sizing = mongo.size(inputs, make_profile())
    assert (sizing.command is not None) is applied
    assert any(n.startswith("wiredTigerCacheSizeGB not applied") for n in sizing.notes) is not applied


def test_healthcheck_works_with_old_and_new_shells() -> None:
    sizing = mongo.size(mg(), make_profile())
    assert sizing.healthcheck_test is not None
    kind, script = sizing.healthcheck_test
    assert kind == "CMD-SHELL"
    assert script.startswith("mongosh ") and "|| mongo " in script
    assert "$" not in script  # nothing for compose to interpolate
    assert sizing.hardening is False


def test_derivations_name_their_sources() -> None:
    sizing = mongo.size(mg(), make_profile())
    text = "\n".join(explain_lines(sizing.extra["wiredTigerCacheSize"]))
    assert "MongoDB manual, WiredTiger cache default (not in facts)" in text
    for q in (sizing.memory, sizing.startup, *sizing.extra.values()):
        for leaf in leaves(q):
            assert leaf.source, f"{leaf.name} has no source"
