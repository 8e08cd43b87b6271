"""ClickHouse sizing: the floors and the server cap from facts/sizing.md §Databases."""

from __future__ import annotations

import pytest

from composegen.sizing import clickhouse
from composegen.sizing.model import ServiceInputs
from composegen.sizing.quantity import explain_lines
from composegen.units import GIB, MIB
from tests.conftest import leaves, make_inputs, make_profile

TMPFS = {"tmpfs": {"data_dirs": True}}


def ch(image: str | None = "clickhouse/clickhouse-server:25.3", **spec: object) -> ServiceInputs:
    return make_inputs("clickhouse", image=image, **spec)


@pytest.mark.parametrize(
    ("spec", "profile", "budget_gib", "note"),
    [
        ({}, {}, 2, "memory is the 2 GB floor"),  # nothing declared: the 2 GB that works with tuning
        ({"memory": "1G"}, {}, 2, "raised to 2 GB"),  # below the floor: raised
        ({}, {"roles": {"clickhouse": {"memory": "8G"}}}, 8, "below 16 GB"),  # the profile's choice
        ({"memory": "32G"}, {}, 32, None),  # recommended size: no warning
    ],
)
def test_budget_and_floor(
    spec: dict[str, object], profile: dict[str, object], budget_gib: float, note: str | None
) -> None:
    sizing = clickhouse.size(ch(**spec), make_profile(**profile))
    assert sizing.extra["budget"].value == budget_gib * GIB
    # limit = budget × 1.2 (default margin), no tmpfs
    assert sizing.memory.value == pytest.approx(budget_gib * GIB * 1.2)
    if note is None:
        assert not any("16 GB" in n or "floor" in n for n in sizing.notes)
    else:
        assert any(note in n for n in sizing.notes)


def test_tmpfs_caps_the_server_below_the_limit() -> None:
    off = clickhouse.size(ch(), make_profile())
    on = clickhouse.size(ch(), make_profile(**TMPFS))
    (mount,) = on.tmpfs
    assert mount.path == "/var/lib/clickhouse"
    assert mount.size.value == (64 + 128) * MIB  # profile minimum + empty data dir and system logs
    assert on.memory.value - off.memory.value == pytest.approx(mount.size.value)
    # 2 GiB × 1.2 = 2576980377.6 B; × 0.9 = 2319282339.84 → 2319282339
    assert on.command == ("--", "--max_server_memory_usage=2319282339")
    assert on.extra["max_server_memory_usage"].value == 2319282339
    assert off.command is None
    assert any("0.9 of the memory limit" in n for n in off.notes)


@pytest.mark.parametrize(
    ("image", "base", "applied"),
    [
        ("clickhouse/clickhouse-server:25.3", {}, True),
        ("docker.io/clickhouse/clickhouse-server:25.12", {}, True),
        ("clickhouse:25.8", {}, True),
        ("altinity/clickhouse-server:24.8", {}, False),
        ("clickhouse/clickhouse-server:25.3", {"command": ("--", "--http_port=8124")}, False),
    ],
)
def test_cap_only_for_official_images_without_command(image: str, base: dict[str, object], applied: bool) -> None:
    inputs = ch(image)
    inputs = inputs._replace(base=inputs.base._replace(**base))
    sizing = clickhouse.size(inputs, make_profile(**TMPFS))
    assert (sizing.command is not None) is applied
    assert any(n.startswith("max_server_memory_usage not applied") for n in sizing.notes) is not applied


def test_healthcheck_needs_no_credentials() -> None:
    sizing = clickhouse.size(ch(), make_profile())
    assert sizing.healthcheck_test == ("CMD", "wget", "-q", "--spider", "http://127.0.0.1:8123/ping")
    assert sizing.hardening is False


def test_startup() -> None:
    assert clickhouse.size(ch(), make_profile()).startup.value == 15
    # 15 s + 200 MiB ÷ 20 MiB/s
    assert clickhouse.size(ch(dataset="200M"), make_profile()).startup.value == pytest.approx(25)


def test_derivations_name_their_sources() -> None:
    sizing = clickhouse.size(ch(), make_profile(**TMPFS))
    text = "\n".join(explain_lines(sizing.extra["max_server_memory_usage"]))
    assert "facts/sizing.md §Databases (ClickHouse)" in text
    for q in (sizing.memory, sizing.startup, *sizing.extra.values()):
        for leaf in leaves(q):
            assert leaf.source, f"{leaf.name} has no source"
