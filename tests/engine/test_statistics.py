"""calibrate's statistics, worked by hand: percentiles, the least-squares slope and its interval, the
leak and cooldown verdicts, and the stats reading (working set, CPU). No engine needed."""

from __future__ import annotations

import math
import random

import pytest

from composegen.engine.statistics import (
    MAX_EXTRAPOLATION,
    cooldown_verdict,
    fit_window,
    leak_verdict,
    least_squares,
    percentile,
    summarize,
    t_quantile,
)
from composegen.engine.stats import Reading, cpu_cores, from_stats, high_water_working_set, throttled

MIB = 1024 * 1024


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([1, 2, 3, 4], 0.5, 2.5),  # between the two middle ranks
        ([1, 2, 3, 4], 0.9, 3.7),  # rank (4 − 1) × 0.9 = 2.7: 3 + 0.7 × (4 − 3)
        ([10, 20, 30, 40, 50], 0.95, 48.0),  # rank 3.8: 40 + 0.8 × 10
        ([5], 0.9, 5.0),
        ([3, 1, 2], 0.0, 1.0),  # order does not matter
        ([3, 1, 2], 1.0, 3.0),
    ],
)
def test_percentile_interpolates_like_numpy(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == pytest.approx(expected)


def test_percentile_refuses_nothing_and_bad_quantiles() -> None:
    with pytest.raises(ValueError):
        percentile([], 0.5)
    with pytest.raises(ValueError):
        percentile([1.0], 1.5)


def test_summary_of_a_series() -> None:
    s = summarize([float(v) for v in range(1, 101)])
    assert s is not None
    assert (s.count, s.p50, s.p90, s.p95, s.peak) == (100, 50.5, pytest.approx(90.1), pytest.approx(95.05), 100)
    assert summarize([]) is None


@pytest.mark.parametrize(
    ("df", "expected"),
    # two-sided 95% critical values of Student's t (any table)
    [(1, 12.7062), (2, 4.3027), (5, 2.5706), (10, 2.2281), (30, 2.0423), (1000, 1.9623)],
)
def test_t_quantile_matches_the_tables(df: int, expected: float) -> None:
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=1e-4)
    assert t_quantile(0.025, df) == pytest.approx(-expected, abs=1e-4)


def test_least_squares_on_an_exact_line() -> None:
    fit = least_squares([0, 1, 2, 3, 4], [1, 3, 5, 7, 9])
    assert fit is not None
    assert fit.slope == pytest.approx(2.0) and fit.intercept == pytest.approx(1.0)
    assert fit.stderr == pytest.approx(0.0) and fit.low == pytest.approx(2.0) and fit.high == pytest.approx(2.0)
    assert fit.at(10) == pytest.approx(21.0)


def test_least_squares_interval_by_hand() -> None:
    # x = 0..4, y = 0, 2, 1, 3, 4: x̄ = 2, ȳ = 2, Sxx = 10, Sxy = 9 → slope 0.9, intercept 0.2;
    # residuals −0.2, 0.9, −1.0, 0.1, 0.2: SSE = 1.9, s² = 1.9 / 3; SE = √(s² / 10) = 0.25166;
    # lag-1 autocorrelation of the residuals is negative, so it widens nothing;
    # 95% interval: 0.9 ± t(0.975, 3) × SE = 0.9 ± 3.18245 × 0.25166
    fit = least_squares([0, 1, 2, 3, 4], [0, 2, 1, 3, 4])
    assert fit is not None
    assert fit.slope == pytest.approx(0.9)
    assert fit.intercept == pytest.approx(0.2)
    assert fit.autocorrelation == 0.0
    assert fit.stderr == pytest.approx(math.sqrt(1.9 / 3 / 10))
    assert fit.low == pytest.approx(0.9 - 3.18245 * 0.25166, abs=1e-4)
    assert fit.high == pytest.approx(0.9 + 3.18245 * 0.25166, abs=1e-4)
    assert fit.clear_of_noise  # the low end is 0.099 > 0


def test_least_squares_needs_three_points_and_spread() -> None:
    assert least_squares([0, 1], [0, 1]) is None
    assert least_squares([1, 1, 1], [0, 1, 2]) is None


