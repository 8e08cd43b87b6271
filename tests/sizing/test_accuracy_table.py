"""The pure parts of bench/accuracy: verdicts, the table, the docs section, finding the memory cgroup."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.accuracy.measure import Peak, own_memory_cgroup
from bench.accuracy.table import MIB, Row, markdown, replace_section, summary, verdict


@pytest.mark.parametrize(
    ("ratio", "kills", "expected"),
    [
        (1.0, None, "ok"),
        (1.3, None, "ok"),
        (0.99, None, "under"),  # an OOM kill waiting to happen
        (1.31, None, "over"),  # waste
        (15.0, 0, "ok"),  # a replay is judged by its kills alone
        (1.1, 1, "1 OOM kill"),
        (1.1, 2, "2 OOM kills"),
    ],
)
def test_verdict(ratio: float, kills: int | None, expected: str) -> None:
    assert verdict(ratio, kills) == expected


def test_table_rows_and_summary() -> None:
    rows = [
        Row("model a fp32", "batch 8 × seq 512", 1100 * MIB, 1000 * MIB, 1280 * MIB, "cgroup"),
        Row("web 4w", "4 workers", 90 * MIB, 100 * MIB, 128 * MIB, "pss"),
    ]
    text = markdown(rows)
    lines = text.splitlines()
    assert lines[0].startswith("| case | inputs | estimate | measured | ratio | verdict |")
    assert lines[2] == "| model a fp32 | batch 8 × seq 512 | 1,100 MiB | 1,000 MiB | 1.10 | ok | 1,280 MiB | cgroup |"
    assert "| 0.90 | under |" in lines[3]
    assert summary(rows) == "1 of 2 cases ok; missed: web 4w (under, 0.90)."
    assert summary(rows[:1]) == "1 of 1 cases ok."


def test_replace_section_keeps_the_others() -> None:
    text = "# Benchmarks\n\nintro\n\n## Sizing accuracy\n\nold table\n\n## Speed against peers\n\nspeed\n"
    new = replace_section(text, "## Sizing accuracy", "## Sizing accuracy\n\nnew table\n")
    assert new == "# Benchmarks\n\nintro\n\n## Sizing accuracy\n\nnew table\n\n## Speed against peers\n\nspeed\n"
    last = "# B\n\n## Sizing accuracy\n\nold\n"
    assert (
        replace_section(last, "## Sizing accuracy", "## Sizing accuracy\n\nnew\n")
        == "# B\n\n## Sizing accuracy\n\nnew\n"
    )


def test_own_memory_cgroup_v1_and_v2(tmp_path: Path) -> None:
    v1 = "4:memory:/process_api/abc\n1:cpu:/\n"
    assert own_memory_cgroup(v1, tmp_path) == (tmp_path / "memory/process_api/abc", "memory.max_usage_in_bytes")
    (tmp_path / "cgroup.controllers").write_text("cpu io memory pids\n")
    assert own_memory_cgroup("0::/user.slice/x\n", tmp_path) == (tmp_path / "user.slice/x", "memory.peak")
    (tmp_path / "cgroup.controllers").write_text("cpu io\n")
    assert own_memory_cgroup("0::/user.slice/x\n", tmp_path) is None


def test_peak_takes_the_larger_of_cgroup_and_pss() -> None:
    assert Peak(cgroup=100, pss=90, seconds=1.0, returncode=0).bytes == 100
    assert Peak(cgroup=100, pss=120, seconds=1.0, returncode=0).method == "pss"
    assert Peak(cgroup=None, pss=120, seconds=1.0, returncode=0).bytes == 120
