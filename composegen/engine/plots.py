"""PNG plots of a measurements document, one per service: working set over time for each container,
with the limit, the reservation, the fitted leak slope, the phases and the OOM events.

matplotlib is optional: without it `plot_measurements` raises `PlotsUnavailable`, whose message
says how to get it, and calibrate writes its measurements all the same.
"""

from __future__ import annotations

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
