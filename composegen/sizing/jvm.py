"""JVM services (generic, Kafka, ZooKeeper): the heap is what the fixed regions leave.

facts/sizing.md §Calculators (the Paketo JVM memory calculator, paketo-buildpacks/libjvm calc/):
heap = total − (direct + metaspace + code cache + stack × threads + headroom), with metaspace =
14,000,000 B + 5,800 B × loaded classes, direct 10 MiB, code cache 240 MiB, 1 MiB stack × 250
threads; an error when the fixed regions exceed the total. Every region is a named Quantity, so
`explain` prints the breakdown.

`total` is the JVM's whole working set: declared `memory:`, else the profile's role memory, else a
default. Kafka's default is derived, not chosen: the heap its start script gives (-Xmx1G, facts)
plus the fixed regions. ZooKeeper's likewise, from zkEnv.sh's 1000 MB heap. The container limit
is total × the profile margin; the heap is set explicitly (not as a percentage of a limit the
plan assembler still rounds).

Where composegen may write the bounds, it counts bounded regions instead of Paketo's: ZooKeeper's
official image (JVMFLAGS), and a JVM application whose command sets its heap (JAVA_TOOL_OPTIONS,
only the flags the command does not set: the command line wins over it). The collector's own
structures are counted for the collector that runs (the base's flag, else the JVM's choice for
the cores the plan gives it). There the profile's margin goes on what no flag caps only
(limit_with_caps): the heap and the bounded regions count at their caps, the most the JVM commits.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from composegen.errors import InputError
from composegen.masking import mask
from composegen.sizing import runs
from composegen.sizing.common import (
    FACTS_SIZING,
    baseline_cpus,
    baseline_memory,
    declared_memory,
    env_preset,
    image_repository,
    limit_with_mounts,
    startup_time,
    with_margin,
)
from composegen.sizing.inputs import ServiceInputs
from composegen.sizing.quantity import Quantity, given, times, total
from composegen.sizing.result import EnvSetting, Sizing
from composegen.units import GIB, MIB

if TYPE_CHECKING:
    from composegen.facts import Fact
    from composegen.profiles.models import Profile

#: What a service with a given heap needs in all (the JVM: heap + fixed regions; Elasticsearch:
#: twice the heap).
HeapNeeds = Callable[[Quantity], Quantity]

PAKETO = f"{FACTS_SIZING} §Calculators (Paketo JVM memory calculator)"
JVM_DEFAULTS = f"{FACTS_SIZING} §Calculators (JVM defaults)"

#: facts/sizing.md §Calculators (Paketo): the fixed regions.
DIRECT = 10 * MIB
METASPACE_BASE = 14_000_000
METASPACE_PER_CLASS = 5_800
CODE_CACHE = 240 * MIB
STACK = 1 * MIB
THREADS = 250
#: Loaded classes (Paketo, paketo-buildpacks/libjvm helper/memory_calculator.go): 35 %
#: (ClassLoadFactor) of the classes the JVM's modules and the application's class path carry.
CLASS_LOAD_FACTOR = 0.35
#: The JVM's own classes: the .class files in OpenJDK 17's modules (jrt:/modules; Debian bookworm's
#: openjdk-17-jre-headless 17.0.21, scripts/servers-image). An application loads far fewer of them
#: (the bench's app: 3,263 classes in all, javac's included), so 35 % of them is room, not a fit.
JDK_CLASSES = 26_696
#: Where composegen can neither count the class path nor read a declared count: a figure counted,
#: never written as a bound (assumed, not in facts; about 35 % of the JDK's own classes).
CLASS_COUNT = 10_000
#: Paketo's default head room (BPL_JVM_HEAD_ROOM = 0%; not in facts): the profile margin on
#: top of the total is composegen's head room.
HEADROOM_SHARE = 0.0

#: composegen's default total for an unknown JVM service (assumed).
DEFAULT_TOTAL = 1 * GIB
#: facts/sizing.md §Calculators: Kafka's start script runs -Xmx1G -Xms1G.
KAFKA_HEAP = 1 * GIB
#: ZooKeeper's bin/zkEnv.sh: ZK_SERVER_HEAP defaults to 1000 (MB) (not in facts).
ZOOKEEPER_HEAP = 1000 * MIB
#: composegen defaults (assumed): time to a listening broker / app.
KAFKA_STARTUP = 30.0
DEFAULT_STARTUP = 30.0
#: Measured (docs/benchmarks.md "Real servers", bench/servers.py, ZooKeeper 3.8 on OpenJDK 17, 2
#: shared cores under load): `ruok` answered 1.8-2.7 s after start; 5 s, beyond the slowest
#: measured (a start_period too short restarts the container in a loop).
ZOOKEEPER_STARTUP = 5.0
BENCH_SERVERS = "measured: bench/servers (docs/benchmarks.md, Real servers)"
#: ZooKeeper's heap where nothing sets one: what its znodes keep live, × GC_HEADROOM. Measured on
#: ZooKeeper 3.8 / OpenJDK 17 (G1) with znodes created over its wire protocol (docs/benchmarks.md
#: "Real servers", the live heap after a young GC): 3-4 MiB idle; 26 MiB for 20,000 znodes of
#: 100 B, 104 MiB for 50,000 of 1 KiB, 113 MiB for 20,000 of 4 KiB: the data + ~1.1-1.5 KiB a
#: znode (its path, DataNode, Stat, the parent's child set, the digest). Fitted on those three
#: runs, checked on bench/servers' ZooKeeper rows (30,000 znodes of 1 KiB, 10,000 of 8 KiB).
ZNODE_BASE = 8 * MIB
ZNODE_OVERHEAD = 1536
#: Heap ÷ live set: at 1.2 × (a 128 MiB heap, 104 MiB live) G1 ran back-to-back concurrent
#: cycles; at 2.3 × (256 MiB, 113 MiB) it ran young collections only (measured, as above).
GC_HEADROOM = 2.0
#: Znode data where composegen.yaml declares none (composegen default, assumed): a coordination
#: service's few thousand small znodes, with room; znodes of 1 KiB where `keys:` is not given.
DEFAULT_ZNODE_DATA = 16 * MIB
DEFAULT_ZNODE_SIZE = 1024
#: The non-heap regions composegen bounds for ZooKeeper where it may write JVMFLAGS (the Paketo
#: calculator writes the same flags), far below the JVM's defaults (a 240 MiB code cache,
#: unbounded metaspace) and above what ZooKeeper used under load (Native Memory Tracking at 50,000
#: znodes: code 10 MiB, metaspace and class space 8 MiB, 33 threads): composegen's choices.
ZK_CODE_CACHE = 32 * MIB
ZK_METASPACE = 32 * MIB
ZK_DIRECT = 16 * MIB
#: ZooKeeper's NIO connection factory (the default) keeps its direct buffers small (64 KiB a worker
#: thread, zookeeper.nio.directBufferBytes); its Netty factory (serverCnxnFactory, which the TLS
#: port `secureClientPort` needs) allocates its buffers there: with Netty named, ZK_DIRECT is not
#: written (composegen's choice; Debian's ZooKeeper closed every connection on its Netty factory,
#: so it was not measured).
NETTY_WORDS = ("NettyServerCnxnFactory", "secureClientPort")
ZOO_CFG_BYTES = 64 * 1024
#: Beside those: G1's own structures, a share of the heap (NMT: 48.8 MiB committed for a 256 MiB
#: heap), and the JVM itself (the CDS archive 12 MiB, symbols, thread stacks, libjvm; the
#: container held 56-63 MiB beside the heap under load at heaps of 64-256 MiB). Measured, as above.
GC_SHARE = 0.2
JVM_OWN = 32 * MIB
#: The JVM picks G1 on a "server-class machine" (2 or more processors and 1792 MiB or more; in a
#: container, its CPU quota and memory limit: hotspot os::is_server_class_machine), else Serial.
#: Below 2 cores composegen counts Serial's structures: its card table and offsets, under 1 % of
#: the heap (NMT "GC": 0.38 MiB committed for a 104 MiB heap, bench/servers' JVM app on 1 core;
#: 0.02 counted). From 2 cores, G1's 0.2 (a limit under 1792 MiB still gets Serial: counted high).
SERVER_CLASS_CPUS = 2
SERIAL_GC_SHARE = 0.02
#: A JVM application whose command sets its heap (`java -Xmx256m ...`) and leaves
#: JAVA_TOOL_OPTIONS free: composegen writes bounds there for the regions the command does not
#: bound (the command line wins over JAVA_TOOL_OPTIONS, so a flag it sets is kept and counted at
#: its value), but only bounds that cannot stop a program that ran without them:
#: - the code cache: 64m (composegen's bound, assumed: the bench's app used 10 MiB under load,
#:   ZooKeeper 10 MiB). A full code cache stops the JIT compiler (the JVM warns "CodeCache is full.
#:   Compiler has been disabled"), not the program, so an assumed bound is safe here;
#: - metaspace: Paketo's estimate, written as MaxMetaspaceSize only where the loaded classes are
#:   known (declared `loaded_classes:`, or the class path counted, composegen.sizing.classes): a
#:   bound below what the application loads stops it (OutOfMemoryError: Metaspace). Unknown: no
#:   bound written, Paketo's estimate at CLASS_COUNT counted, labelled assumed;
#: - direct memory: written only where composegen.yaml declares `direct_memory:` (Paketo's 10m
#:   stops a Netty application with OutOfMemoryError: Direct buffer memory). Else Paketo's 10 MiB
#:   is counted, labelled assumed, and nothing written: like an unknown class count, what the
#:   application keeps there is a number composegen cannot know (the JVM's own bound, the heap's
#:   maximum: jdk.internal.misc.VM maxDirectMemory, is named in the note). Calibrate measures it.
APP_CODE_CACHE = 64 * MIB
#: Thread stacks are reserved at -Xss (1 MiB) but committed as a thread touches them: NMT on the
#: bench's JVM app under 16 client threads: 31 threads, 2.75 MiB of stack committed (89 KiB a
#: thread); ZooKeeper at 50,000 znodes: 33 threads. Counted: Paketo's 250 threads × 128 KiB
#: (measured: bench/servers, fitted on `jvm app -Xmx256m`, checked on `jvm app -Xmx512m`).
STACK_TOUCHED = 128 * 1024
GC_NAMES = {"serial": "Serial", "epsilon": "Epsilon", "g1": "G1", "parallel": "Parallel", "z": "ZGC"}

#: Images whose start scripts read the variable (checked in their docs and scripts).
KAFKA_IMAGES = frozenset(
    {
        "apache/kafka",
        "confluentinc/cp-kafka",
        "confluentinc/cp-server",
        "bitnami/kafka",
        "bitnamilegacy/kafka",
    }
)


def declared_classes(inputs: ServiceInputs) -> Quantity | None:
    """The loaded classes composegen.yaml declares (`loaded_classes:`), if it does."""
    declared = inputs.spec.loaded_classes
    if declared is None:
        return None
    return given("loaded classes", declared, "count", f"composegen.yaml: services.{inputs.name}.loaded_classes")


def assumed_classes(why: str) -> Quantity:
    """CLASS_COUNT, labelled assumed, with how to declare the real count."""
    return given(
        "loaded classes",
        CLASS_COUNT,
        "count",
        f"composegen default (assumed; {why}): declare loaded_classes: in composegen.yaml (jstat -class <pid>: Loaded)",
        "assumed",
    )


def loaded_classes(inputs: ServiceInputs) -> tuple[Quantity, str | None]:
    """(the classes the JVM loads, why they are not known: None where they are): declared, else 35 %
    of the JDK's and the class path's classes where composegen counts the whole class path
    (composegen.sizing.classes), else CLASS_COUNT, assumed."""
    declared = declared_classes(inputs)
    if declared is not None:
        return declared, None
    from composegen.sizing import classes  # lazy: it reads files, only for a JVM app

    counted = classes.count(inputs.base)
    if counted.classes is None:
        return assumed_classes(counted.why), counted.why
    carried = total(
        "classes carried",
        (
            given("the JDK's classes", JDK_CLASSES, "count", "measured: OpenJDK 17's modules (jrt:/modules)"),
            given(
                "class path classes", counted.classes, "count", f"counted on the base file's bind mounts: {counted.why}"
            ),
        ),
    )
    factor = given("share loaded", CLASS_LOAD_FACTOR, "ratio", PAKETO)
    share = times("loaded classes", carried, factor)
    loaded = Quantity(
        "loaded classes", math.floor(share.value), "count", f"⌊{share.formula}⌋", PAKETO, share.parts
    )  # Paketo truncates: int(totalClasses * ClassLoadFactor)
    return loaded, None


def paketo_metaspace(classes: Quantity) -> Quantity:
    """Paketo's metaspace: 14,000,000 B + 5,800 B × loaded classes."""
    per_class = given("metaspace per class", METASPACE_PER_CLASS, "bytes", PAKETO)
    base = given("metaspace base", METASPACE_BASE, "bytes", PAKETO)
    return total("metaspace", (base, times("classes × per class", classes, per_class)), PAKETO)


