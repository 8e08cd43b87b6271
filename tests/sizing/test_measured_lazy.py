"""Calibrate's measurements (`composegen.sizing.measured`, `measurements_file`: some 30 frozen
dataclasses) are imported only where a measurements file is given: a render, explain or export
without one does not pay for them (docs/benchmarks.md, branch plan12f)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prod"
PROBE = """
import sys
from composegen.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("\\0" + " ".join(sorted(name for name in sys.modules if name.startswith("composegen.sizing.measure"))))
"""


@pytest.mark.parametrize(
    "args",
    [
        ["render", "--profile", "prod", "-o", "overlay.yml", "--force"],
        ["render", "--profile", "prod", "--target", "swarm", "-o", "stack.yml", "--force"],
        ["explain", "--profile", "prod", "--format", "json"],
        ["export", "k8s", "--profile", "prod", "-o", "k8s", "--force"],
    ],
)
def test_a_command_without_a_measurements_file_does_not_import_them(args: list[str], tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "prod")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=tmp_path / "prod",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "\0" in done.stdout, done.stderr
    assert done.stdout.rpartition("\0")[2].split() == []