def test_a_step_is_not_taken_for_a_steady_climb() -> None:
    """A cache warming up once (a step early on) leaves autocorrelated residuals: the interval
    widens until the slope is no longer clear of zero."""
    xs = [float(x) for x in range(30)]
    ys = [100.0 if x < 3 else 200.0 for x in xs]
    fit = least_squares(xs, ys)
    assert fit is not None and fit.slope > 0
    assert fit.autocorrelation > 0.5
    assert not fit.clear_of_noise


def test_a_noisy_climb_is_clear_of_its_noise() -> None:
    rng = random.Random(4)
    xs = [float(x) for x in range(40)]
    ys = [50 * MIB + x * MIB + rng.gauss(0, 0.3 * MIB) for x in xs]
    fit = least_squares(xs, ys)
    assert fit is not None and fit.clear_of_noise
    assert fit.low < MIB < fit.high


def series(
    rate: float, seconds: int = 20, start: float = 64 * MIB, noise: float = 64 * 1024
) -> tuple[list[float], list[float]]:
    rng = random.Random(7)
    ts = [float(t) for t in range(seconds)]
    return ts, [start + rate * t + rng.gauss(0, noise) for t in ts]


def test_leak_a_climb_that_reaches_the_limit_within_the_horizon() -> None:
    ts, ws = series(1 * MIB)  # 1 MiB/s from 64 MiB; the limit, 128 MiB, is ~45 s away
    verdict = leak_verdict(ts, ws, 128 * MIB)
    assert verdict.leak, verdict.reason
    assert verdict.time_to_limit == pytest.approx(45, abs=3)
    assert verdict.reason.startswith("leak: grows 59.8") and "within the 24h horizon" in verdict.reason


def test_steady_is_no_leak() -> None:
    ts, ws = series(0.0)
    verdict = leak_verdict(ts, ws, 128 * MIB)
    assert not verdict.leak
    assert "no growth clear of the noise" in verdict.reason


def test_a_slope_beyond_the_horizon_is_growth_not_a_leak() -> None:
    # 64 KiB/s for an hour of samples: clear of the noise, but 1 GiB of room lasts 4.5 h; with a
    # 1 h horizon that is no leak, with the default 24 h it is one
    rng = random.Random(1)
    ts = [float(t) for t in range(0, 3600, 30)]
    ws = [64 * MIB + 64 * 1024 * t + rng.gauss(0, 16 * 1024) for t in ts]
    short = leak_verdict(ts, ws, 1024 * MIB + 64 * MIB + 225 * MIB, horizon=3600)
    assert not short.leak and "beyond the 60m horizon" in short.reason
    assert leak_verdict(ts, ws, 1024 * MIB + 64 * MIB + 225 * MIB).leak


def test_a_short_run_is_not_extrapolated_into_a_leak() -> None:
    # 8 s of a slight, clean climb: it would reach the limit in about an hour, which is more than
    # MAX_EXTRAPOLATION × 8 s: too far to tell
    ts = [float(t) for t in range(8)]
    ws = [MIB + 8 * 1024 * t for t in ts]
    verdict = leak_verdict(ts, ws, 32 * MIB)
    assert not verdict.leak
    assert f"more than {MAX_EXTRAPOLATION:g}×" in verdict.reason
    assert verdict.fit is not None and verdict.fit.clear_of_noise


def test_leak_needs_a_limit_and_enough_samples() -> None:
    ts, ws = series(1 * MIB)
    assert "no limit to reach" in leak_verdict(ts, ws, None).reason
    assert "too few samples" in leak_verdict(ts[:4], ws[:4], 128 * MIB).reason


def test_fit_window_leaves_the_warmup_out() -> None:
    ts = [float(t) for t in range(11)]  # 0..10 s: the first 20% is 0..2 s
    assert fit_window(ts) == 2
    assert fit_window(ts, 0.0) == 0
    assert fit_window([]) == 0


def test_cooldown_released_and_retained() -> None:
    active = [1 * MIB, 1 * MIB, 1 * MIB, 41 * MIB, 41 * MIB]
    released = cooldown_verdict(active, [41 * MIB, 1 * MIB, 1 * MIB, 1 * MIB])
    assert released is not None and released.verdict == "released"
    assert released.released == 40 * MIB and released.retained_fraction == pytest.approx(0.0)
    retained = cooldown_verdict(active, [41 * MIB, 41 * MIB, 41 * MIB])
    assert retained is not None and retained.verdict == "retained" and retained.retained_fraction == 1.0
    flat = cooldown_verdict([MIB] * 5, [MIB] * 3)
    assert flat is not None and flat.verdict == "no growth" and flat.retained_fraction is None
    assert cooldown_verdict(active, []) is None