def fixed_regions(
    total_memory: Quantity | None, source_name: str, classes: Quantity | None = None
) -> tuple[Quantity, ...]:
    """Paketo's non-heap regions, each named (head room needs the total; none → 0), for `classes`
    loaded classes (none: CLASS_COUNT, assumed)."""
    metaspace = paketo_metaspace(classes or assumed_classes("composegen cannot see the class path"))
    threads = given("threads", THREADS, "count", PAKETO)
    stacks = times("thread stacks", threads, given("stack size", STACK, "bytes", PAKETO), source=PAKETO)
    share = given("head room share", HEADROOM_SHARE, "ratio", "Paketo default 0% (not in facts)", "default")
    headroom = (
        times("head room", total_memory, share, unit="bytes")
        if total_memory is not None
        else Quantity("head room", 0.0, "bytes", f"{share.name} × {source_name}", "", (share,))
    )
    return (
        given("direct memory", DIRECT, "bytes", PAKETO),
        metaspace,
        given("code cache", CODE_CACHE, "bytes", PAKETO),
        stacks,
        headroom,
    )


def heap_breakdown(
    inputs: ServiceInputs, profile: Profile, default_heap: Quantity | None, default_total: int, default_source: str
) -> tuple[Quantity, Quantity, Quantity]:
    """(total, fixed, heap). With `default_heap`, a total nobody declared is heap + fixed regions."""
    declared = declared_memory(inputs)
    role_memory = profile.role(inputs.role).memory
    if default_heap is not None and declared is None and role_memory is None:
        fixed = total("fixed regions", fixed_regions(None, "JVM total", declared_classes(inputs)), PAKETO)
        heap = default_heap.renamed("heap")
        whole = Quantity(
            "JVM total",
            (heap.value + fixed.value) / (1 - HEADROOM_SHARE),
            "bytes",
            "(heap + fixed regions) ÷ (1 − head room share)",
            PAKETO,
            (heap, fixed),
        )
        return whole, fixed, heap
    whole = baseline_memory(inputs, profile, default_total, default_source).renamed("JVM total")
    fixed = total("fixed regions", fixed_regions(whole, whole.name, declared_classes(inputs)), PAKETO)
    if fixed.value >= whole.value:
        where = (
            "composegen.yaml" if declared is not None else f"profile {profile.name}" if role_memory is not None else ""
        )
        raise InputError(
            f"service {inputs.name}: the JVM's fixed regions ({fixed.show()}: direct memory, "
            f"metaspace, code cache, thread stacks) leave no heap in its {whole.show()}",
            where=where,
            fix=f"give services.{inputs.name} a memory: above {fixed.show()} plus the heap it "
            f"needs (or raise roles.{inputs.role}.memory in the profile)",
        )
    heap = Quantity("heap", whole.value - fixed.value, "bytes", f"{whole.name} − fixed regions", PAKETO, (whole, fixed))
    return whole, fixed, heap


