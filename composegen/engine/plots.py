"""PNG plots of a measurements document, one per service: working set over time for each container,
with the limit, the reservation, the fitted leak slope, the phases and the OOM events.

matplotlib is optional: without it `plot_measurements` raises `PlotsUnavailable`, whose message
says how to get it, and calibrate writes its measurements all the same.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

MIB = 1024 * 1024


class PlotsUnavailable(Exception):
    """matplotlib is not installed."""


def _matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise PlotsUnavailable(
            "plots skipped: matplotlib is not installed (pip install matplotlib, or composegen[test])"
        ) from None
    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    return plt


def _file_name(service: str) -> str:
    return "memory-" + (re.sub(r"[^A-Za-z0-9_.-]+", "_", service) or "service") + ".png"


def _mib(values: Sequence[float | int | None]) -> list[float]:
    return [float("nan") if v is None else v / MIB for v in values]


def plot_service(
    plt: Any, service: str, data: Mapping[str, Any], phases: Sequence[Mapping[str, Any]], path: Path
) -> None:
    figure, axes = plt.subplots(figsize=(9, 4.5), dpi=100)
    try:
        for series in data.get("series") or ():
            ts = series.get("t") or []
            axes.plot(ts, _mib(series.get("working_set") or []), label=f"{series.get('container')} working set")
            leak = series.get("leak") or {}
            slope, intercept = leak.get("slope_bytes_per_second"), leak.get("intercept")
            start, end = leak.get("fit_from"), leak.get("fit_to")
            if slope is not None and intercept is not None and start is not None and end is not None:
                xs = [start, end]
                ys = [(intercept + slope * x) / MIB for x in xs]
                style = "r--" if leak.get("leak") else "k:"
                rate = slope * 60 / MIB
                axes.plot(xs, ys, style, linewidth=1.2, label=f"fitted slope {rate:+.2f} MiB/min")
        limit = data.get("limit")
        if limit:
            axes.axhline(limit / MIB, color="red", linewidth=1.5, label=f"limit {limit / MIB:.0f} MiB")
        reservation = data.get("reservation")
        if reservation:
            axes.axhline(
                reservation / MIB, color="orange", linestyle="--", label=f"reservation {reservation / MIB:.0f} MiB"
            )
        for phase in phases[1:]:
            axes.axvline(phase.get("start", 0), color="grey", linestyle=":", linewidth=1)
            axes.annotate(
                f" {phase.get('name')}", (phase.get("start", 0), 0.02), xycoords=("data", "axes fraction"), color="grey"
            )
        for t in (data.get("oom") or {}).get("event_times") or ():
            axes.axvline(t, color="purple", linewidth=1.5)
            axes.annotate(" OOM", (t, 0.92), xycoords=("data", "axes fraction"), color="purple")
        axes.set_title(f"{service}: memory working set")
        axes.set_xlabel("seconds since the run started")
        axes.set_ylabel("MiB")
        axes.set_ylim(bottom=0)
        axes.grid(True, alpha=0.3)
        axes.legend(loc="best", fontsize="small")
        figure.tight_layout()
        figure.savefig(path, format="png")
    finally:
        plt.close(figure)


def plot_measurements(document: Mapping[str, Any], folder: Path) -> list[Path]:
    """One PNG per service in `folder` (created); the paths written."""
    plt = _matplotlib()
    folder.mkdir(parents=True, exist_ok=True)
    phases = (document.get("run") or {}).get("phases") or []
    written: list[Path] = []
    for service, data in (document.get("services") or {}).items():
        if not data.get("series"):
            continue
        path = folder / _file_name(str(service))
        plot_service(plt, str(service), data, phases, path)
        written.append(path)
    return written


def _step_xs(steps: Sequence[Mapping[str, Any]]) -> tuple[list[float], str]:
    """Replicas on the x axis when they only grow (a ramp), else the step order (a scale that
    went back down)."""
    counts = [float(s["replicas"]) for s in steps]
    if all(a <= b for a, b in itertools.pairwise(counts)):
        return counts, "replicas"
    return [float(s["index"]) for s in steps], "step"


def _own_line_shares(steps: Sequence[Mapping[str, Any]], lines: Mapping[str, Any]) -> dict[str, list[float]]:
    """Per service, the highest share of its own line any of its containers used at each step."""
    out: dict[str, list[float]] = {}
    for i, step in enumerate(steps):
        for c in step.get("containers") or ():
            shares = []
            if c.get("memory_limit"):
                shares.append(c["working_set"] / (lines["memory"] * c["memory_limit"]))
            if c.get("cpu_limit") and c.get("cpu") is not None:
                shares.append(c["cpu"] / (lines["cpu"] * c["cpu_limit"]))
            if shares:
                series = out.setdefault(str(c["service"]), [math.nan] * len(steps))
                series[i] = max(shares) if math.isnan(series[i]) else max(series[i], *shares)
    return out


def plot_steps(block: Mapping[str, Any], path: Path, title: str) -> Path:
    """One PNG of a stress ramp or a scale: per step the stack's memory and CPU against the host
    lines (with the fitted line per added replica, when there is one), and each service's closest
    container against its own line. Returns `path`."""
    plt = _matplotlib()
    steps = list(block.get("steps") or ())
    lines = block.get("lines") or {}
    host = block.get("host") or {}
    xs, xlabel = _step_xs(steps)
    figure, (memory_axes, cpu_axes, share_axes) = plt.subplots(3, 1, figsize=(9, 10), dpi=100, sharex=True)
    try:
        memory_axes.plot(xs, _mib([s["memory_total"] for s in steps]), "o-", label="stack memory (working set)")
        fit = (block.get("marginal") or {}).get("memory")
        if fit and xlabel == "replicas":
            ends = [fit["from_replicas"], fit["to_replicas"]]
            memory_axes.plot(
                ends,
                _mib([fit["intercept"] + fit["per_replica"] * x for x in ends]),
                "k:",
                label=f"fitted: {fit['per_replica'] / MIB:.1f} MiB per replica",
            )
        if host.get("memory"):
            line = lines.get("host_memory", 1.0) * host["memory"]
            memory_axes.axhline(line / MIB, color="red", label=f"host line {line / MIB:.0f} MiB")
        memory_axes.set_ylabel("MiB")
        memory_axes.set_title(title)
        cpus = [math.nan if s["cpu_total"] is None else s["cpu_total"] for s in steps]  # unknown: a gap
        cpu_axes.plot(xs, cpus, "o-", color="tab:green", label="stack CPU")
        if host.get("cpus"):
            line = lines.get("host_cpu", 1.0) * host["cpus"]
            cpu_axes.axhline(line, color="red", label=f"host line {line:.2f} cores")
        cpu_axes.set_ylabel("cores")
        for service, shares in sorted(_own_line_shares(steps, lines).items()):
            share_axes.plot(xs, [v * 100 for v in shares], "o-", label=f"{service}: closest container")
        share_axes.axhline(100, color="red", label="its own line (memory or CPU)")
        share_axes.set_ylabel("% of its line")
        if xlabel == "step":  # whole steps, each with its count
            share_axes.set_xticks(xs, [f"{int(x)}\n({s['replicas']})" for x, s in zip(xs, steps, strict=True)])
            xlabel = "step (replicas)"
        share_axes.set_xlabel(xlabel)
        for index, step in enumerate(steps):
            if not step.get("ok", True):
                for axes in (memory_axes, cpu_axes, share_axes):
                    axes.axvline(xs[index], color="purple", linestyle="--", linewidth=1)
                first = step["breaches"][0]
                share_axes.annotate(
                    f" {first.get('service') or 'host'}: {first['kind'].removeprefix('host ')}",
                    (xs[index], 0.9),
                    xycoords=("data", "axes fraction"),
                )
        for axes in (memory_axes, cpu_axes, share_axes):
            axes.set_ylim(bottom=0)
            axes.grid(True, alpha=0.3)
            axes.legend(loc="upper left", fontsize="small")
        figure.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png")
    finally:
        plt.close(figure)
    return path