# --- the stats reading ---------------------------------------------------------------------


def stats_doc(usage: int, inactive: int, cpu: int, system: int, *, v2: bool = False) -> dict[str, object]:
    key = "inactive_file" if v2 else "total_inactive_file"
    return {
        "memory_stats": {"usage": usage, "limit": 64 * MIB, "stats": {key: inactive}},
        "cpu_stats": {
            "cpu_usage": {"total_usage": cpu},
            "system_cpu_usage": system,
            "online_cpus": 2,
            "throttling_data": {"periods": 10, "throttled_periods": 2},
        },
        "pids_stats": {"current": 3},
    }


@pytest.mark.parametrize("v2", [False, True])
def test_working_set_is_usage_minus_inactive_file(v2: bool) -> None:
    reading = from_stats(stats_doc(50 * MIB, 8 * MIB, 0, 0, v2=v2))
    assert reading.working_set == 42 * MIB and reading.memory_usage == 50 * MIB
    assert reading.pids == 3 and reading.online_cpus == 2


@pytest.mark.parametrize(("stats", "expected"), [({"total_shmem": 7, "shmem": 3}, 7), ({"shmem": 5}, 5), ({}, None)])
def test_tmpfs_pages_are_read_from_shmem(stats: dict[str, int], expected: int | None) -> None:
    """cgroup v1 total_shmem (the cgroup and its children), else shmem (v2); None when neither."""
    reading = from_stats({"memory_stats": {"usage": MIB, "stats": stats}, "cpu_stats": {}, "pids_stats": {}})
    assert reading.shmem == expected


def test_a_stopped_container_has_no_memory_reading() -> None:
    reading = from_stats({"memory_stats": {}, "cpu_stats": {}, "pids_stats": {}})
    assert not reading.running and reading.working_set is None


def test_cpu_cores_from_the_deltas() -> None:
    before = from_stats(stats_doc(MIB, 0, 1_000_000_000, 100_000_000_000))
    # 0.5 s of container CPU over 2 s of host CPU time (2 CPUs × 1 s): 0.25 × 2 CPUs = 0.5 cores
    after = from_stats(stats_doc(MIB, 0, 1_500_000_000, 102_000_000_000))
    assert cpu_cores(before, after) == pytest.approx(0.5)
    assert cpu_cores(after, before) is None  # counters went back: a restart
    idle = Reading(MIB, MIB, None, 0, 0, 1, None, 0, 0)
    assert cpu_cores(idle, idle) is None
    assert throttled(before, after) is None  # no new CFS periods


def test_throttled_share() -> None:
    before = from_stats(stats_doc(MIB, 0, 0, 0))
    later = stats_doc(MIB, 0, 0, 0)
    later["cpu_stats"]["throttling_data"] = {"periods": 20, "throttled_periods": 7}  # type: ignore[index]
    assert throttled(before, from_stats(later)) == pytest.approx(0.5)


def test_the_high_water_mark_is_read_in_working_set_terms() -> None:
    doc = stats_doc(50 * MIB, 8 * MIB, 0, 0)
    doc["memory_stats"]["max_usage"] = 250 * MIB  # type: ignore[index]
    reading = from_stats(doc)
    assert reading.max_usage == 250 * MIB and reading.max_usage_from == "memory_stats.max_usage"
    # less the inactive file cache of the reading: 242 MiB
    assert high_water_working_set(reading.max_usage, reading) == 242 * MIB
    # never below the reading's own working set (a mark made of cache since dropped)
    assert high_water_working_set(10 * MIB, reading) == 42 * MIB


@pytest.mark.parametrize("max_usage", [None, 0])
def test_no_mark_on_cgroup_v2(max_usage: int | None) -> None:
    """The Engine sends no max_usage on cgroup v2 (moby/moby#43150); 0 is no mark either."""
    doc = stats_doc(50 * MIB, 8 * MIB, 0, 0, v2=True)
    if max_usage is not None:
        doc["memory_stats"]["max_usage"] = max_usage  # type: ignore[index]
    reading = from_stats(doc)
    assert reading.max_usage is None and high_water_working_set(reading.max_usage, reading) is None