class BaseHeap(NamedTuple):
    """The JVM total and heap once the base's own -Xmx is counted (see heap_from_base)."""

    whole: Quantity
    heap: Quantity
    found: Fact | None = None  # the base's -Xmx, where it sets one
    override: bool = False  # composegen.yaml's memory wins: the overlay rewrites the base's variable
    notes: tuple[str, ...] = ()


def heap_from_base(
    inputs: ServiceInputs, whole: Quantity, heap: Quantity, needed_for: HeapNeeds, *, follow: bool = False
) -> BaseHeap:
    """The base's -Xmx (command line or any options variable: ES_JAVA_OPTS, KAFKA_HEAP_OPTS,
    JVMFLAGS, JAVA_TOOL_OPTIONS...) counted: the plan sizes for that heap, raising `whole` to what
    it needs (`needed_for(heap)`), unless composegen.yaml declares memory and the heap is set in a
    variable the overlay can replace. `follow`: `whole` is composegen's own default, which nobody
    chose: the plan sizes for the base's heap, below the default as well as above it; an -Xms
    without -Xmx is a heap at least that large."""
    found = runs.fact(inputs, "heap_max", "jvm")
    if found is None and follow:
        found = runs.fact(inputs, "heap_initial", "jvm")
    if found is None:
        return BaseHeap(whole, heap)
    if declared_memory(inputs) is not None and runs.overridable(found):
        note = (
            f"heap: the overlay's {runs.env_key(found)} overrides the base's -Xmx ({runs.origin_text(found)}) "
            f"with {heap.show()}, from the memory composegen.yaml declares"
        )
        return BaseHeap(whole, heap, found, True, (note,))
    base_heap = runs.fact_quantity("heap", found, "bytes")
    if follow:
        needed = needed_for(base_heap).renamed(whole.name)
        note = (
            f"{whole.name}: sized for the base's {base_heap.show()} heap ({runs.origin_text(found)}), "
            f"not composegen's default {whole.show()}"
        )
        return BaseHeap(needed, base_heap, found, False, (note,))
    raised, notes = runs.at_least(whole.name, whole, needed_for(base_heap), found, f"a {base_heap.show()} heap")
    return BaseHeap(raised, base_heap, found, False, notes)


