"""The measurements file's one schema (composegen.sizing.measurements_file), shared by what
calibrate writes and what render reads: a written file reads back whole, and a file an earlier
composegen wrote (schema version 1) still reads. No engine needed."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from composegen.engine.measurements import CommandRecord, document
from composegen.sizing.measured import parse_measurements
from composegen.sizing.measurements_file import EarlierKill, MeasurementsFile
from composegen.units import MIB
from tests.engine.test_measurements_document import recorder, run_info

#: written by calibrate of composegen before version 2 of the schema (no high-water marks, no
#: earlier kills)
VERSION_1 = Path(__file__).parent / "data" / "shapes-measurements.json"


def test_what_calibrate_writes_reads_back_whole() -> None:
    rec = recorder()
    rec.earlier["boom"] = [EarlierKill(96 * MIB, "2026-01-01T00:00:00Z", "old.json")]
    written = document(rec, run_info(), None)
    assert written["services"]["boom"]["oom"]["earlier"] and written["services"]["leaky"]["cooldown"]
    assert MeasurementsFile.from_json(written).to_json() == written
    command = CommandRecord(("locust", "--password", "hunter2"), 0, 12.3456, "stopped at the end of the run")
    with_command = document(rec, replace(run_info(), command=command), None)
    assert with_command["run"]["command"]["argv"][:2] == ["locust", "--password"]
    assert "hunter2" not in json.dumps(with_command)
    assert MeasurementsFile.from_json(with_command).to_json() == with_command


def _as_written(read: Any, written: Any) -> Any:
    """`read` with only the keys `written` has, all the way down."""
    if isinstance(written, dict) and isinstance(read, dict):
        return {k: _as_written(read.get(k), v) for k, v in written.items()}
    if isinstance(written, list) and isinstance(read, list):
        return [_as_written(r, w) for r, w in zip(read, written, strict=True)]
    return read


def test_a_version_1_file_still_reads() -> None:
    data = json.loads(VERSION_1.read_text(encoding="utf-8"))
    assert data["schema_version"] == 1 and "memory_high_water" not in data["services"]["steady"]
    read = MeasurementsFile.from_json(data)
    assert read.schema_version == 1 and list(read.services) == ["steady", "growing", "spike"]
    assert all(s.memory_high_water is None and s.oom.earlier == () for s in read.services.values())
    measured = parse_measurements(VERSION_1.read_text(encoding="utf-8"), str(VERSION_1))
    steady, growing = measured.services["steady"], measured.services["growing"]
    assert (measured.profile, measured.seconds, measured.partial) == ("pytest", 21.926, False)
    assert (steady.samples, steady.memory_peak, steady.limit, steady.leak) == (20, 84692992.0, 134217728.0, False)
    assert growing.leak and growing.leak_reason.startswith("leak: grows 29.50 MiB/min")
    assert steady.memory_high_water is None and steady.earlier_kill_limit is None
    assert measured.idle_run.startswith("the calibrate run saw no load")
    # what the file holds reads back as it was written (version 2 adds keys, with nothing in them)
    again = read.to_json()
    assert _as_written(again, data) == data
    assert again["services"]["steady"]["memory_high_water"] is None
    assert again["services"]["steady"]["oom"]["earlier"] == []
