"""Elasticsearch / OpenSearch sizing: half for the heap, capped (facts/sizing.md §Calculators)."""

from __future__ import annotations

import pytest

from composegen.sizing import elasticsearch
from composegen.sizing.model import ServiceInputs
from composegen.sizing.quantity import explain_lines
from composegen.units import GIB, MIB
from tests.conftest import leaves, make_inputs, make_profile


def es(image: str | None = "elasticsearch:8.15.0", **spec: object) -> ServiceInputs:
    return make_inputs("elasticsearch", image=image, **spec)


@pytest.mark.parametrize(
    ("spec", "ram", "heap_mib"),
    [
        ({}, 1 * GIB, 512),  # the 1 GiB default, 50%
        ({"memory": "512M"}, 1 * GIB, 512),  # raised to the 1 GiB floor
        ({"memory": "4G"}, 4 * GIB, 2048),  # 50%
        ({"memory": "64G"}, 64 * GIB, 31 * 1024),  # 50% = 32 GiB → capped at 31 GiB
    ],
)
def test_heap(spec: dict[str, object], ram: int, heap_mib: int) -> None:
    sizing = elasticsearch.size(es(**spec), make_profile())
    assert sizing.extra["heap"].value == heap_mib * MIB
    assert sizing.memory.value == pytest.approx(ram * 1.2)  # node RAM × margin
    assert [(e.key, e.value) for e in sizing.environment] == [("ES_JAVA_OPTS", f"-Xms{heap_mib}m -Xmx{heap_mib}m")]


def test_big_heap_mentions_zero_based_oops() -> None:
    sizing = elasticsearch.size(es(memory="64G"), make_profile())
    assert any("26 GB" in n for n in sizing.notes)
    small = elasticsearch.size(es(memory="4G"), make_profile())
    assert not any("26 GB" in n for n in small.notes)


@pytest.mark.parametrize(
    ("image", "key"),
    [
        ("docker.elastic.co/elasticsearch/elasticsearch:8.15.0", "ES_JAVA_OPTS"),
        ("elasticsearch:7.16.1", "ES_JAVA_OPTS"),
        ("opensearchproject/opensearch:2.17.0", "OPENSEARCH_JAVA_OPTS"),
    ],
)
def test_variable_by_image(image: str, key: str) -> None:
    sizing = elasticsearch.size(es(image), make_profile())
    assert [e.key for e in sizing.environment] == [key]


def test_a_preset_variable_is_left_alone() -> None:
    inputs = es()
    inputs = inputs._replace(base=inputs.base._replace(environment={"ES_JAVA_OPTS": "-Xms2g -Xmx2g"}))
    sizing = elasticsearch.size(inputs, make_profile())
    assert sizing.environment == ()
    assert any("ES_JAVA_OPTS is already set" in n for n in sizing.notes)


def test_healthcheck_and_defaults() -> None:
    sizing = elasticsearch.size(es(), make_profile())
    assert sizing.healthcheck_test is not None
    assert sizing.healthcheck_test[0] == "CMD-SHELL"
    assert "curl" in sizing.healthcheck_test[1]
    assert "9200/_cluster/health" in sizing.healthcheck_test[1]
    assert "$" not in sizing.healthcheck_test[1]
    assert sizing.startup.value == 60
    assert sizing.hardening is False


def test_derivations_name_their_sources() -> None:
    sizing = elasticsearch.size(es(), make_profile())
    text = "\n".join(explain_lines(sizing.extra["heap"]))
    assert "facts/sizing.md §Calculators (Elasticsearch heap)" in text
    assert "composegen default (assumed)" in text
    for q in (sizing.memory, sizing.startup, *sizing.extra.values()):
        for leaf in leaves(q):
            assert leaf.source, f"{leaf.name} has no source"