def ram_percentage_heap(inputs: ServiceInputs, whole: Quantity, fixed: Quantity) -> BaseHeap | None:
    """The base's -XX:MaxRAMPercentage without an -Xmx: the heap is that share of the limit, so the
    total must leave the fixed regions beside it (fixed ÷ (1 − share)); None where the base sets
    no such share, or one (100% or more) no limit can hold beside the fixed regions."""
    found = runs.fact(inputs, "max_ram_percentage", "jvm")
    if found is None or runs.fact(inputs, "heap_max", "jvm") is not None or not isinstance(found.value, int | float):
        return None
    share = float(found.value) / 100
    if not 0 < share < 1:
        return None
    percent = runs.fact_quantity("MaxRAMPercentage share", found._replace(value=share), "ratio")
    room = Quantity(
        "total that leaves the fixed regions",
        fixed.value / (1 - share),
        "bytes",
        f"{fixed.name} ÷ (1 − {percent.name})",
        "",
        (fixed, percent),
    )
    raised, notes = runs.at_least(whole.name, whole, room, found, f"a heap of {found.value:g}% of the limit")
    heap = times("heap", raised, percent)
    return BaseHeap(raised, heap, found, False, notes)


def heap_env(
    inputs: ServiceInputs, base: BaseHeap, key: str, value: str, note: str
) -> tuple[tuple[EnvSetting, ...], tuple[str, ...]]:
    """The heap setting for the overlay: none where the base sets the heap (the plan sizes for
    it), the base's variable with composegen's flags after it where composegen.yaml overrides it,
    else `key`=`value` unless the base already sets `key` (env_or_note)."""
    if base.found is None:
        return env_or_note(inputs, key, value, base.heap, note)
    name = runs.env_key(base.found)
    if not base.override or name is None:
        _, notes = env_or_note(inputs, key, value, base.heap, note)  # the base's heap runs: no setting
        return (), notes
    preset = inputs.base.environment.get(name, "")
    flags = value if value.startswith("-") else f"-Xmx{value}m"
    combined = f"{preset} {flags}".strip()
    return (
        EnvSetting(name, combined, base.heap, "the base's value with composegen's heap after it (the last -Xmx wins)"),
    ), ()


def needs_fixed(fixed: Quantity) -> HeapNeeds:
    """What a JVM with a given heap needs: the heap plus the fixed regions."""

    def needed(heap: Quantity) -> Quantity:
        return total("heap + fixed regions", (heap, fixed), PAKETO)

    return needed


def heap_mib(heap: Quantity) -> int:
    """Whole MiB, rounded down (the heap stays inside its budget)."""
    return max(1, math.floor(heap.value / MIB))


def env_or_note(
    inputs: ServiceInputs, key: str, value: str, why: Quantity, note: str
) -> tuple[tuple[EnvSetting, ...], tuple[str, ...]]:
    """The setting, unless composegen.yaml or the base file already sets `key`."""
    preset = env_preset(inputs, key)
    if preset is not None:
        return (), (
            f"{key} is already set ({mask(preset)!r}): composegen leaves it; its derived value would be {value!r}",
        )
    return (EnvSetting(key, value, why, note),), ()


