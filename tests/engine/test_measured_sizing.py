"""Sizing from measurements (`render --measurements`), from a recorded calibrate run and from
measurements written by hand, worked with the constants of facts/sizing.md §Recommenders.
No engine needed: data/shapes-measurements.json was recorded by `composegen calibrate --profile
pytest --duration 20s --interval 1s` on stacks/shapes (steady 80 MiB, growing 0.5 MiB/s from 80 MiB,
spike OOM-killed at its 64M limit)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from composegen.engine.statistics import summarize
from composegen.errors import InputError
from composegen.render.overlay import plan
from composegen.sizing.measured import (
    SCHEMA,
    SCHEMA_VERSION,
    Measurements,
    ServiceMeasurement,
    parse_measurements,
)
from composegen.sizing.plan import plan_service, plan_stack
from composegen.sizing.quantity import explain_lines
from composegen.units import MIB
from tests.conftest import leaves, make_inputs, make_profile

HERE = Path(__file__).resolve().parent
RECORDED = HERE / "data" / "shapes-measurements.json"
SHAPES = HERE / "stacks" / "shapes"


def recorded() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(RECORDED.read_text())
    return data


def measurement(**fields: Any) -> ServiceMeasurement:
    values: dict[str, Any] = {
        "service": "svc",
        "samples": 100,
        "seconds": 600.0,
        "memory_p50": 40 * MIB,
        "memory_p90": 60 * MIB,
        "memory_p95": 70 * MIB,
        "memory_peak": 80 * MIB,
        "cpu_samples": 99,
        "cpu_p95": 0.4,
        "throttled_p95": 0.0,
        "oom_killed": False,
        "oom_events": 0,
        "limit_at_kill": None,
        "limit": 128 * MIB,
        "leak": False,
        "leak_reason": "",
        "source": "m.json: svc, 100 samples over 10m0s (profile test)",
    }
    values.update(fields)
    return ServiceMeasurement(**values)


def measurements(*services: ServiceMeasurement, partial: bool = False) -> Measurements:
    return Measurements(
        "m.json", "test", partial, "interrupted" if partial else "", 600.0, {s.service: s for s in services}
    )


# --- the recorded run -----------------------------------------------------------------------


def test_the_recorded_file_reads_back() -> None:
    m = parse_measurements(RECORDED.read_text(), "shapes-measurements.json")
    assert m.profile == "pytest" and not m.partial and set(m.services) == {"steady", "growing", "spike"}
    steady = m.services["steady"]
    assert steady.samples == 20 and steady.memory_peak == recorded()["services"]["steady"]["memory"]["peak"]
    assert m.services["growing"].leak and not steady.leak
    spike = m.services["spike"]
    assert spike.oom_killed and spike.limit_at_kill == 64 * MIB
    assert steady.source == "shapes-measurements.json: steady, 20 samples over 22s (profile pytest)"


def test_the_summaries_are_the_statistics_of_the_raw_samples() -> None:
    for name, service in recorded()["services"].items():
        raw = [float(v) for s in service["series"] for v in s["working_set"]]
        summary = summarize(raw)
        assert summary is not None, name
        assert summary.record().to_json() == service["memory"], name
        assert service["samples"] == len(raw)


def test_render_from_the_recorded_run() -> None:
    """calibrate recommends a limit at or above the observed peak and within 1.3× of it; the
    OOM-killed service gets the OOM bump instead."""
    planned = plan("pytest", None, SHAPES, measurements=RECORDED)
    data = recorded()["services"]
    for name in ("steady", "growing"):
        limit = planned.stack.service(name).memory_limit.value  # type: ignore[union-attr]
        peak = data[name]["memory"]["peak"]
        assert peak <= limit <= 1.3 * peak, (name, limit / MIB, peak / MIB)
    # in whole 4 MiB: steady 80.8 MiB × 1.15 = 92.9 MiB → 96 MiB; growing 92.0 MiB × 1.15 = 105.8 → 108 MiB
    assert planned.stack.service("steady").memory_limit.value == 96 * MIB  # type: ignore[union-attr]
    assert planned.stack.service("growing").memory_limit.value == 108 * MIB  # type: ignore[union-attr]
    # spike: killed at 64M: max(64 + 100, 64 × 1.2) = 164 MiB, a whole 4 MiB
    spike = planned.stack.service("spike")
    assert spike is not None and spike.memory_limit.value == 164 * MIB
    warnings = "\n".join(planned.stack.warnings)
    assert "growing: calibrate found a leak" in warnings
    assert "spike: OOM-killed during calibrate" in warnings
    assert "spike: memory: declared/estimated 60 MiB, measured 164 MiB: the measurement needs 2.7× more" in warnings


def test_explain_names_the_measurement_and_its_samples() -> None:
    planned = plan("pytest", None, SHAPES, measurements=RECORDED)
    steady = planned.stack.service("steady")
    assert steady is not None
    text = "\n".join(explain_lines(steady.memory_limit))
    assert "measured peak working set = 81 MiB  (shapes-measurements.json: steady, 20 samples over 22s" in text
    assert "measured margin = 1.15  (facts/sizing.md §Recommenders" in text
    sources = {q.source for q in leaves(steady.memory_limit)}
    assert any("20 samples" in s for s in sources)
    # the recorded run had no workload: its memory is used, its CPU figures are not
    assert any(n.startswith("memory measured: shapes-measurements.json: steady, 20 samples") for n in steady.notes)
    assert any(n.startswith("the calibrate run saw no load") for n in steady.notes)


def test_the_measurements_change_the_render_digest() -> None:
    without = plan("pytest", None, SHAPES)
    with_them = plan("pytest", None, SHAPES, measurements=RECORDED)
    assert without.digest != with_them.digest
    # the declared 96M × the pytest margin 1.25 = 120 MiB, a whole 4 MiB
    assert without.stack.service("steady").memory_limit.value == 120 * MIB  # type: ignore[union-attr]


def test_render_and_explain_take_measurements_through_the_cli(tmp_path: Path) -> None:
    def cg(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "composegen", *args], cwd=SHAPES, capture_output=True, text=True, timeout=120
        )

    rendered = cg("render", "--profile", "pytest", "--measurements", str(RECORDED), "-o", "-")
    assert rendered.returncode == 0, rendered.stderr
    assert 'memory: "96M"' in rendered.stdout and 'memory: "164M"' in rendered.stdout  # steady, spike (above)
    assert "composegen: warning: spike: OOM-killed during calibrate" in rendered.stderr
    explained = cg("explain", "--profile", "pytest", "--measurements", str(RECORDED), "spike")
    assert explained.returncode == 0, explained.stderr
    assert "OOM bump = 164 MiB" in explained.stdout
    assert "the measurement needs 2.7× more" in explained.stdout  # in explain's notes
    assert "the measurement needs 2.7× more" in explained.stderr  # and as a warning
    missing = cg("render", "--profile", "pytest", "--measurements", str(tmp_path / "none.json"), "-o", "-")
    assert missing.returncode == 2 and "cannot read the measurements file" in missing.stderr


# --- the rules, by hand ---------------------------------------------------------------------


def test_limit_is_peak_times_1_15_then_the_profile_floor_and_rounding() -> None:
    inputs = make_inputs("generic", memory="64M", cpus=1)
    plan_ = plan_service(inputs, make_profile(), measured=measurement())
    # 80 MiB × 1.15 = 92 MiB, a whole 4 MiB
    assert plan_.memory_limit.value == 92 * MIB
    # cpus: p95 0.4 × 1.15 = 0.46 is the reservation; the limit stays at the declared 1
    assert plan_.cpus is not None and plan_.cpus.value == 1.0
    assert plan_.cpu_reservation is not None and plan_.cpu_reservation.value == pytest.approx(0.46)
    small = plan_service(inputs, make_profile(), measured=measurement(memory_peak=4 * MIB, cpu_p95=0.0))
    assert small.memory_limit.value == 32 * MIB  # the profile minimum still holds
    assert small.cpu_reservation is not None and small.cpu_reservation.value == pytest.approx(0.025)  # VPA's 25m


@pytest.mark.parametrize(
    ("inputs", "floor_words"),
    [
        # the declared 8M dataset gives maxmemory 19.8 MiB, which a fork may double (persistence):
        # a run that held 10 MiB does not make room for less
        (make_inputs("redis", image="redis:7", dataset="8M", persistence=True), "redis process"),
        # the compose file's -Xmx1g runs whatever calibrate saw
        (make_inputs("jvm", command="java -Xmx1g -jar /app.jar"), "JVM total"),
    ],
)
def test_a_measured_limit_never_goes_below_what_the_server_bounds_allow(inputs: Any, floor_words: str) -> None:
    profile = make_profile(tmpfs={"data_dirs": True, "minimum": "64M"})
    estimate = plan_service(inputs, profile)
    measured = plan_service(inputs, profile, measured=measurement(memory_peak=10 * MIB))
    text = "\n".join(explain_lines(measured.memory_limit))
    assert "what runs" in text and floor_words in text, text
    assert estimate.sizing.floor is not None
    assert estimate.sizing.floor.value <= measured.memory_limit.value <= estimate.memory_limit.value
    assert any("never below what runs" in n for n in measured.sizing.notes), measured.sizing.notes


@pytest.mark.parametrize(
    ("limit_at_kill", "peak", "expected"),
    [
        (64 * MIB, 10 * MIB, 164 * MIB),  # used + 100 MiB wins below 500 MiB
        (1024 * MIB, 900 * MIB, 1228.8 * MIB),  # used × 1.2 wins above it
        (None, 70 * MIB, 170 * MIB),  # no limit known: the peak is what it was using
    ],
)
def test_oom_bump(limit_at_kill: float | None, peak: float, expected: float) -> None:
    m = measurement(oom_killed=True, oom_events=1, limit_at_kill=limit_at_kill, memory_peak=peak)
    plan_ = plan_service(make_inputs("generic", memory="64M"), make_profile(), measured=m)
    memory = plan_.sizing.memory
    assert memory.value == pytest.approx(max(expected, peak * 1.15))
    assert any("OOM-killed during calibrate" in n for n in plan_.notes)


def test_an_oom_kill_counts_even_with_few_samples() -> None:
    m = measurement(samples=3, cpu_samples=2, oom_killed=True, oom_events=1, limit_at_kill=64 * MIB, memory_peak=MIB)
    plan_ = plan_service(make_inputs("generic", memory="48M", cpus=0.5), make_profile(), measured=m)
    assert plan_.memory_limit.value == 164 * MIB  # max(64 + 100, 64 × 1.2), a whole 4 MiB
    assert plan_.cpus is not None and plan_.cpus.value == 0.5  # too few CPU samples: the declared value


def test_too_few_samples_are_not_used() -> None:
    inputs = make_inputs("generic", memory="64M")
    plan_ = plan_service(inputs, make_profile(), measured=measurement(samples=5))
    assert plan_.memory_limit.value == 80 * MIB  # 64 MiB × 1.2 (the dev margin of make_profile's default)
    assert any("measurement not used: only 5 samples" in n for n in plan_.notes)


def test_reservation_from_p90_when_the_profile_writes_reservations() -> None:
    profile = make_profile(memory={"reservation_ratio": 0.5})
    plan_ = plan_service(make_inputs("generic", memory="64M"), profile, measured=measurement())
    # p90 60 MiB × 1.15 = 69 MiB → 72 MiB, a whole 4 MiB (not limit × 0.5 = 46 MiB)
    assert plan_.memory_reservation is not None and plan_.memory_reservation.value == 72 * MIB
    none = plan_service(make_inputs("generic", memory="64M"), make_profile(), measured=measurement())
    assert none.memory_reservation is None  # a profile without reservations gets none


def test_reservation_never_above_the_limit() -> None:
    profile = make_profile(memory={"reservation_ratio": 0.5})
    # p90 = peak: 80 MiB × 1.15 = 92 MiB; the limit is 92 MiB; fine. With p90 above the peak
    # (impossible in a real file) the limit caps it.
    plan_ = plan_service(make_inputs("generic", memory="64M"), profile, measured=measurement(memory_p90=200 * MIB))
    assert plan_.memory_reservation is not None
    assert plan_.memory_reservation.value == plan_.memory_limit.value


def test_a_tmpfs_the_plan_mounts_is_added_at_its_full_size() -> None:
    profile = make_profile(tmpfs={"data_dirs": True, "minimum": "64M"})
    inputs = make_inputs("redis", image="redis:7", dataset="8M", persistence=True)
    plan_ = plan_service(inputs, profile, measured=measurement(memory_peak=40 * MIB))
    assert [m.path for m in plan_.tmpfs] == ["/data"]
    tmpfs = plan_.tmpfs[0].size.value
    # 40 MiB × 1.15 + the 38 MiB tmpfs (two dumps of maxmemory, 19 MiB) = 84 MiB, in 4 MiB steps
    # (measured under load, Redis's own bound known), above what maxmemory allows: 19 MiB ÷ 0.5 + the tmpfs
    assert tmpfs == 38 * MIB
    assert plan_.memory_limit.value == 84 * MIB
    assert "tmpfs /data" in "\n".join(explain_lines(plan_.memory_limit))


@pytest.mark.parametrize(
    ("shmem", "expected"),
    [
        # the peak holds the 30 MiB the tmpfs used: (100 − 30) × 1.15 + 38 = 118.5 MiB → 120 MiB
        # (4 MiB steps: measured under load, Redis's own bound known)
        (30 * MIB, 120 * MIB),
        # more shmem than the tmpfs holds (other shared memory): only the tmpfs size comes out,
        # (100 − 38) × 1.15 + 38 = 109.3 MiB → 112 MiB
        (90 * MIB, 112 * MIB),
        # no shmem in the file (an older calibrate): added on top, 100 × 1.15 + 38 = 153 MiB → 156 MiB
        (None, 156 * MIB),
    ],
)
def test_the_tmpfs_used_at_the_peak_is_not_counted_twice(shmem: float | None, expected: float) -> None:
    profile = make_profile(tmpfs={"data_dirs": True, "minimum": "64M"})
    inputs = make_inputs("redis", image="redis:7", dataset="8M", persistence=True)
    plan_ = plan_service(inputs, profile, measured=measurement(memory_peak=100 * MIB, shmem_at_peak=shmem))
    assert plan_.tmpfs[0].size.value == 38 * MIB  # two dumps of maxmemory (redis.dumps_of_maxmemory)
    assert plan_.memory_limit.value == expected
    old = [n for n in plan_.notes if "has no shmem" in n]
    assert bool(old) == (shmem is None)


def test_the_shared_buffers_in_shmem_are_not_taken_for_tmpfs() -> None:
    """PostgreSQL's shared_buffers are shmem pages too, outside the tmpfs: they stay in the peak."""
    profile = make_profile(tmpfs={"data_dirs": True, "minimum": "64M"})
    inputs = make_inputs("postgres", image="postgres:16", dataset="100M")
    base = plan_service(inputs, profile)
    shared = base.sizing.extra["shared_buffers"].value + base.sizing.extra["shm_size"].value
    peak = shared + 300 * MIB
    plan_ = plan_service(inputs, profile, measured=measurement(memory_peak=peak, shmem_at_peak=shared + 50 * MIB))
    tmpfs = sum(t.size.value for t in plan_.tmpfs)
    assert plan_.memory_limit.value >= (peak - 50 * MIB) * 1.15 + tmpfs


