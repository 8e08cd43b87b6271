"""The accuracy table: one row per case, estimate ÷ measured and its verdict, as markdown. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MIB = 1024 * 1024
#: estimate ÷ measured must lie in this range: under 1.0 is an OOM kill, over 1.3 is waste (issue 7).
LOW, HIGH = 1.0, 1.3


@dataclass(frozen=True)
class Row:
    case: str
    inputs: str
    estimate: float  # bytes: the working set composegen estimates (before the profile's margin)
    measured: float  # bytes: the peak measured
    limit: float  # bytes: the memory limit composegen writes (margin, floor and rounding applied)
    method: str  # how the peak was measured: cgroup, pss, container
    oom_kills: int | None = None  # containers replayed on the engine: OOM kills seen (None: not a replay)

    @property
    def ratio(self) -> float:
        return self.estimate / self.measured if self.measured else float("inf")

    @property
    def verdict(self) -> str:
        return verdict(self.ratio, self.oom_kills)


def verdict(ratio: float, oom_kills: int | None = None) -> str:
    """`ok`, `under` (an OOM kill waiting to happen), `over` (waste); a replay is judged by its kills."""
    if oom_kills is not None:
        return "ok" if oom_kills == 0 else f"{oom_kills} OOM kill" + ("s" if oom_kills > 1 else "")
    if ratio < LOW:
        return "under"
    if ratio > HIGH:
        return "over"
    return "ok"


def mib(n: float) -> str:
    return f"{n / MIB:,.0f} MiB"


def markdown(rows: Sequence[Row]) -> str:
    """The table, with a header line; ratios to two decimals."""
    lines = [
        "| case | inputs | estimate | measured | ratio | verdict | limit written | measured by |",
        "|---|---|---:|---:|---:|---|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.case} | {r.inputs} | {mib(r.estimate)} | {mib(r.measured)} | {r.ratio:.2f} | {r.verdict} "
            f"| {mib(r.limit)} | {r.method} |"
        )
    return "\n".join(lines) + "\n"


def summary(rows: Sequence[Row]) -> str:
    """One line: how many cases are in the target range, and which are not."""
    missed = [r for r in rows if r.verdict != "ok"]
    head = f"{len(rows) - len(missed)} of {len(rows)} cases ok"
    if not missed:
        return head + "."
    return head + "; missed: " + ", ".join(f"{r.case} ({r.verdict}, {r.ratio:.2f})" for r in missed) + "."


def replace_section(text: str, heading: str, section: str) -> str:
    """`text` with the section that starts at the line `heading` (up to the next `## ` heading, or
    the end) replaced by `section`; the other sections are kept as they are."""
    start = text.index(heading + "\n") if heading + "\n" in text else text.index(heading)
    end = text.find("\n## ", start + len(heading))
    rest = "" if end < 0 else text[end + 1 :]
    return text[:start] + section.rstrip("\n") + "\n" + ("\n" + rest if rest else "")
