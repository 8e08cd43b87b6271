"""The twin of examples/pytest declares what its init scripts and suite load (no engine needed):
the stack's composegen.yaml is TwinSize's at the engine test's size, and Redis's maxmemory is
sized from the keys the suite writes, not a markup on top of composegen's own per-key count."""

from __future__ import annotations

from bench.real_servers import TWIN, TwinSize
from composegen.render.overlay import plan
from composegen.yamlio import read_document


def test_the_stack_declares_twin_size() -> None:
    declared = read_document(TWIN / "composegen.yaml").data
    assert declared["services"] == TwinSize().declared()["services"]


def test_redis_maxmemory_holds_the_suite_keys_with_the_profile_margin() -> None:
    size = TwinSize()
    # what the suite's keys take in Redis 7.0 (sizing/redis.py: values × 1.25 + 91 B a key)
    in_memory = size.redis_keys * (size.redis_value_bytes * 1.25 + 91)
    maxmemory = plan("pytest", None, TWIN).stack.service("redis").sizing.extra["maxmemory"].value
    assert in_memory <= maxmemory <= in_memory * 1.25 * 1.1  # the pytest margin, and whole MiB of values
