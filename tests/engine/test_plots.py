"""calibrate's PNG plots, from the recorded run (no engine), and the message when matplotlib is missing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from composegen.engine.plots import PlotsUnavailable, plot_measurements

RECORDED = Path(__file__).resolve().parent / "data" / "shapes-measurements.json"


def test_one_png_per_service(tmp_path: Path) -> None:
    written = plot_measurements(json.loads(RECORDED.read_text()), tmp_path / "plots")
    assert [p.name for p in written] == ["memory-steady.png", "memory-growing.png", "memory-spike.png"]
    for path in written:
        assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and path.stat().st_size > 10_000


def test_without_matplotlib_the_plots_are_skipped_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    with pytest.raises(PlotsUnavailable, match=r"matplotlib is not installed \(pip install matplotlib"):
        plot_measurements(json.loads(RECORDED.read_text()), tmp_path / "plots")
    assert not (tmp_path / "plots").exists()