def test_a_disagreement_over_2x_is_a_note_and_a_warning() -> None:
    inputs = make_inputs("generic", memory="512M", cpus=0.5)
    m = measurement(memory_peak=80 * MIB, cpu_p95=0.4)
    stack = plan_stack([inputs], make_profile(), None, measurements=measurements(m))
    # estimate 512 × 1.2 = 614 MiB against 92 MiB measured: 6.7×; cpus 0.5 against 0.46: fine
    assert any("memory: declared/estimated 614 MiB, measured 92 MiB" in w for w in stack.warnings)
    assert not any("cpus:" in w for w in stack.warnings)
    assert any("needs 6.7× less" in n for n in stack.services[0].notes)


def test_within_2x_says_nothing() -> None:
    inputs = make_inputs("generic", memory="80M", cpus=0.5)
    stack = plan_stack([inputs], make_profile(), None, measurements=measurements(measurement()))
    assert stack.warnings == ()


def test_file_level_warnings() -> None:
    a = measurement(service="a")
    ghost = measurement(service="ghost")
    inputs = [make_inputs("generic", name="a", memory="80M"), make_inputs("generic", name="b", memory="80M")]
    stack = plan_stack(inputs, make_profile(), None, measurements=measurements(a, ghost, partial=True))
    text = "\n".join(stack.warnings)
    assert "measurements m.json are from a partial run (interrupted)" in text
    assert "have services the stack has not: ghost" in text
    assert "no measurements for b: sized from what composegen.yaml declares" in text


