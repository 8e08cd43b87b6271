"""The measurements file calibrate writes, from synthetic ticks (no engine): the summaries, the
verdicts, the partial flag, an atomic write, and that `render --measurements` reads it back."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from composegen.engine.calibrate import Phase, run_phase, summary_text
from composegen.engine.compare import EngineInfo
from composegen.engine.live import NullDisplay
from composegen.engine.measurements import (
    EarlierKill,
    PhaseRecord,
    Recorder,
    RunInfo,
    carried_kills,
    document,
    write_json_atomic,
)
from composegen.engine.sampler import ContainerState, OomEvent, Sample, Tick
from composegen.sizing.measured import parse_measurements
from composegen.units import MIB

ENGINE = EngineInfo("20.10.24", "1.41")


def container(name: str, service: str, *, status: str = "running", oom: bool = False) -> ContainerState:
    return ContainerState(f"id-{name}", name, service, status, oom, 0, 137 if oom else 0, 64 * MIB, None, None, None)


def tick(
    t: float, values: dict[str, int], *, dead: frozenset[str] = frozenset(), ooms: tuple[OomEvent, ...] = ()
) -> Tick:
    states = tuple(
        container(name, name.split("-")[1], status="exited" if name in dead else "running", oom=name in dead)
        for name in values
    )
    samples = tuple(
        Sample(t, name, name.split("-")[1], used, used, 64 * MIB, 0.1, 2, 0.0)
        for name, used in values.items()
        if name not in dead
    )
    return Tick(t, states, samples, ooms)


def recorder() -> Recorder:
    rec = Recorder()
    for t in range(20):
        rec.add(tick(float(t), {"p-steady-1": 20 * MIB, "p-leaky-1": 10 * MIB + t * MIB, "p-boom-1": MIB}), "active")
    rec.add(
        tick(20.0, {"p-steady-1": 20 * MIB, "p-leaky-1": 30 * MIB, "p-boom-1": 0}, dead=frozenset({"p-boom-1"}),
             ooms=(OomEvent(19.5, "p-boom-1", "boom"),)),
        "active",
    )  # fmt: skip
    for t in range(21, 25):
        rec.add(tick(float(t), {"p-steady-1": 20 * MIB, "p-leaky-1": 10 * MIB}), "cooldown")
    rec.phases += [PhaseRecord("active", 1.0, 0.0, 20.0, 21), PhaseRecord("cooldown", 1.0, 20.0, 24.0, 4)]
    return rec


def run_info(partial: str = "") -> RunInfo:
    return RunInfo(
        "pytest", Path("/stack"), ("docker-compose.yml",), "p", ENGINE, 1_800_000_000.0, 30.0, 1.0, None, partial
    )


def test_the_document_summarizes_each_service() -> None:
    doc = document(recorder(), run_info(), None)
    services = doc["services"]
    assert list(services) == ["boom", "leaky", "steady"]
    steady, leaky, boom = services["steady"], services["leaky"], services["boom"]
    assert steady["memory"] == {"count": 25, "p50": 20 * MIB, "p90": 20 * MIB, "p95": 20 * MIB, "peak": 20 * MIB}
    assert not steady["leak"]["leak"]
    assert leaky["leak"]["leak"] and leaky["leak"]["slope_bytes_per_second"] == pytest.approx(MIB, rel=0.05)
    assert leaky["cooldown"]["verdict"] == "released"
    assert boom["oom"] == {
        "events": 1,
        "event_times": [19.5],
        "killed": True,
        "containers": ["p-boom-1"],
        "limit_at_kill": 64 * MIB,
        "restarts": 0,
        "earlier": [],
    }
    assert boom["state"] == {"p-boom-1": {"status": "exited", "exit_code": 137}}
    assert boom["series"][0]["phase"] == ["active"] * 20
    assert doc["run"]["phases"][1] == {"name": "cooldown", "interval": 1.0, "start": 20.0, "end": 24.0, "ticks": 4}
    text = summary_text(doc, Path("m.json"))
    assert "boom: OOM-killed at the 64 MiB limit (1 oom events, 0 restarts)" in text
    assert "leaky: after cooldown released: 20 MiB released" in text


def test_written_atomically_and_read_back_by_render(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text("old")
    doc = document(recorder(), run_info("interrupted"), None)
    write_json_atomic(path, doc)
    assert json.loads(path.read_text()) == json.loads(json.dumps(doc))
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]  # no temp file left
    m = parse_measurements(path.read_text(), "m.json")
    assert m.partial and m.partial_reason == "interrupted"
    assert m.services["boom"].oom_killed and m.services["boom"].limit_at_kill == 64 * MIB
    assert m.services["leaky"].leak and m.services["steady"].samples == 25


def test_the_high_water_mark_holds_a_spike_no_sample_saw() -> None:
    """Samples of 4 MiB, and a mark of 200 MiB: a spike between two samples, kept beside them."""
    rec = Recorder()
    for t in range(12):
        state = container("p-spike-1", "spike")
        mark = 4 * MIB if t < 5 else 200 * MIB
        sample = Sample(float(t), "p-spike-1", "spike", 4 * MIB, 4 * MIB, 64 * MIB, 0.0, 1, 0.0, mark, "memory.peak")
        rec.add(Tick(float(t), (state,), (sample,), ()), "active")
    rec.add(tick(12.0, {"p-quiet-1": MIB}), "active")  # a service whose samples have no mark
    doc = document(rec, run_info(), None)
    spike, quiet = doc["services"]["spike"], doc["services"]["quiet"]
    assert spike["memory"]["peak"] == 4 * MIB
    assert spike["memory_high_water"] == {"bytes": 200 * MIB, "read_from": ["memory.peak"]}
    assert spike["series"][0]["high_water"][4:6] == [4 * MIB, 200 * MIB]
    assert quiet["memory_high_water"] is None
    text = summary_text(doc, Path("m.json"))
    assert "spike: the cgroup's high-water mark 200 MiB is above every sample (4 MiB)" in text
    assert "200 MiB" in next(line for line in text.splitlines() if line.startswith("spike "))  # the PEAK column
    m = parse_measurements(json.dumps(doc), "m.json").services["spike"]
    assert m.memory_high_water == 200 * MIB and m.high_water_from == "memory.peak"


def test_the_tmpfs_pages_at_the_peak_are_recorded() -> None:
    """shmem of the sample with the highest working set (not the highest shmem), and the highest."""
    rec = Recorder()
    for t, (used, shmem) in enumerate([(10, 2), (30, 12), (20, 20)] * 4):
        sample = Sample(float(t), "p-db-1", "db", used * MIB, used * MIB, 64 * MIB, 0.0, 1, 0.0, shmem=shmem * MIB)
        rec.add(Tick(float(t), (container("p-db-1", "db"),), (sample,), ()), "active")
    rec.add(tick(12.0, {"p-quiet-1": MIB}), "active")  # no shmem read
    doc = document(rec, run_info(), None)
    assert doc["services"]["db"]["memory_shmem"] == {"at_peak": 12 * MIB, "peak": 20 * MIB}
    assert doc["services"]["quiet"]["memory_shmem"] is None
    parsed = parse_measurements(json.dumps(doc), "m.json").services
    assert parsed["db"].shmem_at_peak == 12 * MIB and parsed["quiet"].shmem_at_peak is None


def test_what_each_tmpfs_held_is_recorded_by_its_target() -> None:
    """Each tmpfs's own reading at the sample with the highest working set, and its most; the
    file holds it per target and render reads it back (shmem cannot tell one tmpfs apart)."""
    rec = Recorder()
    readings = [(10, 2, 1), (30, 12, 3), (20, 20, 4)] * 4  # (working set, the data dir, /tmp) MiB
    for t, (used, data, tmp) in enumerate(readings):
        held = (("/data", data * MIB), ("/tmp", tmp * MIB))
        sample = Sample(float(t), "p-db-1", "db", used * MIB, used * MIB, 64 * MIB, 0.0, 1, 0.0, tmpfs=held)
        rec.add(Tick(float(t), (container("p-db-1", "db"),), (sample,), ()), "active")
    rec.add(tick(12.0, {"p-quiet-1": MIB}), "active")  # nothing read: no tmpfs, or not from here
    doc = document(rec, run_info(), None)
    assert doc["services"]["db"]["memory_tmpfs"] == {
        "/data": {"at_peak": 12 * MIB, "peak": 20 * MIB},
        "/tmp": {"at_peak": 3 * MIB, "peak": 4 * MIB},
    }
    assert doc["services"]["quiet"]["memory_tmpfs"] == {}
    parsed = parse_measurements(json.dumps(doc), "m.json").services
    assert parsed["db"].tmpfs_at_peak == {"/data": 12 * MIB, "/tmp": 3 * MIB}
    assert parsed["db"].tmpfs_peak == {"/data": 20 * MIB, "/tmp": 4 * MIB}
    assert parsed["quiet"].tmpfs_at_peak == {} and parsed["quiet"].tmpfs_peak == {}


def test_without_any_mark_the_summary_says_a_spike_is_not_measured() -> None:
    text = summary_text(document(recorder(), run_info(), None), Path("m.json"))
    assert "no high-water marks" in text and "a spike between two samples is not measured" in text


def previous_doc(root: str = "/stack") -> dict[str, object]:
    """A run that saw boom OOM-killed at 64 MiB, and carried a kill at 176 MiB from a run before it."""
    doc = document(recorder(), run_info(), None)
    doc["services"]["boom"]["oom"]["earlier"] = [{"limit": 176 * MIB, "created": "2026-01-01T00:00:00Z", "file": "a"}]
    doc["stack"]["root"] = root
    return doc


def test_the_kills_of_earlier_runs_are_carried_into_the_next_file() -> None:
    kills, message = carried_kills(json.dumps(previous_doc()), Path("/stack/m.json"), Path("/stack"))
    assert kills == {
        "boom": [
            EarlierKill(176 * MIB, "2026-01-01T00:00:00Z", "a"),
            EarlierKill(64 * MIB, "2027-01-15T08:00:30Z", "m.json"),
        ]
    }
    assert message == "carried OOM kills of earlier runs from m.json: boom at 176 MiB, 64 MiB (--fresh forgets them)"
    rec = recorder()
    rec.earlier = kills
    doc = document(rec, run_info(), None)
    assert [k["limit"] for k in doc["services"]["boom"]["oom"]["earlier"]] == [176 * MIB, 64 * MIB]
    assert doc["services"]["steady"]["oom"]["earlier"] == []
    # the file after it carries them on, with no repeats
    again, _ = carried_kills(json.dumps(doc), Path("/stack/m.json"), Path("/stack"))
    assert [k.limit for k in again["boom"]] == [176 * MIB, 64 * MIB]
    text = summary_text(doc, Path("m.json"))
    assert "boom: OOM-killed at the 176 MiB limit in an earlier run: render keeps the limit above it" in text
    m = parse_measurements(json.dumps(doc), "m.json").services["boom"]
    assert m.earlier_kill_limit == 176 * MIB
    assert m.earlier_kill_source == (
        "OOM-killed at the 176 MiB limit in an earlier calibrate run (a, 2026-01-01T00:00:00Z)"
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "m.json is not JSON"),
        ('{"schema": "other"}', "m.json is not a composegen measurements file"),
        (json.dumps(previous_doc("/elsewhere")), "m.json measured another stack (/elsewhere)"),
    ],
)
def test_a_file_of_another_kind_or_stack_carries_nothing(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        carried_kills(text, Path("/stack/m.json"), Path("/stack"))


def test_a_file_with_no_kills_carries_none() -> None:
    doc = document(recorder(), run_info(), None)
    doc["services"].pop("boom")
    assert carried_kills(json.dumps(doc), Path("/stack/m.json"), Path("/stack")) == (
        {},
        "m.json saw no OOM kills: none carried",
    )


class FakeSampler:
    """Ticks on a fake clock: each tick advances it 0.4 s, each sleep by what was asked."""

    project = "p"

    def __init__(self) -> None:
        self.clock = 0.0
        self.ticks = 0

    def now(self) -> float:
        return self.clock

    def pace(self, interval: float) -> float:
        return interval

    def tick(self) -> Tick:
        self.ticks += 1
        self.clock += 0.4
        return tick(self.clock, {"p-app-1": MIB})


def test_a_phase_samples_at_its_interval_until_its_end(monkeypatch: pytest.MonkeyPatch) -> None:
    sampler = FakeSampler()
    monkeypatch.setattr(
        "composegen.engine.calibrate.time.sleep", lambda s: setattr(sampler, "clock", sampler.clock + s)
    )
    rec = Recorder()
    run_phase(Phase("active", 10.0, 2.0), sampler, rec, NullDisplay())  # type: ignore[arg-type]
    # ticks at 0, 2, 4, 6, 8 and one at the end (10): six
    assert sampler.ticks == 6 and rec.phases[0].ticks == 6 and rec.phases[0].name == "active"


def test_a_phase_ends_when_the_command_does(monkeypatch: pytest.MonkeyPatch) -> None:
    sampler = FakeSampler()
    monkeypatch.setattr(
        "composegen.engine.calibrate.time.sleep", lambda s: setattr(sampler, "clock", sampler.clock + s)
    )
    rec = Recorder()
    run_phase(Phase("active", None, 1.0), sampler, rec, NullDisplay(), lambda: sampler.clock >= 3.0)  # type: ignore[arg-type]
    assert 3.0 <= sampler.clock < 4.5  # ended with the command, after one last tick


def test_the_summary_says_when_the_run_saw_no_load() -> None:
    """Issue 12: calibrate without a workload; render then takes nothing from its CPU figures."""
    rec = Recorder()
    for t in range(12):
        sample = Sample(float(t), "p-idle-1", "idle", MIB, MIB, 64 * MIB, 0.001, 1, 0.0)
        rec.add(Tick(float(t), (container("p-idle-1", "idle"),), (sample,), ()), "active")
    doc = document(rec, run_info(), None)
    text = summary_text(doc, Path("m.json"))
    assert "the calibrate run saw no load (no command ran during it" in text
    assert "its CPU figures are not used" in text
    assert parse_measurements(json.dumps(doc), "m.json").services["idle"].idle_run
    loaded = summary_text(document(recorder(), run_info(), None), Path("m.json"))  # 0.1 cores a sample
    assert "saw no load" not in loaded