def _sizing(
    inputs: ServiceInputs,
    profile: Profile,
    whole: Quantity,
    fixed: Quantity,
    heap: Quantity,
    env: tuple[EnvSetting, ...],
    notes: tuple[str, ...],
    startup: Quantity,
    hardening: bool,
    base_notes: tuple[str, ...] = (),
    memory: Quantity | None = None,
) -> Sizing:
    """`memory`: the working set with its margin (limit_with_caps), else `whole` × the profile's margin."""
    regions = {region.name: region for region in fixed.parts}
    return Sizing(
        memory=limit_with_mounts(memory or with_margin(whole, profile), ()),
        startup=startup,
        cpus=baseline_cpus(inputs, profile),
        environment=env,
        healthcheck_test=None,
        hardening=hardening,
        extra={"JVM total": whole, "heap": heap, **regions},
        notes=notes,
        base_notes=base_notes,
        floor=whole,
    )


def size(inputs: ServiceInputs, profile: Profile) -> Sizing:
    """A JVM composegen knows nothing else about: an explicit -Xmx in JAVA_TOOL_OPTIONS."""
    whole, fixed, heap = heap_breakdown(
        inputs, profile, None, DEFAULT_TOTAL, "composegen default (assumed): declare memory: or set roles.jvm.memory"
    )
    chosen = declared_memory(inputs) is not None or profile.role(inputs.role).memory is not None
    base = ram_percentage_heap(inputs, whole, fixed) or heap_from_base(
        inputs, whole, heap, needs_fixed(fixed), follow=not chosen
    )
    whole, heap = base.whole, base.heap
    mib = heap_mib(heap)
    env, notes = heap_env(
        inputs,
        base,
        "JAVA_TOOL_OPTIONS",
        f"-Xmx{mib}m",
        "every JVM reads JAVA_TOOL_OPTIONS; an explicit -Xmx overrides the "
        "default of 25% of the limit (MaxRAMPercentage, facts)",
    )
    sets_heap = base.found is not None and base.found.setting == "heap_max" and not base.override
    memory: Quantity | None = None  # the profile's margin on the whole total, unless the regions are bounded
    if sets_heap and not chosen and env_preset(inputs, "JAVA_TOOL_OPTIONS") is None:
        # the command sets the heap and nobody chose a total: the other regions bounded, not budgeted
        regions, unbounded = app_regions(inputs, profile, heap)
        fixed, memory = regions.fixed, limit_with_caps(heap, regions, profile)
        whole = total("JVM total", (heap, fixed))
        note = "bounds the non-heap regions the limit counts (the command line's own flags win over it)"
        env = (EnvSetting("JAVA_TOOL_OPTIONS", regions.flags, fixed, note),) if regions.flags else ()
        notes = (*notes, *unbounded)
    return _sizing(
        inputs,
        profile,
        whole,
        fixed,
        heap,
        env,
        (*notes, "no healthcheck: the port and path are the application's to name"),
        startup_time(inputs, profile, DEFAULT_STARTUP, "composegen default (assumed)"),
        hardening=True,
        base_notes=base.notes,
        memory=memory,
    )


def size_kafka(inputs: ServiceInputs, profile: Profile) -> Sizing:
    """A Kafka broker: KAFKA_HEAP_OPTS, which apache, confluent and bitnami images all read."""
    default_heap = given(
        "Kafka default heap",
        KAFKA_HEAP,
        "bytes",
        f"{JVM_DEFAULTS}: kafka-server-start.sh -Xmx1G -Xms1G",
        "default",
    )
    whole, fixed, heap = heap_breakdown(inputs, profile, default_heap, 0, "")
    base = heap_from_base(inputs, whole, heap, needs_fixed(fixed))
    whole, heap = base.whole, base.heap
    mib = heap_mib(heap)
    repo = image_repository(inputs.base.image)
    notes: list[str] = []
    if repo not in KAFKA_IMAGES:
        notes.append(
            f"image {inputs.base.image!r}: assumed to start Kafka through "
            "kafka-server-start.sh, which reads KAFKA_HEAP_OPTS"
        )
    if heap.value < KAFKA_HEAP:
        notes.append(f"the heap ({heap.show()}) is below the 1 GiB Kafka's start script gives")
    env, env_notes = heap_env(
        inputs,
        base,
        "KAFKA_HEAP_OPTS",
        f"-Xmx{mib}m -Xms{mib}m",
        "read by kafka-server-start.sh (apache, confluent, bitnami images)",
    )
    return _sizing(
        inputs,
        profile,
        whole,
        fixed,
        heap,
        env,
        (*notes, *env_notes, "no healthcheck: the listener port is the broker's config"),
        startup_time(inputs, profile, KAFKA_STARTUP, "composegen default (assumed)"),
        hardening=False,
        base_notes=base.notes,
    )  # the images write their config at start (confluent, bitnami)


