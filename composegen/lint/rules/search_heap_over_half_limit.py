"""search-heap-over-half-limit (CG305): an Elasticsearch or OpenSearch heap above half the limit.

What it does:
    For an Elasticsearch or OpenSearch service (by its image) whose JVM heap (`-Xmx` in
    `ES_JAVA_OPTS`, `OPENSEARCH_JAVA_OPTS` or another JVM options variable, as
    composegen.facts reads them) is above half of its memory limit but below the limit (a heap
    at or above it is heap-exceeds-memory-limit, an error).

Why is this bad?
    Elastic's and OpenSearch's guidance is a heap of at most half the memory: the other half is
    the off-heap memory these servers use on purpose (Lucene's memory-mapped segments, direct
    buffers for networking, the filesystem cache that searches read from). With most of the
    limit given to the heap, the container is killed under indexing or search load, or runs
    slowly with a starved page cache.

Example:
    ```yaml
    services:
      search:
        image: opensearchproject/opensearch:2.17.0
        environment:
          OPENSEARCH_JAVA_OPTS: "-Xms1536m -Xmx1536m"
        mem_limit: 2g
    ```

Use instead:
    ```yaml
    services:
      search:
        image: opensearchproject/opensearch:2.17.0
        environment:
          OPENSEARCH_JAVA_OPTS: "-Xms1g -Xmx1g"
        mem_limit: 2g
    ```

`--fix` sets `-Xmx` (and an `-Xms` set beside it) to half the limit where the base file writes
them, keeping the rest of the variable as written (not through an anchor or a variable).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from composegen.lint.context import LintContext
from composegen.lint.finding import Severity, Violation
from composegen.lint.readers import (
    SEARCH_IMAGES,
    at_fact,
    cited,
    limit_cited,
    limited_services,
    mebibytes,
    number_fact,
    setting_fix,
    size_text,
)

CODE = "CG305"
NAME = "search-heap-over-half-limit"
SEVERITY = Severity.warning
FIXABLE = True
SEVERITY_BY_USAGE = {"dev": Severity.info, "pytest": Severity.info}


def check(ctx: LintContext, options: Mapping[str, Any]) -> Iterator[Violation]:
    for found in limited_services(ctx):
        if found.facts.image_name not in SEARCH_IMAGES:
            continue
        fact = number_fact(found.facts, "heap_max", "jvm")
        if fact is None:
            continue
        heap = float(fact.value or 0)
        if not found.limit.value / 2 < heap < found.limit.value:
            continue
        half = mebibytes(found.limit.value / 2)
        yield at_fact(
            found,
            fact,
            f"service {found.name!r}: {found.facts.image_name} heap {cited(fact)} = {size_text(heap)} is above half "
            f"of {limit_cited(ctx, found.limit)}: the rest is the off-heap memory and page cache the server needs; "
            f"set -Xms{half}m -Xmx{half}m or raise the limit",
            fix=setting_fix(
                ctx,
                [
                    *((f, f"{half}m") for f in [number_fact(found.facts, "heap_initial", "jvm")] if f is not None),
                    (fact, f"{half}m"),
                ],
            ),
        )
