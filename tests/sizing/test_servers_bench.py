"""bench/servers.py --plan-only: every case planned as the bench renders it, with no engine, against
the peaks of the last full run (kept as data in the bench)."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest

from bench import servers

#: A row: case | limit then | limit | reservation | recorded peak | limit ÷ recorded peak (✓ in band)
ROW = re.compile(r"\| (?P<limit>[\d,]+) MiB \| [^|]+ \| [\d,]+ MiB \| (?P<ratio>[\d.]+)(?P<band> ✓)? \|$")


def test_every_full_case_has_a_recorded_peak_and_no_peak_is_stale() -> None:
    assert {c.name for c in servers.cases(quick=False)} == set(servers.RECORDED)


def test_plan_only_prints_every_case_without_an_engine(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_engine(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"--plan-only ran {args[0]}")

    monkeypatch.setattr(subprocess, "run", no_engine)
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    assert servers.main(["--plan-only"]) == 0
    out = capsys.readouterr().out
    rows = {line.split(" | ")[0].lstrip("| "): line for line in out.splitlines() if line.startswith("| ")}
    assert set(servers.RECORDED) <= set(rows)
    judged = 0
    for name, (_, peak) in servers.RECORDED.items():
        found = ROW.search(rows[name])
        assert found is not None, rows[name]
        limit = int(found["limit"].replace(",", ""))
        assert float(found["ratio"]) == pytest.approx(limit / peak, abs=0.005)
        assert bool(found["band"]) == servers.in_band(limit / peak)
        judged += 1
    assert f"of {judged} rows with a recorded peak in [1.1, 1.4]" in out


def test_plan_only_prints_the_cases_only_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert servers.main(["--plan-only", "--only", "gunicorn"]) == 0
    lines = capsys.readouterr().out.splitlines()[2:]
    names = [line.split(" | ")[0].lstrip("| ") for line in lines if line.startswith("| ")]
    assert names == ["gunicorn 1w", "gunicorn 2w", "gunicorn 4w", "gunicorn 8w"]