def zookeeper_env(inputs: ServiceInputs, mib: int) -> tuple[str, str, str]:
    """(key, value, note) for the image's heap setting."""
    repo = image_repository(inputs.base.image) or ""
    if repo == "zookeeper":
        return ("ZK_SERVER_HEAP", str(mib), "MB; bin/zkEnv.sh turns it into -Xmx (the official image runs zkServer.sh)")
    if repo in {"bitnami/zookeeper", "bitnamilegacy/zookeeper"}:
        return "ZOO_HEAP_SIZE", str(mib), "MB; the bitnami image's heap setting (-Xmx and -Xms)"
    if repo in {"confluentinc/cp-zookeeper"}:
        return (
            "KAFKA_HEAP_OPTS",
            f"-Xmx{mib}m -Xms{mib}m",
            "confluent's ZooKeeper starts through zookeeper-server-start.sh",
        )
    return (
        "JVMFLAGS",
        f"-Xmx{mib}m",
        f"image {inputs.base.image!r} unknown: assumed to run zkServer.sh, which appends JVMFLAGS",
    )


def znode_heap(inputs: ServiceInputs) -> Quantity:
    """The heap ZooKeeper's znodes need: (base + data + znodes × overhead) × GC headroom, from the
    declared `dataset:` (znode data) and `keys:` (znodes), else composegen's defaults."""
    declared = f"composegen.yaml: services.{inputs.name}"
    spec = inputs.spec
    if spec.dataset is not None:
        data = given("znode data", spec.dataset, "bytes", f"{declared}.dataset")
    else:
        data = given(
            "znode data", DEFAULT_ZNODE_DATA, "bytes", "composegen default (assumed): declare dataset:", "assumed"
        )
    if spec.keys is not None:
        znodes = given("znodes", spec.keys, "count", f"{declared}.keys")
    else:
        size = given(
            "znode size", DEFAULT_ZNODE_SIZE, "bytes", "composegen default (assumed): declare keys:", "assumed"
        )
        znodes = Quantity(
            "znodes", math.ceil(data.value / size.value), "count", "znode data ÷ znode size", "", (data, size)
        )
    per_znode = given("memory per znode", ZNODE_OVERHEAD, "bytes", BENCH_SERVERS, "measured")
    live = total(
        "live heap",
        (
            given("ZooKeeper's own heap", ZNODE_BASE, "bytes", BENCH_SERVERS, "measured"),
            data,
            times("znodes' own memory", znodes, per_znode, unit="bytes"),
        ),
    )
    headroom = given("GC headroom", GC_HEADROOM, "ratio", BENCH_SERVERS, "measured")
    return times("heap", live, headroom, unit="bytes")


class Bound(NamedTuple):
    """A non-heap region composegen bounds: the flag, the fact that reads it, composegen's bound."""

    flag: str  # `-XX:ReservedCodeCacheSize=`
    setting: str  # the jvm fact that reads the flag
    bound: Quantity  # composegen's bound, a whole number of MiB
    written: bool = True  # False: counted at `bound`, not written (a bound composegen cannot know)
    capped: bool = True  # the JVM holds the region at `bound` (written, or its own default bound); False: an estimate


class Regions(NamedTuple):
    """The non-heap regions counted, the flags that bound them, and the names of those a JVM flag
    caps (the profile's margin goes on the others only: see limit_with_caps)."""

    fixed: Quantity
    flags: str
    capped: frozenset[str]


def bounds_written(
    inputs: ServiceInputs, bounds: tuple[Bound, ...]
) -> tuple[tuple[Quantity, ...], str, frozenset[str]]:
    """(each region, the flags composegen writes, the regions a flag caps): a region the base bounds
    itself is counted at its flag (kept, not written, capped); the others at composegen's bound,
    written where it is `written`."""
    parts: list[Quantity] = []
    flags: list[str] = []
    capped: set[str] = set()
    for bound in bounds:
        found = runs.fact(inputs, bound.setting, "jvm")
        if found is not None:
            parts.append(runs.fact_quantity(bound.bound.name, found, "bytes"))
            capped.add(bound.bound.name)
            continue
        parts.append(bound.bound)
        if bound.written:
            flags.append(f"{bound.flag}{math.ceil(bound.bound.value / MIB)}m")
        if bound.written or bound.capped:
            capped.add(bound.bound.name)
    return tuple(parts), " ".join(flags), frozenset(capped)


def limit_with_caps(heap: Quantity, regions: Regions, profile: Profile) -> Quantity:
    """The working set with the profile's margin on what no flag caps: the heap (-Xmx) and the
    regions a flag caps (code cache, metaspace, direct memory: the JVM commits up to the flag and
    never past it, hotspot MetaspaceGC::can_expand, the code cache's reservation) count at their
    caps, which are already the most they reach; the margin covers the estimates (thread stacks,
    the collector's structures, the JVM's own malloc and compiler arenas, an assumed region)."""
    capped = tuple(part for part in regions.fixed.parts if part.name in regions.capped)
    estimated = tuple(part for part in regions.fixed.parts if part.name not in regions.capped)
    caps = total("heap and the regions a flag caps", (heap, *capped))
    margin = given("margin", profile.memory.margin, "ratio", f"profile {profile.name}: memory.margin")
    rest = times("what no flag caps × margin", total("what no flag caps", estimated), margin, unit="bytes")
    return total("working set with margin on what no flag caps", (caps, rest))


