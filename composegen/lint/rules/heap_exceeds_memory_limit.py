"""heap-exceeds-memory-limit (CG304): a heap set at or above the container's memory limit.

What it does:
    Reads the heap a service's runtime is told to use, from its command, entrypoint and
    environment (composegen.facts), and compares it with the service's memory limit: the JVM's
    `-Xmx` (in the command, `JAVA_TOOL_OPTIONS`, `JDK_JAVA_OPTIONS`, `_JAVA_OPTIONS`,
    `JAVA_OPTS` and the images' own variables: `ES_JAVA_OPTS`, `OPENSEARCH_JAVA_OPTS`,
    `KAFKA_HEAP_OPTS`, ZooKeeper's `JVMFLAGS`, `CATALINA_OPTS`, `LS_JAVA_OPTS`, ...; without
    `-Xmx`, `-XX:MaxRAMPercentage` of `-XX:MaxRAM` or of the limit), Node's
    `--max-old-space-size` (command or `NODE_OPTIONS`) and Go's `GOMEMLIMIT`. Each program's own
    precedence decides which value runs. A JVM or Node heap at or above the limit is an error; a
    GOMEMLIMIT at or above it is a warning (it is a soft goal, and the kill comes with the load).

Why is this bad?
    The heap alone does not fit: the runtime keeps growing its heap towards what it was told,
    and the kernel's OOM killer ends the container the moment the heap, plus the runtime's own
    memory (thread stacks, metaspace, code, buffers), crosses the limit. A JVM never throws
    OutOfMemoryError first: it is killed with exit 137 and no stack trace. A GOMEMLIMIT at or
    above the limit turns off the garbage collector's brake before the kernel's.

Example:
    ```yaml
    services:
      search:
        image: elasticsearch:8.15.0
        environment:
          ES_JAVA_OPTS: "-Xms4g -Xmx4g"
        mem_limit: 2g
    ```

Use instead:
    ```yaml
    services:
      search:
        image: elasticsearch:8.15.0
        environment:
          ES_JAVA_OPTS: "-Xms1g -Xmx1g"
        mem_limit: 2g
    ```
    A heap of at most three quarters of the limit (half for Elasticsearch and OpenSearch), or a
    bigger limit.

`--fix` writes the suggested heap where the base file sets it (`-Xmx`, an `-Xms` above it with
it, `--max-old-space-size`, `GOMEMLIMIT`, `-XX:MaxRAMPercentage=75`), keeping the rest of that
command or variable as written. No fix where the value is shared through an anchor or `<<:` merge
key, holds a variable, or is set in a file composegen does not edit (`extends`, `include`); nor
for `-XX:MaxRAM` (dropping a flag is your call). Raising the limit instead is yours to choose.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Fix, Severity, Violation
from composegen.lint.readers import (
    SEARCH_IMAGES,
    Limited,
    at_fact,
    cited,
    limit_cited,
    limited_services,
    mebibytes,
    number_fact,
    setting_fix,
    size_text,
)
from composegen.units import MIB

if TYPE_CHECKING:
    from composegen.facts import Fact

CODE = "CG304"
NAME = "heap-exceeds-memory-limit"
SEVERITY = Severity.error
FIXABLE = True

#: (program, setting, what it is, how to set it, its value in MiB, share of the limit to suggest, severity)
HEAPS: tuple[tuple[str, str, str, str, str, float, Severity | None], ...] = (
    ("jvm", "heap_max", "JVM heap", "-Xmx{}", "{}m", 0.75, None),
    ("node", "max_old_space", "Node old space", "--max-old-space-size={}", "{}", 0.75, None),
    ("go", "memory_limit", "Go memory limit", "GOMEMLIMIT={}", "{}MiB", 0.9, Severity.warning),
)


#: The JVM's default MaxRAMPercentage: the heap is a quarter of the memory it sees.
JVM_DEFAULT_PERCENT = 25.0


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for found in limited_services(ctx):
        yield from _ram_percentage(ctx, found)
        for program, setting, what, flag, unit, share, severity in HEAPS:
            fact = number_fact(found.facts, setting, program)
            if fact is None or float(fact.value or 0) < found.limit.value:
                continue
            if program == "jvm" and found.facts.image_name in SEARCH_IMAGES:
                share = 0.5  # Elastic's and OpenSearch's guidance: half the memory
            heap = mebibytes(found.limit.value * share)
            value = unit.format(heap)
            suggest = flag.format(value)
            yield at_fact(
                found,
                fact,
                f"service {found.name!r}: {what} {cited(fact)} = {size_text(float(fact.value or 0))} is at or "
                f"above {limit_cited(ctx, found.limit)}: the kernel kills the container when the heap fills; "
                f"set {suggest} (about {share:.0%} of the limit) or raise the limit",
                severity,
                _heap_fix(ctx, found, fact, value, heap * MIB),
            )


def _ram_percentage(ctx: LintContext, found: Limited) -> Iterator[Violation]:
    """Without -Xmx, a container-aware JVM sizes its heap as MaxRAMPercentage (25 by default) of
    MaxRAM, else of the container's limit: at 100% or more, or with a MaxRAM above the limit, the
    heap alone reaches the limit."""
    facts = found.facts
    if number_fact(facts, "heap_max", "jvm") is not None:
        return
    percent = number_fact(facts, "max_ram_percentage", "jvm")
    max_ram = number_fact(facts, "max_ram", "jvm")
    if percent is None and max_ram is None:
        return
    share = float(percent.value or 0) if percent is not None else JVM_DEFAULT_PERCENT
    seen = float(max_ram.value or 0) if max_ram is not None else found.limit.value
    heap = share / 100 * seen
    if heap < found.limit.value:
        return
    read = [f for f in (percent, max_ram) if f is not None]
    said = " and ".join(cited(f) for f in read)
    yield at_fact(
        found,
        read[0],
        f"service {found.name!r}: JVM heap of {share:g}% of {size_text(seen)} ({said}) = {size_text(heap)} is at or "
        f"above {limit_cited(ctx, found.limit)}: the kernel kills the container when the heap fills; set "
        "-XX:MaxRAMPercentage=75 (without -XX:MaxRAM) or raise the limit",
        fix=setting_fix(ctx, [(percent, "75")]) if percent is not None and max_ram is None else None,
    )


def _heap_fix(ctx: LintContext, found: Limited, fact: Fact, value: str, heap: int) -> Fix | None:
    """The heap set to the suggested value; a JVM's initial heap (-Xms) above it goes down with it
    (a JVM whose -Xms is above its -Xmx refuses to start)."""
    changes = [(fact, value)]
    initial = number_fact(found.facts, "heap_initial", "jvm") if fact.program == "jvm" else None
    if initial is not None and float(initial.value or 0) > heap:
        changes.insert(0, (initial, value))
    return setting_fix(ctx, changes)
