"""calibrate's options and its command, checked before any engine is needed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from composegen.engine.calibrate import DEFAULT_DURATION, CalibrateRequest, Command, earlier_kills
from composegen.errors import InputError

SHAPES = Path(__file__).resolve().parent / "stacks" / "shapes"


def cg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "composegen", *args], cwd=SHAPES, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--interval", "100ms"], "active interval 0.1s is below 0.5s"),
        (["--cooldown", "10s", "--cooldown-interval", "0.2s"], "cooldown interval 0.2s is below 0.5s"),
        (["--duration", "soon"], "--duration 'soon' is not a duration"),
        (["-o", "/nonexistent/dir/m.json"], "the output folder does not exist"),
        (["--", "no-such-program-composegen"], "command 'no-such-program-composegen' is not on PATH"),
    ],
)
def test_bad_options_are_usage_errors_before_anything_starts(args: list[str], message: str) -> None:
    base = ["calibrate", "--profile", "pytest"]
    if "-o" not in args:
        base += ["-o", "m.json"]
    result = cg(*base, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert not (SHAPES / "m.json").exists()


def test_phases_from_the_request() -> None:
    plain = CalibrateRequest("pytest", None, SHAPES, Path("m.json"))
    assert [(p.name, p.duration, p.interval) for p in plain.phases()] == [("active", DEFAULT_DURATION, 2.0)]
    full = CalibrateRequest(
        "pytest", None, SHAPES, Path("m.json"), command=("pytest",), interval=1.0, drain=5.0, cooldown=30.0,
        cooldown_interval=5.0,
    )  # fmt: skip
    assert [(p.name, p.duration, p.interval) for p in full.phases()] == [
        ("active", None, 1.0),  # until the command ends
        ("drain", 5.0, 1.0),
        ("cooldown", 30.0, 5.0),
    ]


def test_a_command_is_stopped_and_recorded(tmp_path: Path) -> None:
    command = Command(["sleep", "30"], dict(os.environ), tmp_path)
    assert not command.done()
    command.stop("stopped after --duration 1s")
    record = command.record()
    assert record.exit_code == -15 and record.stopped == "stopped after --duration 1s" and record.seconds < 10
    quick = Command(["sh", "-c", "exit 3"], dict(os.environ), tmp_path)
    quick.process.wait(10)
    assert quick.done() and quick.record().exit_code == 3 and quick.record().stopped == ""


def test_a_missing_previous_file_is_a_usage_error(tmp_path: Path) -> None:
    result = cg("calibrate", "--profile", "pytest", "-o", str(tmp_path / "m.json"), "--previous", "none.json")
    assert result.returncode == 2 and "the --previous file does not exist" in result.stderr


def kills_doc(root: Path) -> str:
    service = {"oom": {"killed": True, "limit_at_kill": 64 * 1024**2, "earlier": []}}
    doc = {"schema": "composegen-measurements", "created": "2026-01-01T00:00:00Z", "stack": {"root": str(root)}}
    return json.dumps({**doc, "services": {"spike": service}})


def test_which_earlier_kills_are_carried(tmp_path: Path) -> None:
    out, other = tmp_path / "m.json", tmp_path / "earlier.json"
    out.write_text(kills_doc(SHAPES))
    other.write_text(kills_doc(SHAPES))
    lines: list[str] = []
    request = CalibrateRequest("pytest", None, tmp_path, out)
    # the output file the run replaces
    assert [k.limit for k in earlier_kills(request, out, SHAPES, lines.append)["spike"]] == [64 * 1024**2]
    assert lines[-1] == "carried OOM kills of earlier runs from m.json: spike at 64 MiB (--fresh forgets them)"
    # --previous names another file; --fresh carries nothing
    carried = earlier_kills(replace(request, previous=Path("earlier.json")), out, SHAPES, lines.append)
    assert carried["spike"][0].file == "earlier.json"
    assert earlier_kills(replace(request, fresh=True), out, SHAPES, lines.append) == {}
    # an output file of another stack is replaced all the same, and carries nothing
    out.write_text(kills_doc(tmp_path))
    assert earlier_kills(request, out, SHAPES, lines.append) == {}
    assert lines[-1] == f"no earlier OOM kills carried: m.json measured another stack ({tmp_path})"
    # ... but a --previous that is no measurements file of this stack is a mistake to say
    other.write_text("not json")
    with pytest.raises(InputError, match=re.escape("--previous: earlier.json is not JSON")):
        earlier_kills(replace(request, previous=other), out, SHAPES, lines.append)
    # no output file yet: nothing to carry, nothing to say
    out.unlink()
    assert earlier_kills(request, out, SHAPES, lines.append) == {} and len(lines) == 3