def gc_structures(inputs: ServiceInputs, profile: Profile, heap: Quantity) -> Quantity:
    """The collector's own memory: a share of the heap, by the collector the base names
    (-XX:+Use...GC) or the one the JVM picks for the cores the plan gives it."""
    found = runs.fact(inputs, "gc", "jvm")
    if found is not None:
        collector = str(found.value)
        why = runs.origin_text(found)
    else:
        cpus = baseline_cpus(inputs, profile)
        collector = "serial" if cpus.value < SERVER_CLASS_CPUS else "g1"
        why = f"the JVM's choice on {cpus.show()} (G1 from {SERVER_CLASS_CPUS} cores, else Serial)"
    small = collector in ("serial", "epsilon")
    name = GC_NAMES.get(collector, collector)
    share = given(
        f"{name}'s share of the heap ({why})",
        SERIAL_GC_SHARE if small else GC_SHARE,
        "ratio",
        BENCH_SERVERS,
        "measured",
    )
    return times(f"GC structures ({name})", heap, share)


def netty_named(inputs: ServiceInputs) -> str | None:
    """Where the service names ZooKeeper's Netty connection factory (or the TLS port, which needs
    it): an environment value (SERVER_JVMFLAGS, ZOO_CFG_EXTRA, ...) or a bind-mounted zoo.cfg (or
    the config folder holding one). Netty's buffers are direct memory, which ZK_DIRECT does not
    cover. None where nothing names it."""
    for key, value in inputs.base.environment.items():
        if any(word in value for word in NETTY_WORDS):
            return f"the environment's {key}"
    for host, target in inputs.base.bind_mounts:
        path = Path(host)
        config = path / "zoo.cfg" if target.rstrip("/").endswith("/conf") else path
        if not config.name.endswith(".cfg"):
            continue
        try:
            with config.open("rb") as handle:
                text = handle.read(ZOO_CFG_BYTES).decode("utf-8", errors="replace")
        except OSError:
            continue
        if any(word in text for word in NETTY_WORDS):
            return f"{config}"
    return None


def bounded_regions(inputs: ServiceInputs, profile: Profile, heap: Quantity) -> Regions:
    """(the non-heap regions, the JVMFLAGS that bound them) for ZooKeeper; its direct memory left
    to the JVM's own bound (the heap) where the service names the Netty connection factory."""
    chosen = "composegen's bound (assumed), written in JVMFLAGS"
    netty = netty_named(inputs)
    direct = (
        Bound("-XX:MaxDirectMemorySize=", "direct_max", given("direct memory", ZK_DIRECT, "bytes", chosen, "assumed"))
        if netty is None
        else jvm_direct_bound(heap, f"{netty} names Netty, whose buffers are direct memory: not bounded")
    )
    bounds = (
        Bound(
            "-XX:ReservedCodeCacheSize=",
            "code_cache_max",
            given("code cache", ZK_CODE_CACHE, "bytes", chosen, "assumed"),
        ),
        Bound("-XX:MaxMetaspaceSize=", "metaspace_max", given("metaspace", ZK_METASPACE, "bytes", chosen, "assumed")),
        direct,
    )
    parts, flags, capped = bounds_written(inputs, bounds)
    own = given("the JVM's own", JVM_OWN, "bytes", BENCH_SERVERS, "measured")
    return Regions(total("fixed regions", (*parts, gc_structures(inputs, profile, heap), own)), flags, capped)


def app_metaspace(inputs: ServiceInputs) -> tuple[Bound, str | None]:
    """The metaspace bound for a JVM application: Paketo's estimate in whole MiB, written only where
    the loaded classes are known; else counted (assumed) and left unbounded, with a note saying so."""
    classes, unknown = loaded_classes(inputs)
    metaspace = paketo_metaspace(classes)
    how = (
        "written in JAVA_TOOL_OPTIONS"
        if unknown is None
        else "counted, not written: a bound from an assumed class count could stop the application "
        "(OutOfMemoryError: Metaspace)"
    )
    written = Quantity(
        "metaspace", math.ceil(metaspace.value / MIB) * MIB, "bytes", f"Paketo's metaspace in whole MiB, {how}",
        PAKETO, (metaspace,),
    )  # fmt: skip
    note = (
        None
        if unknown is None
        else f"metaspace: no -XX:MaxMetaspaceSize written ({unknown}); {written.show()} counted for an assumed "
        f"{CLASS_COUNT:,} loaded classes: declare loaded_classes: in composegen.yaml (jstat -class <pid>: "
        "Loaded), or mount the class path, for a bound"
    )
    return Bound("-XX:MaxMetaspaceSize=", "metaspace_max", written, unknown is None, unknown is None), note


def app_direct(inputs: ServiceInputs, heap: Quantity) -> tuple[Bound, str | None]:
    """Direct memory for a JVM application: the declared `direct_memory:`, written; else the JVM's
    own bound (the heap's maximum), counted and not written, with a note saying so."""
    declared = inputs.spec.direct_memory
    if declared is not None:
        where = f"composegen.yaml: services.{inputs.name}.direct_memory, written in JAVA_TOOL_OPTIONS"
        return Bound("-XX:MaxDirectMemorySize=", "direct_max", given("direct memory", declared, "bytes", where)), None
    assumed = given(
        "direct memory",
        DIRECT,
        "bytes",
        f"Paketo's default (assumed; {PAKETO}), counted, not written: what an application keeps in direct "
        "buffers is unknown to "
        "composegen, and a bound from an assumed figure could stop it (OutOfMemoryError: Direct buffer memory)",
        "assumed",
    )
    note = (
        f"direct memory: no -XX:MaxDirectMemorySize written; {assumed.show()} counted (assumed; the JVM's "
        f"own bound is the heap's maximum, {heap.show()}): declare direct_memory: in composegen.yaml to "
        "bound and count it, or calibrate"
    )
    return Bound("-XX:MaxDirectMemorySize=", "direct_max", assumed, written=False, capped=False), note


