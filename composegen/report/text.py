"""Text for a person: findings grouped by file, one line each, and a closing count.

    docker-compose.yml
       2:3   warning  CG101  service 'web' has no memory limit  (memory-limit-missing)

Colour (severity, file names) only when the caller says so: on a terminal, without NO_COLOR.
"""

from __future__ import annotations

from collections import Counter
from itertools import groupby
from operator import attrgetter

from composegen.lint.finding import ORDER, Severity
from composegen.report.base import Report, plural

_RESET = "\033[0m"
_COLORS = {Severity.error: "\033[31m", Severity.warning: "\033[33m", Severity.info: "\033[36m"}
_BOLD = "\033[1m"
_DIM = "\033[2m"


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{_RESET}" if color else text


def render(report: Report) -> str:
    lines: list[str] = []
    color = report.color
    ordered = report.findings if report.in_order else sorted(report.findings, key=ORDER)
    severities = {s: _paint(s.value.ljust(7), _COLORS[s], color) for s in Severity}
    names: dict[str, str] = {}  # each rule's name, painted once
    for file, group in groupby(ordered, key=attrgetter("file")):  # (no Python call per finding)
        found = list(group)
        lines.append(_paint(file, _BOLD, color))
        places = [f"{f.line}:{f.column}" for f in found]
        width = max(map(len, places))
        for place, finding in zip(places, found, strict=True):
            severity = severities[finding.severity]
            name = names.get(finding.name)
            if name is None:
                name = names[finding.name] = _paint(f"({finding.name})", _DIM, color)
            lines.append(f"  {place.ljust(width)}  {severity}  {finding.code}  {finding.message}  {name}")
        lines.append("")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def summary(report: Report) -> str:
    """`3 problems (1 error, 2 warnings) in 2 files, 1 fixable with --fix` or `no problems in 1 file`."""
    checked = plural(len(report.files), "file")
    parts: list[str] = []
    if report.fixed:
        parts.append(f"fixed {plural(report.fixed, 'problem')}")
    if not report.findings:
        if report.files or not report.errors:  # "no problems" only about files that were read
            parts.append(f"no problems in {checked}")
    else:
        # (counted in C: a report can hold 200,000 findings)
        counts = Counter(map(attrgetter("severity"), report.findings))
        detail = ", ".join(plural(counts[s], s.value) for s in reversed(Severity) if counts[s])
        files = len(set(map(attrgetter("file"), report.findings)))
        where = plural(files, "file") if files >= len(report.files) else f"{files} of {checked}"
        text = f"{plural(len(report.findings), 'problem')} ({detail}) in {where}"
        fixable = len(report.findings) - list(map(attrgetter("fix"), report.findings)).count(None)
        if fixable:
            text += f", {fixable} fixable with --fix"
        parts.append(text)
    baselined = sum(1 for f in report.suppressed if f.suppression is not None and f.suppression.kind == "external")
    if baselined:
        parts.append(f"{plural(baselined, 'known problem')} in the baseline")
    if report.errors:
        parts.append(f"{plural(len(report.errors), 'file')} could not be read")
    return "; ".join(parts)