def test_a_leak_is_warned_about() -> None:
    m = measurement(leak=True, leak_reason="leak: grows 1 MiB/min")
    stack = plan_stack(
        [make_inputs("generic", name="svc", memory="80M")], make_profile(), None, measurements=measurements(m)
    )
    assert any("svc: calibrate found a leak (leak: grows 1 MiB/min)" in w for w in stack.warnings)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not JSON"),
        ('{"schema": "other"}', "not a composegen measurements file"),
        (json.dumps({"schema": SCHEMA}), "no schema_version"),
        (json.dumps({"schema": SCHEMA, "schema_version": SCHEMA_VERSION + 1}), "is newer than this composegen"),
        (json.dumps({"schema": SCHEMA, "schema_version": SCHEMA_VERSION}), "has no services"),
    ],
)
def test_a_file_composegen_cannot_use_is_an_input_error(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_measurements(text, "m.json")


# --- spikes between samples: the high-water mark, and the kills of earlier runs ---------------


def test_the_high_water_mark_sizes_a_spike_no_sample_saw() -> None:
    m = measurement(memory_peak=4 * MIB, memory_high_water=200 * MIB, high_water_from="memory_stats.max_usage")
    plan_ = plan_service(make_inputs("generic", memory="48M"), make_profile(), measured=m)
    # max(4 MiB, 200 MiB) × 1.15 = 230 MiB → 232 MiB
    assert plan_.memory_limit.value == 232 * MIB
    text = "\n".join(explain_lines(plan_.memory_limit))
    assert "measured peak working set = 200 MiB  [max(highest sample, cgroup high-water mark) = cgroup" in text
    assert "cgroup high-water mark = 200 MiB  (m.json: svc, 100 samples over 10m0s (profile test); the cgroup's" in text
    assert "(memory_stats.max_usage), between samples too, less inactive file cache" in text
    assert any("high-water mark (200 MiB) is above every sample (4 MiB)" in n for n in plan_.notes)


def test_without_a_mark_the_peak_says_it_is_samples_only() -> None:
    plan_ = plan_service(make_inputs("generic", memory="48M"), make_profile(), measured=measurement())
    text = "\n".join(explain_lines(plan_.memory_limit))
    assert "samples only, no high-water mark: a spike between two samples is not in it" in text


def test_an_earlier_kill_keeps_its_oom_bump() -> None:
    """The spike that exits: this run saw 4 MiB in 3 samples and no kill (it ran under the limit an
    earlier kill gave it); the earlier kill at 176 MiB still sizes it."""
    source = "OOM-killed at the 176 MiB limit in an earlier calibrate run (m.json, 2026-01-01T00:00:00Z)"
    m = measurement(samples=3, memory_peak=4 * MIB, earlier_kill_limit=176 * MIB, earlier_kill_source=source)
    plan_ = plan_service(make_inputs("generic", memory="48M"), make_profile(), measured=m)
    # max(176 + 100, 176 × 1.2) = 276 MiB, a whole 4 MiB; not the 4 MiB seen (→ the 32 MiB minimum)
    assert plan_.memory_limit.value == 276 * MIB
    text = "\n".join(explain_lines(plan_.memory_limit))
    assert "OOM bump of an earlier run = 276 MiB" in text
    assert f"limit at an earlier OOM kill = 176 MiB  ({source})" in text
    assert f"{source}: this run did not see what killed it: its OOM bump kept (calibrate --fresh" in plan_.notes[-2]


def test_an_earlier_kill_the_peak_explains_needs_no_bump() -> None:
    """watch/grower: killed at its first 64M limit growing to 80 MiB; the next run, under the bump,
    saw the whole 82 MiB: peak × 1.15 is above the limit that killed it."""
    m = measurement(memory_peak=82 * MIB, earlier_kill_limit=64 * MIB, earlier_kill_source="killed earlier")
    plan_ = plan_service(make_inputs("generic", memory="48M"), make_profile(), measured=m)
    assert plan_.memory_limit.value == 96 * MIB  # 82 × 1.15 = 94.3 → 96, not the 176 of a bump of 64
    text = "\n".join(explain_lines(plan_.memory_limit))
    assert "limit at an earlier OOM kill = 64 MiB  (killed earlier)" in text
    assert "killed earlier: this run's peak is above it" in plan_.notes[-2]


@pytest.mark.parametrize("killed_at", [16 * MIB, 64 * MIB, 176 * MIB, 500 * MIB, 3000 * MIB])
@pytest.mark.parametrize("peak", [MIB, 100 * MIB, 176 * MIB, 900 * MIB])
@pytest.mark.parametrize("mark", [None, 1000 * MIB])
def test_never_at_or_below_a_limit_that_killed_the_service(killed_at: float, peak: float, mark: float | None) -> None:
    m = measurement(memory_peak=peak, memory_high_water=mark, earlier_kill_limit=killed_at, earlier_kill_source="x")
    limit = plan_service(make_inputs("generic", memory="48M"), make_profile(), measured=m).memory_limit.value
    seen = max(peak, mark or 0)
    assert limit > killed_at and limit >= seen * 1.15
    if seen < killed_at:  # what killed it was not seen: the OOM bump of that limit
        assert limit >= max(killed_at + 100 * MIB, killed_at * 1.2)


def test_calibrate_rounds_of_a_spike_that_exits() -> None:
    """The bench's shapes/spike, as the files the rounds write: round 1 killed at 64 MiB, round 2 at
    164 MiB (the limit round 1 recommends), round 3 fits and sees only 4 MiB. Each round carries the
    kills of the one before."""
    from composegen.engine.compare import EngineInfo
    from composegen.engine.measurements import Recorder, RunInfo, carried_kills, document
    from composegen.engine.sampler import ContainerState, Sample, Tick

    root = Path("/stack")
    earlier: dict[str, Any] = {}
    limits = []
    for round_, limit in enumerate((64 * MIB, 164 * MIB, 264 * MIB), start=1):
        killed = round_ < 3
        rec = Recorder(earlier=earlier)
        for t in range(12):
            dead = killed and t == 11
            state = ContainerState("id", "p-spike-1", "spike", "exited" if dead else "running", dead, 0,
                                   137 if dead else 0, limit, None, None, None)  # fmt: skip
            sample = Sample(float(t), "p-spike-1", "spike", 4 * MIB, 4 * MIB, limit, 0.0, 1, None)
            rec.add(Tick(float(t), (state,), () if dead else (sample,), ()), "active")
        run = RunInfo("pytest", root, ("docker-compose.yml",), "p", EngineInfo("20.10", "1.41"), 1.8e9, 12.0, 1.0)
        text = json.dumps(document(rec, run, None))
        earlier = carried_kills(text, root / "m.json", root)[0]
        m = parse_measurements(text, "m.json").services["spike"]
        limits.append(plan_service(make_inputs("generic", memory="48M"), make_profile(), measured=m).memory_limit.value)
    # 64 → 164 (bump of 64: 64 + 100), 164 → 264 (bump of 164), and round 3 stays at 264: above both kills
    assert limits == [164 * MIB, 264 * MIB, 264 * MIB]


# --- CPU: a measurement never throttles (issue 12: an idle calibrate run wrote cpus "0.03") ----


def _with(tmp_path: Path, command: bool, cpu_p95: dict[str, float]) -> Path:
    """The recorded run, with a load command or not and the given CPU p95 per service."""
    data = recorded()
    data["run"]["command"] = {"argv": ["locust"], "exit_code": 0, "seconds": 20.0, "stopped": None} if command else None
    for name, p95 in cpu_p95.items():
        data["services"][name]["cpu"].update(p95=p95, count=19)
    path = tmp_path / "m.json"
    path.write_text(json.dumps(data))
    return path


def test_an_idle_run_sets_no_cpu_limit() -> None:
    """The recorded run had no workload (CPU p95 at most 0.0025 cores): render used to write
    cpus "0.03" (VPA's 25m floor) on every service; the declared 0.5 stays, and it says why."""
    planned = plan("pytest", None, SHAPES, measurements=RECORDED)
    without = plan("pytest", None, SHAPES)
    for name in ("steady", "growing", "spike"):
        cpus = planned.stack.service(name).cpus  # type: ignore[union-attr]
        assert cpus is not None and cpus.value == without.stack.service(name).cpus.value == 0.5  # type: ignore[union-attr]
        assert planned.stack.service(name).cpu_reservation is None  # type: ignore[union-attr]
    assert any("saw no load (no command ran during it" in w for w in planned.stack.warnings)
    assert not any("cpus: declared/estimated" in w for w in planned.stack.warnings)  # no 20× "disagreement"


def test_an_idle_run_through_the_cli_says_so() -> None:
    args = ["render", "--profile", "pytest", "--measurements", str(RECORDED), "-o", "-"]
    rendered = subprocess.run(
        [sys.executable, "-m", "composegen", *args],
        cwd=SHAPES,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout.count('cpus: "0.5"') == 3 and '"0.03"' not in rendered.stdout
    assert "saw no load" in rendered.stderr and "its CPU figures are not used" in rendered.stderr


def test_a_loaded_run_raises_a_limit_but_never_lowers_it(tmp_path: Path) -> None:
    path = _with(tmp_path, command=True, cpu_p95={"steady": 0.2, "growing": 1.0, "spike": 0.0})
    planned = plan("pytest", None, SHAPES, measurements=path)
    steady, growing, spike = (planned.stack.service(n) for n in ("steady", "growing", "spike"))
    assert steady is not None and growing is not None and spike is not None
    # steady: 0.2 × 1.15 = 0.23 is below the declared 0.5: the limit stays, 0.23 is the reservation
    assert steady.cpus is not None and steady.cpus.value == 0.5
    assert steady.cpu_reservation is not None and steady.cpu_reservation.value == pytest.approx(0.23)
    # growing: 1.0 × 1.15 = 1.15 is above it: the measurement raises the limit
    assert growing.cpus is not None and growing.cpus.value == pytest.approx(1.15)
    assert spike.cpus is not None and spike.cpus.value == 0.5  # 8 CPU samples in the file: too few to use
    assert not any("saw no load" in w for w in planned.stack.warnings)


def test_the_base_files_cpus_are_a_floor_too() -> None:
    inputs = make_inputs("generic", memory="64M")
    inputs = inputs._replace(base=inputs.base._replace(cpus=2.0))
    plan_ = plan_service(inputs, make_profile(cpu={"default": 0.25}), measured=measurement(cpu_p95=0.4))
    assert plan_.cpus is not None and plan_.cpus.value == 2.0
    assert "cpus in the base compose file" in "\n".join(explain_lines(plan_.cpus))


def test_swarm_reserves_the_measured_cpus() -> None:
    from composegen.sizing.hosts import cpu_reservation

    profile = make_profile(memory={"reservation_ratio": 0.5})
    plan_ = plan_service(make_inputs("generic", memory="64M", cpus=1), profile, measured=measurement(cpu_p95=0.4))
    reserved = cpu_reservation(plan_, profile)
    assert reserved is not None and reserved.value == pytest.approx(0.46)  # not limit × 0.5
    idle = plan_service(
        make_inputs("generic", memory="64M", cpus=1), profile, measured=measurement(cpu_p95=0.01, idle_run="idle")
    )
    reserved = cpu_reservation(idle, profile)
    assert idle.cpus is not None and idle.cpus.value == 1.0
    assert reserved is not None and reserved.value == 0.5  # an idle run's figures: the profile's ratio


# --- the profile's minimum and a limit measured under load ------------------------------------


@pytest.mark.parametrize(
    ("role", "spec", "peak_mib", "idle", "limit_mib"),
    [
        # the twin's Redis (bench/servers.py): 21 × 1.15 = 24.15 MiB, above its own bound (maxmemory
        # ÷ 0.85): 4 MiB steps, no 32M minimum (was 32 MiB: 1.5-1.8 × the replay's peak)
        ("redis", {"dataset": "10M", "value_size": 512, "persistence": False}, 21, "", 28),
        # a quieter run: never below what runs, maxmemory ÷ 0.85
        ("redis", {"dataset": "10M", "value_size": 512, "persistence": False}, 10, "", "floor"),
        # a run that saw no load keeps the minimum
        ("redis", {"dataset": "10M", "value_size": 512, "persistence": False}, 21, "saw no load", 32),
        # no bound of the process's own to stand for what the run did not exercise: the minimum stays
        ("python-web", {"workers": 1}, 21, "", 32),
    ],
)
def test_a_limit_measured_under_load_stands_without_the_profile_minimum(
    role: str, spec: dict[str, Any], peak_mib: int, idle: str, limit_mib: int | str
) -> None:
    profile = make_profile(memory={"minimum": "32M"})
    inputs = make_inputs(role, **spec)
    plan_ = plan_service(inputs, profile, measured=measurement(memory_peak=peak_mib * MIB, idle_run=idle))
    if limit_mib == "floor":
        floor = plan_.sizing.floor
        assert floor is not None and floor.value < 32 * MIB
        assert plan_.memory_limit.value == -(-floor.value // (4 * MIB)) * 4 * MIB
    else:
        assert plan_.memory_limit.value == limit_mib * MIB
    reservation = plan_.memory_reservation
    assert reservation is None or reservation.value <= plan_.memory_limit.value
