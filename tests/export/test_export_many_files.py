"""`export k8s` writes a file per service: writing and checking them takes time in proportion to
their number (issue 12: every input in linear time). The folder was looked through once for each
file written (stale temp files) and the files written once for each file found (stale exports):
quadratic, 6 s and 4 s of an export of 4,000 services."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from composegen import writer
from composegen.export.k8s import stale_files
from composegen.writer import temp_prefix, write_all_atomic


def test_the_folder_is_looked_through_once_for_all_the_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"{temp_prefix(tmp_path / 'a.b.yaml')}{dead.pid}.abc123.tmp"  # a name with dots
    live = tmp_path / f"{temp_prefix(tmp_path / 's1.yaml')}1.def456.tmp"  # pid 1 is always running
    other = tmp_path / f".other.yaml.{dead.pid}.x.tmp"  # another target's: not ours to judge
    for path in (stale, live, other):
        path.write_text("half")
    looks = []
    scandir = os.scandir

    def counting(path: str | Path) -> object:
        looks.append(path)
        return scandir(path)

    monkeypatch.setattr(writer.os, "scandir", counting)
    files = [(tmp_path / f"s{i}.yaml", f"s{i}\n") for i in range(300)] + [(tmp_path / "a.b.yaml", "x\n")]
    write_all_atomic(files)
    assert len(looks) == 1  # once for the folder, not once a file
    assert not stale.exists() and live.exists() and other.exists()
    assert all(path.read_text() == text for path, text in files)


def test_stale_exports_are_found_in_linear_time(tmp_path: Path) -> None:
    written = [tmp_path / f"s{i}.yaml" for i in range(10_000)]
    for path in written:
        path.write_text("x\n")
    start = time.process_time()
    assert stale_files(tmp_path, written) == []
    assert time.process_time() - start < 2.0  # each file looked for in the list: ~10 s