def jvm_direct_bound(heap: Quantity, why: str) -> Bound:
    """Direct memory left to the JVM's own bound, the heap's maximum: counted, not written."""
    jvm_bound = Quantity(
        "direct memory",
        heap.value,
        "bytes",
        f"the JVM's own bound ({why})",
        "OpenJDK jdk.internal.misc.VM: MaxDirectMemorySize unset is Runtime.maxMemory(), the heap's maximum "
        "(not in facts)",
        (heap,),
        "default",
    )
    return Bound("-XX:MaxDirectMemorySize=", "direct_max", jvm_bound, written=False)


def app_regions(inputs: ServiceInputs, profile: Profile, heap: Quantity) -> tuple[Regions, tuple[str, ...]]:
    """(the non-heap regions, the JAVA_TOOL_OPTIONS that bound them, notes on those left unbounded)
    for a JVM application whose command sets its heap: the code cache bounded, metaspace and direct
    memory where composegen knows them (see APP_CODE_CACHE; the base's own flags kept), thread
    stacks as touched, the collector's share and the JVM's own."""
    chosen = (
        "composegen's bound (assumed; a full code cache stops the JIT compiler, not the program), "
        "written in JAVA_TOOL_OPTIONS"
    )
    (metaspace, metaspace_note), (direct, direct_note) = app_metaspace(inputs), app_direct(inputs, heap)
    code_cache = Bound(
        "-XX:ReservedCodeCacheSize=", "code_cache_max", given("code cache", APP_CODE_CACHE, "bytes", chosen, "assumed")
    )
    parts, flags, capped = bounds_written(inputs, (code_cache, metaspace, direct))
    notes = tuple(
        note for bound, note in ((metaspace, metaspace_note), (direct, direct_note))
        if note is not None and runs.fact(inputs, bound.setting, "jvm") is None
    )  # fmt: skip
    stack = given("stack a thread touches", STACK_TOUCHED, "bytes", BENCH_SERVERS, "measured")
    found = runs.fact(inputs, "stack_size", "jvm")
    if found is not None and isinstance(found.value, int) and found.value < STACK_TOUCHED:
        stack = runs.fact_quantity("stack size", found, "bytes")
    stacks = times("thread stacks", given("threads", THREADS, "count", PAKETO), stack, source=BENCH_SERVERS)
    own = given("the JVM's own", JVM_OWN, "bytes", BENCH_SERVERS, "measured")
    fixed = total("fixed regions", (*parts, stacks, gc_structures(inputs, profile, heap), own))
    return Regions(fixed, flags, capped), notes


def size_zookeeper(inputs: ServiceInputs, profile: Profile) -> Sizing:
    """ZooKeeper: the heap its znodes need (declared or default), through whichever variable the
    image reads; for the official image, its non-heap regions bounded in JVMFLAGS and counted."""
    chosen = declared_memory(inputs) is not None or profile.role(inputs.role).memory is not None
    repo = image_repository(inputs.base.image) or ""
    key, _, _ = zookeeper_env(inputs, 0)
    # nothing sets the heap: composegen writes the one the znodes need
    free = not chosen and runs.fact(inputs, "heap_max", "jvm") is None and env_preset(inputs, key) is None
    base_notes: tuple[str, ...] = ()
    memory: Quantity | None = None  # the profile's margin on the whole total, unless the regions are bounded
    if free and repo == "zookeeper" and env_preset(inputs, "JVMFLAGS") is None:
        heap = znode_heap(inputs)
        regions = bounded_regions(inputs, profile, heap)
        fixed, memory = regions.fixed, limit_with_caps(heap, regions, profile)
        whole = total("JVM total", (heap, fixed))
        env, notes = env_or_note(inputs, "ZK_SERVER_HEAP", str(heap_mib(heap)), heap, "MB; zkServer.sh's -Xmx")
        env += (EnvSetting("JVMFLAGS", regions.flags, fixed, "bounds the non-heap regions the limit counts"),)
    else:
        default_heap = znode_heap(inputs) if free else given(
            "ZooKeeper default heap",
            ZOOKEEPER_HEAP,
            "bytes",
            "ZooKeeper bin/zkEnv.sh ZK_SERVER_HEAP=1000 (not in facts)",
            "default",
        )  # fmt: skip
        whole, fixed, heap = heap_breakdown(inputs, profile, default_heap, 0, "")
        base = heap_from_base(inputs, whole, heap, needs_fixed(fixed))
        whole, heap, base_notes = base.whole, base.heap, base.notes
        key, value, note = zookeeper_env(inputs, heap_mib(heap))
        env, notes = heap_env(inputs, base, key, value, note)
    return _sizing(
        inputs,
        profile,
        whole,
        fixed,
        heap,
        env,
        (*notes, "no healthcheck: a JVM probe (zkServer.sh status) would be charged to the container every interval"),
        startup_time(inputs, profile, ZOOKEEPER_STARTUP, BENCH_SERVERS, "measured"),
        hardening=False,
        base_notes=base_notes,
        memory=memory,
    )  # the official entrypoint chowns as root, then drops privileges
