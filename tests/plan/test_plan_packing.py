"""Packing replicas onto hosts: data-driven cases with known optimal answers (packing_cases.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from composegen.sizing.packing import HostSize, Item, ReplicaTooLarge, lower_bound, nano_cpus, pack
from composegen.units import parse_bytes

CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "packing_cases.yaml").read_text())


def host(text: str) -> HostSize:
    """`64g/16`, or `64g/16+2gpu` with its GPUs."""
    size, _, gpus = text.partition("+")
    memory, cpus = size.split("/")
    return HostSize(text, parse_bytes(memory), nano_cpus(float(cpus)), int(gpus.removesuffix("gpu") or 0))


def items(case: dict[str, Any]) -> list[Item]:
    return [
        Item(spec["service"], n, parse_bytes(spec["memory"]), nano_cpus(float(spec["cpus"])), spec.get("gpus", 0))
        for spec in case["items"]
        for n in range(1, spec["count"] + 1)
    ]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_first_fit_decreasing_reaches_the_known_optimum(case: dict[str, Any]) -> None:
    hosts = [host(h) for h in case["hosts"]]
    wanted = items(case)
    bins = pack(wanted, hosts)
    assert len(bins) == case["optimal"]
    placed = [i for b in bins for i in b.items]
    assert sorted(placed, key=lambda i: (i.service, i.index)) == sorted(wanted, key=lambda i: (i.service, i.index))
    for b in bins:
        assert b.memory_used <= b.host.memory
        assert b.nano_cpus_used <= b.host.nano_cpus
        assert sum(i.gpus for i in b.items) <= b.host.gpus
    assert [b.extra for b in bins] == [n >= len(hosts) for n in range(len(bins))]


def test_the_lower_bound_is_met_where_the_case_says_so() -> None:
    case = next(c for c in CASES if c["name"] == "cpu decides, not memory")
    assert lower_bound(items(case), host(case["hosts"][0])) == case["optimal"] == 4


def test_a_replica_larger_than_every_host_is_refused() -> None:
    big = Item("db", 1, parse_bytes("80G"), nano_cpus(2))
    with pytest.raises(ReplicaTooLarge) as err:
        pack([big], [host("64G/16"), host("32G/32")])
    assert err.value.item == big


def test_a_replica_with_more_cpus_than_every_host_is_refused() -> None:
    with pytest.raises(ReplicaTooLarge):
        pack([Item("x", 1, parse_bytes("1G"), nano_cpus(17))], [host("64G/16")])


def test_packing_is_deterministic() -> None:
    case = next(c for c in CASES if c["name"] == "memory-heavy and cpu-heavy pair up")
    first = pack(items(case), [host(h) for h in case["hosts"]])
    assert first == pack(list(reversed(items(case))), [host(h) for h in case["hosts"]])
    assert [b.counts() for b in first] == [{"db": 1, "cruncher": 1}, {"db": 1, "cruncher": 1}]
