"""JVM sizing: the Paketo breakdown from facts/sizing.md §Calculators, worked by hand."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from composegen.errors import InputError
from composegen.profiles.models import Profile
from composegen.render.overlay import plan
from composegen.sizing import jvm
from composegen.sizing.model import ServiceInputs, Sizing
from composegen.sizing.quantity import explain_lines
from composegen.units import GIB, MIB
from tests.conftest import leaves, make_inputs, make_profile

# direct 10 MiB + metaspace (14,000,000 + 5,800 × 10,000 = 72,000,000 B) + code cache 240 MiB
# + 250 threads × 1 MiB = 10485760 + 72000000 + 251658240 + 262144000 = 596288000 B (568.66 MiB)
FIXED = 596_288_000


def service(role: str, image: str | None, **spec: object) -> ServiceInputs:
    return make_inputs(role, image=image, **spec)


def with_env(inputs: ServiceInputs, **env: str) -> ServiceInputs:
    return inputs._replace(base=inputs.base._replace(environment=env))


def env(sizing: Sizing) -> dict[str, str]:
    return {e.key: e.value for e in sizing.environment}


def test_fixed_regions_are_paketos_breakdown() -> None:
    sizing = jvm.size(service("jvm", "eclipse-temurin:21", memory="2G"), make_profile())
    regions = {
        name: sizing.extra[name].value
        for name in ("direct memory", "metaspace", "code cache", "thread stacks", "head room")
    }
    assert regions == {
        "direct memory": 10 * MIB,
        "metaspace": 72_000_000,
        "code cache": 240 * MIB,
        "thread stacks": 250 * MIB,
        "head room": 0,
    }
    assert sum(regions.values()) == FIXED


@pytest.mark.parametrize(
    ("memory", "heap", "xmx"),
    [
        # 2 GiB − 596288000 B = 1551195648 B = 1479.33 MiB → -Xmx1479m
        ("2G", 2 * GIB - FIXED, "-Xmx1479m"),
        # the 1 GiB default: 1073741824 − 596288000 = 477453824 B = 455.33 MiB
        (None, 1 * GIB - FIXED, "-Xmx455m"),
    ],
)
def test_generic_heap(memory: str | None, heap: int, xmx: str) -> None:
    spec = {"memory": memory} if memory else {}
    sizing = jvm.size(service("jvm", "eclipse-temurin:21", **spec), make_profile())
    assert sizing.extra["heap"].value == heap
    assert env(sizing) == {"JAVA_TOOL_OPTIONS": xmx}
    # limit = total × 1.2
    assert sizing.memory.value == pytest.approx((2 * GIB if memory else 1 * GIB) * 1.2)
    assert sizing.hardening is True


def test_kafka_default_total_gives_the_start_scripts_heap() -> None:
    sizing = jvm.size_kafka(service("kafka", "apache/kafka:3.8.0"), make_profile())
    # heap = 1 GiB (kafka-server-start.sh -Xmx1G), total = 1073741824 + 596288000 = 1670029824
    assert sizing.extra["heap"].value == GIB
    assert sizing.extra["JVM total"].value == GIB + FIXED
    assert sizing.memory.value == pytest.approx((GIB + FIXED) * 1.2)
    assert env(sizing) == {"KAFKA_HEAP_OPTS": "-Xmx1024m -Xms1024m"}
    assert sizing.healthcheck_test is None
    assert sizing.hardening is False


@pytest.mark.parametrize(
    ("image", "noted"),
    [
        ("confluentinc/cp-kafka:7.6.1", False),
        ("bitnami/kafka:3.7", False),
        ("apache/kafka:3.8.0", False),
        ("ghcr.io/acme/kafka:1", True),
    ],
)
def test_kafka_declared_memory(image: str, noted: bool) -> None:
    sizing = jvm.size_kafka(service("kafka", image, memory="3G"), make_profile())
    # 3221225472 − 596288000 = 2624937472 B = 2503.33 MiB
    assert env(sizing) == {"KAFKA_HEAP_OPTS": "-Xmx2503m -Xms2503m"}
    assert any("assumed to start Kafka" in n for n in sizing.notes) is noted


def test_kafka_heap_below_the_default_is_noted() -> None:
    sizing = jvm.size_kafka(service("kafka", "apache/kafka:3.8.0", memory="1G"), make_profile())
    assert sizing.extra["heap"].value == GIB - FIXED
    assert any("below the 1 GiB" in n for n in sizing.notes)


ZK_FLAGS = "-XX:ReservedCodeCacheSize=32m -XX:MaxMetaspaceSize=32m -XX:MaxDirectMemorySize=16m"


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        # no heap set anywhere: (8 MiB + 16 MiB of znode data + 16,384 znodes × 1.5 KiB) × 2 =
        # 96 MiB; the official image's non-heap regions bounded in JVMFLAGS
        ("zookeeper:3.9", {"ZK_SERVER_HEAP": "96", "JVMFLAGS": ZK_FLAGS}),
        ("bitnami/zookeeper:3.9", {"ZOO_HEAP_SIZE": "96"}),
        ("confluentinc/cp-zookeeper:7.6.1", {"KAFKA_HEAP_OPTS": "-Xmx96m -Xms96m"}),
        ("ghcr.io/acme/zk:1", {"JVMFLAGS": "-Xmx96m"}),
    ],
)
def test_zookeeper_heap_from_its_znodes_by_image(image: str, expected: dict[str, str]) -> None:
    sizing = jvm.size_zookeeper(service("zookeeper", image), make_profile())
    assert sizing.extra["heap"].value == 96 * MIB
    if image.startswith("zookeeper:"):
        # the heap and the bounds JVMFLAGS writes (code cache, metaspace, direct) at their caps; the
        # profile's 1.2 on what no flag caps: Serial's 0.02 × heap (1 core) + the JVM's own 32 MiB
        limit = (96 + 32 + 32 + 16) * MIB + (96 * MIB * 0.02 + 32 * MIB) * 1.2
    else:
        limit = (96 * MIB + FIXED) * 1.2  # Paketo's regions, the JVM's defaults: the margin on all of it
    assert sizing.memory.value == pytest.approx(limit)
    assert env(sizing) == expected


@pytest.mark.parametrize(("cpus", "share"), [(1, 0.02), (2, 0.2)])
def test_zookeeper_counts_the_collector_the_jvm_picks_for_its_cores(cpus: int, share: float) -> None:
    """1 core: Serial (a card table); 2 or more: G1, whose structures take a fifth of the heap."""
    sizing = jvm.size_zookeeper(service("zookeeper", "zookeeper:3.9", cpus=cpus), make_profile())
    gc = next(q for name, q in sizing.extra.items() if name.startswith("GC structures"))
    assert gc.value == pytest.approx(96 * MIB * share)


def test_zookeeper_heap_from_declared_znodes() -> None:
    """64 MiB in 20,000 znodes: (8 + 64 + 20,000 × 1.5 KiB) MiB × 2 = 202.6 MiB."""
    sizing = jvm.size_zookeeper(service("zookeeper", "zookeeper:3.9", dataset="64M", keys=20_000), make_profile())
    assert env(sizing)["ZK_SERVER_HEAP"] == str(int((72 * MIB + 20_000 * 1536) * 2 // MIB))


@pytest.mark.parametrize(
    ("env_vars", "config"),
    [
        ({"ZOO_CFG_EXTRA": "secureClientPort=2281"}, None),
        ({"SERVER_JVMFLAGS": "-Dzookeeper.serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory"}, None),
        ({}, "serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory\n"),
    ],
    ids=["TLS port", "Netty factory flag", "a mounted zoo.cfg names Netty"],
)
def test_zookeeper_on_netty_gets_no_direct_memory_bound(
    tmp_path: Path, env_vars: dict[str, str], config: str | None
) -> None:
    """Netty's buffers are direct memory: ZooKeeper's 16m is not written, the JVM's own bound (the heap)
    is counted; the code cache and metaspace bounds stay."""
    inputs = with_env(service("zookeeper", "zookeeper:3.9"), **env_vars)
    if config is not None:
        (tmp_path / "zoo.cfg").write_text(config)
        inputs = inputs._replace(base=inputs.base._replace(bind_mounts=((str(tmp_path), "/conf"),)))
    sizing = jvm.size_zookeeper(inputs, make_profile())
    assert env(sizing)["JVMFLAGS"] == "-XX:ReservedCodeCacheSize=32m -XX:MaxMetaspaceSize=32m"
    assert sizing.extra["direct memory"].value == sizing.extra["heap"].value == 96 * MIB
    assert "names Netty" in sizing.extra["direct memory"].formula


def test_zookeeper_with_its_heap_set_in_the_base_gets_none_written() -> None:
    """The base's ZK_SERVER_HEAP is left as it is (zkEnv.sh's default planned, as before)."""
    sizing = jvm.size_zookeeper(with_env(service("zookeeper", "zookeeper:3.9"), ZK_SERVER_HEAP="512"), make_profile())
    assert "ZK_SERVER_HEAP" not in env(sizing) and "JVMFLAGS" not in env(sizing)
    assert sizing.extra["heap"].value == 1000 * MIB


def test_profile_role_memory_is_the_total() -> None:
    profile = make_profile(roles={"kafka": {"memory": "2G"}})
    sizing = jvm.size_kafka(service("kafka", "apache/kafka:3.8.0"), profile)
    assert sizing.extra["heap"].value == 2 * GIB - FIXED


@pytest.mark.parametrize(
    ("calculator", "role", "memory"),
    [
        (jvm.size, "jvm", "512M"),  # 536870912 B < 596288000 B of fixed regions
        (jvm.size, "jvm", str(FIXED)),  # exactly the fixed regions: no heap at all
        (jvm.size_kafka, "kafka", "256M"),
        (jvm.size_zookeeper, "zookeeper", "500M"),
    ],
)
def test_fixed_regions_above_the_total_is_an_input_error(
    calculator: Callable[[ServiceInputs, Profile], Sizing],
    role: str,
    memory: str,
) -> None:
    with pytest.raises(InputError) as err:
        calculator(service(role, "x:1", memory=memory), make_profile())
    assert "fixed regions" in err.value.message
    assert "services.svc" in err.value.fix


def test_a_preset_variable_is_left_alone() -> None:
    inputs = with_env(service("kafka", "apache/kafka:3.8.0"), KAFKA_HEAP_OPTS="-Xmx512m")
    sizing = jvm.size_kafka(inputs, make_profile())
    assert sizing.environment == ()
    assert any("KAFKA_HEAP_OPTS is already set" in n and "-Xmx1024m" in n for n in sizing.notes)


def test_derivations_name_their_sources() -> None:
    sizing = jvm.size_kafka(service("kafka", "apache/kafka:3.8.0"), make_profile())
    text = "\n".join(explain_lines(sizing.memory))
    for region in ("direct memory", "metaspace", "code cache", "thread stacks", "head room"):
        assert region in text
    assert "Paketo JVM memory calculator" in text
    assert "kafka-server-start.sh -Xmx1G -Xms1G" in text
    assert "loaded classes = 10000  (composegen default (assumed;" in text
    for q in (sizing.memory, sizing.startup, *sizing.extra.values()):
        for leaf in leaves(q):
            assert leaf.source, f"{leaf.name} has no source"


def app_inputs(tmp_path: Path, command: str, declared: str = "") -> ServiceInputs:
    """The inputs of a JVM application whose compose file runs `command`, with its base facts read."""
    (tmp_path / "docker-compose.yml").write_text(
        f"services:\n  app:\n    image: eclipse-temurin:21\n    command: {command}\n"
    )
    (tmp_path / "composegen.yaml").write_text(
        f"compose_files: [docker-compose.yml]\nservices:\n  app: {{role: jvm{declared}}}\n"
    )
    return plan("dev", None, tmp_path).inputs[0]


def test_the_margin_goes_on_what_no_flag_caps(tmp_path: Path) -> None:
    """A JVM application whose command sets its heap: the heap (-Xmx) and the regions a flag caps
    (the code cache written, metaspace written from a declared class count, direct memory declared)
    count at their caps, the most the JVM commits; the profile's margin covers the estimates alone
    (thread stacks, the collector's structures, the JVM's own). Never below what runs: the floor is
    the whole total, no margin."""
    inputs = app_inputs(tmp_path, "java -Xmx256m -jar app.jar", ", loaded_classes: 10000, direct_memory: 16M")
    sizing = jvm.size(inputs, make_profile())
    assert env(sizing)["JAVA_TOOL_OPTIONS"] == (
        "-XX:ReservedCodeCacheSize=64m -XX:MaxMetaspaceSize=69m -XX:MaxDirectMemorySize=16m"
    )
    caps = (256 + 64 + 69 + 16) * MIB
    estimates = 250 * 128 * 1024 + 256 * MIB * 0.02 + 32 * MIB
    assert sizing.memory.value == pytest.approx(caps + estimates * 1.2)
    assert sizing.floor is not None and sizing.floor.value == pytest.approx(caps + estimates)


def test_an_assumed_region_gets_the_margin(tmp_path: Path) -> None:
    """Metaspace for an assumed class count and direct memory Paketo's 10 MiB are counted, not written:
    estimates, under the margin like the stacks."""
    sizing = jvm.size(app_inputs(tmp_path, "java -Xmx256m -jar app.jar"), make_profile())
    assert env(sizing)["JAVA_TOOL_OPTIONS"] == "-XX:ReservedCodeCacheSize=64m"
    estimates = 69 * MIB + 10 * MIB + 250 * 128 * 1024 + 256 * MIB * 0.02 + 32 * MIB
    assert sizing.memory.value == pytest.approx((256 + 64) * MIB + estimates * 1.2)


def test_zookeeper_on_netty_counts_direct_memory_at_the_jvms_own_cap() -> None:
    """Unbounded by composegen, direct memory is capped by the JVM itself at the heap's maximum: a cap,
    no margin on it."""
    inputs = with_env(service("zookeeper", "zookeeper:3.9"), ZOO_CFG_EXTRA="secureClientPort=2281")
    sizing = jvm.size_zookeeper(inputs, make_profile())
    limit = (96 + 32 + 32 + 96) * MIB + (96 * MIB * 0.02 + 32 * MIB) * 1.2
    assert sizing.memory.value == pytest.approx(limit)
