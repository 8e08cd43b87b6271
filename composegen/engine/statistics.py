"""The statistics of calibrate: percentiles, a least-squares slope with its confidence interval, and
the two verdicts made from them (leak, and memory released after cooldown). Pure, no numpy.

A leak is judged as facts/sizing.md §Leaks and OOM asks, not by a fixed "MB per minute": the
slope of working set over time (least squares, as Prometheus' predict_linear) must be clear of its
own noise (the lower end of its confidence interval above zero), and at that rate the container
must reach its memory limit within a horizon the caller names (default 24 h). Memory samples are
autocorrelated (a value is close to the one before it), which makes the textbook interval too
narrow: the standard error is widened by the lag-1 autocorrelation of the residuals (effective
sample size n × (1 − ρ) / (1 + ρ)), so a one-off step, such as a cache warming up, does not pass
for a steady climb.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from composegen.sizing.measurements_file import CooldownVerdict, LeakVerdict, Stats

#: The default horizon of the leak verdict: a slope that would take longer to reach the limit is
#: reported as growth, not as a leak.
LEAK_HORIZON = 24 * 3600.0
#: The confidence level of the slope's interval.
CONFIDENCE = 0.95
#: A slope is extrapolated at most this many times the span it was fitted on: a few seconds of
#: slight growth say nothing about the next hours. awesome-prometheus-alerts' HostDiskWillFillIn24Hours
#: predicts 24 h from 1 h of data (predict_linear(...[1h], 24 * 3600)).
MAX_EXTRAPOLATION = 24.0
#: The fewest samples a slope is fitted from (an interval needs n − 2 ≥ 1 degrees of freedom;
#: a few more keep it from being all noise).
MIN_FIT_SAMPLES = 6
#: The leading share of the active phase left out of the slope: start-up allocation and warm-up.
WARMUP_FRACTION = 0.2
#: After cooldown, memory counts as retained when more than this share of what the active phase
#: added is still held (composegen's choice: there is no standard for it).
RETAINED_FRACTION = 0.5


def percentile(values: Sequence[float], q: float) -> float:
    """The `q` quantile (0..1) by linear interpolation between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile {q} is outside 0..1")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    fraction = position - low
    return ordered[low] + (ordered[high] - ordered[low]) * fraction


@dataclass(frozen=True)
class Summary:
    """p50, p90, p95 and the peak of a series, and how many values it had."""

    count: int
    p50: float
    p90: float
    p95: float
    peak: float

    def record(self) -> Stats:
        """As the measurements file holds it."""
        return Stats(self.count, self.p50, self.p90, self.p95, self.peak)


def summarize(values: Sequence[float]) -> Summary | None:
    if not values:
        return None
    return Summary(len(values), percentile(values, 0.5), percentile(values, 0.9), percentile(values, 0.95), max(values))


# --- Student's t, for the slope's interval -----------------------------------------------------


