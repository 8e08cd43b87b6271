"""bench/hostile.py's search for the largest size a command accepts (`--at-cap`): a command that
refuses a shape at 1 MB does the most work just below its bound, which the bench must time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import hostile
from bench.hostile import CAP_PRECISION, Run, Shape, largest_accepted


def _shape() -> Shape:
    return Shape("sized", "bytes", lambda size: "x" * size, lambda fraction: int(1_000_000 * fraction))


@pytest.mark.parametrize("bound", [12_000, 250_000, 456_789, 999_999])
def test_the_largest_size_accepted_is_found_within_the_precision(bound: int, monkeypatch: pytest.MonkeyPatch) -> None:
    probes: list[int] = []

    def refuse_above(folders: Iterator[Path], made: str, command: str, timeout: float, repeat: int = 1) -> Run:
        probes.append(len(made))
        return Run(0.1, 2 if len(made) > bound else 0)

    monkeypatch.setattr(hostile, "time_files", refuse_above)
    points = [(250_000, Run(0.5, 0 if bound >= 250_000 else 2)), (1_000_000, Run(0.3, 2))]
    found = largest_accepted(_shape(), "render", points, iter(()), 60.0)
    assert found is not None
    assert found <= bound
    assert bound - found <= max(1, int(1_000_000 * CAP_PRECISION))
    assert len(probes) <= 10  # halving: a few runs, not a walk


def test_no_search_where_nothing_was_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hostile, "time_files", lambda *args, **kwargs: pytest.fail("a run"))
    assert largest_accepted(_shape(), "lint", [(1_000_000, Run(1.0, 1))], iter(()), 60.0) is None


def test_a_command_that_accepts_no_size_has_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hostile, "time_files", lambda *args, **kwargs: Run(0.1, 2))
    assert largest_accepted(_shape(), "render", [(1_000_000, Run(0.3, 2))], iter(()), 60.0) is None