def _betacf(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-14:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T ≤ t) for Student's t with `df` degrees of freedom."""
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The `p` quantile of Student's t (bisection on the CDF; p in (0, 1), df > 0)."""
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError(f"t quantile needs 0 < p < 1 and df > 0, got p={p}, df={df}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2.0
    for _ in range(200):
        mid = (low + high) / 2.0
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-12 * max(1.0, high):
            break
    return (low + high) / 2.0


# --- least squares --------------------------------------------------------------------------


@dataclass(frozen=True)
class Fit:
    """y = intercept + slope × x by least squares, with the slope's confidence interval."""

    n: int
    slope: float
    intercept: float
    stderr: float  # of the slope, widened for autocorrelation
    low: float  # the interval's ends, at `confidence`
    high: float
    confidence: float
    autocorrelation: float  # lag-1 autocorrelation of the residuals (0 when negative)
    x_first: float
    x_last: float
    residual_sd: float = 0.0  # the residuals' standard deviation, sqrt(SSE / (n − 2)), in y's unit

    def at(self, x: float) -> float:
        return self.intercept + self.slope * x

    @property
    def clear_of_noise(self) -> bool:
        """The whole interval is above zero: the series grows, beyond doubt at this confidence."""
        return self.low > 0.0


def least_squares(
    xs: Sequence[float], ys: Sequence[float], confidence: float = CONFIDENCE, *, autocorrelated: bool = True
) -> Fit | None:
    """The least-squares line through (xs, ys); None with fewer than 3 points or no spread in x.

    `autocorrelated`: the points are a time series (the interval is widened for lag-1
    autocorrelation); False for independent points, such as one settled value per stress step."""
    n = len(xs)
    if n != len(ys):
        raise ValueError("xs and ys differ in length")
    if n < 3:
        return None
    mean_x = math.fsum(xs) / n
    mean_y = math.fsum(ys) / n
    sxx = math.fsum((x - mean_x) ** 2 for x in xs)
    if sxx <= 0.0:
        return None
    sxy = math.fsum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    residuals = [y - (intercept + slope * x) for x, y in zip(xs, ys, strict=True)]
    sse = math.fsum(r * r for r in residuals)
    rho = _lag1(residuals) if autocorrelated else 0.0
    n_eff = max(3.0, n * (1.0 - rho) / (1.0 + rho))
    df = n_eff - 2.0
    # the residual variance over n − 2; the slope's variance × (1 + ρ) / (1 − ρ) for AR(1) noise
    variance = sse / (n - 2)
    stderr = math.sqrt(variance / sxx * (1.0 + rho) / (1.0 - rho))
    margin = t_quantile(0.5 + confidence / 2.0, df) * stderr
    return Fit(
        n, slope, intercept, stderr, slope - margin, slope + margin, confidence, rho, xs[0], xs[-1], math.sqrt(variance)
    )


def _lag1(residuals: Sequence[float]) -> float:
    """Lag-1 autocorrelation of the residuals, kept in [0, 0.95] (negative is no worse than none)."""
    denominator = math.fsum(r * r for r in residuals)
    if denominator <= 0.0:
        return 0.0
    numerator = math.fsum(a * b for a, b in itertools.pairwise(residuals))
    return min(0.95, max(0.0, numerator / denominator))


# --- verdicts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leak:
    """The leak verdict for one container's working set."""

    leak: bool
    reason: str
    fit: Fit | None
    limit: float | None  # bytes
    time_to_limit: float | None  # seconds from the last sample, at the fitted slope; None: never
    horizon: float

    def record(self, container: str | None = None) -> LeakVerdict:
        """As the measurements file holds it (`container`: the one it is of, in a service's summary)."""
        fit = self.fit
        return LeakVerdict(
            leak=self.leak,
            reason=self.reason,
            slope_bytes_per_second=fit.slope if fit else None,
            slope_ci=(fit.low, fit.high) if fit else None,
            confidence=fit.confidence if fit else None,
            fit_samples=fit.n if fit else 0,
            fit_from=fit.x_first if fit else None,
            fit_to=fit.x_last if fit else None,
            intercept=fit.intercept if fit else None,
            autocorrelation=fit.autocorrelation if fit else None,
            limit=self.limit,
            time_to_limit_seconds=self.time_to_limit,
            horizon_seconds=self.horizon,
            container=container,
        )


def _rate(bytes_per_second: float) -> str:
    per_minute = bytes_per_second * 60.0
    size = abs(per_minute)
    text = f"{size / 2**20:.2f} MiB" if size >= 2**20 else f"{size / 2**10:.1f} KiB"
    return f"{'-' if per_minute < 0 else ''}{text}/min"


def _span(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.3g}h"
    return f"{seconds / 86400:.3g}d"


def leak_verdict(
    ts: Sequence[float],
    working_set: Sequence[float],
    limit: float | None,
    *,
    horizon: float = LEAK_HORIZON,
    confidence: float = CONFIDENCE,
    min_samples: int = MIN_FIT_SAMPLES,
) -> Leak:
    """Whether this series leaks: its slope is clear of its noise and reaches `limit` within
    `horizon` seconds. The caller passes the samples to fit (warm-up already left out)."""
    if len(ts) < min_samples:
        return Leak(False, f"too few samples for a slope ({len(ts)} < {min_samples})", None, limit, None, horizon)
    fit = least_squares(ts, working_set, confidence)
    if fit is None:
        return Leak(False, "no spread in time to fit a slope", None, limit, None, horizon)
    ci = f"{_rate(fit.slope)} ({confidence:.0%} CI {_rate(fit.low)} to {_rate(fit.high)})"
    if not fit.clear_of_noise:
        return Leak(False, f"no growth clear of the noise: {ci}", fit, limit, None, horizon)
    if not limit:
        return Leak(False, f"grows {ci}, but there is no limit to reach", fit, limit, None, horizon)
    now = fit.at(fit.x_last)
    left = max(0.0, limit - now)
    time_to_limit = left / fit.slope
    span = fit.x_last - fit.x_first
    reach = span * MAX_EXTRAPOLATION
    if time_to_limit > reach and reach < horizon:
        return Leak(
            False,
            f"grows {ci}, reaching the limit in {_span(time_to_limit)}: more than {MAX_EXTRAPOLATION:g}× the "
            f"{_span(span)} fitted, too far to tell from this run (sample longer)",
            fit,
            limit,
            time_to_limit,
            horizon,
        )
    if time_to_limit > horizon:
        return Leak(
            False,
            f"grows {ci}, but reaches the limit only in {_span(time_to_limit)} (beyond the {_span(horizon)} horizon)",
            fit,
            limit,
            time_to_limit,
            horizon,
        )
    return Leak(
        True,
        f"leak: grows {ci}, reaches the limit in {_span(time_to_limit)} (within the {_span(horizon)} horizon)",
        fit,
        limit,
        time_to_limit,
        horizon,
    )


def fit_window(ts: Sequence[float], warmup_fraction: float = WARMUP_FRACTION) -> int:
    """The index of the first sample after the warm-up: the leading `warmup_fraction` of the span."""
    if not ts:
        return 0
    cut = ts[0] + (ts[-1] - ts[0]) * warmup_fraction
    return next((i for i, t in enumerate(ts) if t >= cut), 0)


@dataclass(frozen=True)
class Cooldown:
    """What the cooldown phase gave back of what the active phase added."""

    start: float  # working set at the start of the active phase (bytes)
    peak: float  # its peak during active and drain
    end: float  # at the end of cooldown
    released: float  # peak − end
    retained_fraction: float | None  # (end − start) / (peak − start); None when nothing was added
    verdict: str  # "released", "retained" or "no growth"

    def record(self, container: str) -> CooldownVerdict:
        """As the measurements file holds it, of `container`."""
        return CooldownVerdict(
            container, self.start, self.peak, self.end, self.released, self.retained_fraction, self.verdict
        )


#: Growth smaller than this (bytes) is no growth to release.
MIN_GROWTH = 1024 * 1024


def cooldown_verdict(active: Sequence[float], cooldown: Sequence[float]) -> Cooldown | None:
    """Compare the end of cooldown with the start and the peak of the active phase (medians of
    three samples at each end, against single-sample noise)."""
    if not active or not cooldown:
        return None
    start = percentile(active[:3], 0.5)
    peak = max(active)
    end = percentile(cooldown[-3:], 0.5)
    grown = peak - start
    if grown < MIN_GROWTH:
        return Cooldown(start, peak, end, peak - end, None, "no growth")
    retained = max(0.0, end - start) / grown
    verdict = "retained" if retained > RETAINED_FRACTION else "released"
    return Cooldown(start, peak, end, peak - end, retained, verdict)
