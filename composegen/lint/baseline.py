"""Baselines: today's findings recorded in a file, so that only new ones fail.

    composegen lint --write-baseline .composegen-baseline.json   # record what is there now
    composegen lint --baseline .composegen-baseline.json         # fail only on what is new

A baseline holds one entry per finding: its rule, file (relative to the baseline's folder),
service and fingerprint (`Finding.fingerprint`: rule, file, service, key path and a hash of the
value, so it survives lines moving, and never holds a secret), with a count where one
fingerprint stands for several findings. A finding whose fingerprint is in the baseline
(as many times as the count) is reported as suppressed, not as a problem.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from composegen.errors import InputError
from composegen.lint.finding import Finding, Suppression

FORMAT = "composegen-lint-baseline"
VERSION = 1
_FIX = "write one with `composegen lint --write-baseline FILE`"


def baseline_file(finding: Finding, folder: Path) -> str:
    """The finding's file as a baseline names it: relative to the baseline's folder where it
    is below it, in POSIX form."""
    path = Path(finding.file)
    if not path.is_absolute():
        path = Path.cwd() / path
    for base in (folder, folder.resolve()):
        for candidate in (path, path.resolve()):
            if candidate.is_relative_to(base):
                return candidate.relative_to(base).as_posix()
    return path.as_posix()


def read(path: Path) -> dict[str, int]:
    """fingerprint -> how many findings it stands for. Raises InputError (one line) when the
    file cannot be read or is not a baseline."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such baseline file", fix=_FIX) from None
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else type(err).__name__
        raise InputError(f"{path}: cannot read the baseline ({reason})", fix=_FIX) from None
    try:
        data = json.loads(text)
    except ValueError as err:
        line = getattr(err, "lineno", None)
        where = f"{path}:{line}" if line else str(path)
        raise InputError(f"{where}: the baseline is not valid JSON", fix=_FIX) from None
    entries = data.get("findings") if isinstance(data, dict) and data.get("format") == FORMAT else None
    if not isinstance(entries, list) or data.get("version") != VERSION:
        raise InputError(f"{path}: not a composegen lint baseline (version {VERSION})", fix=_FIX)
    counts: dict[str, int] = {}
    for entry in entries:
        fingerprint = entry.get("fingerprint") if isinstance(entry, dict) else None
        count = entry.get("count", 1) if isinstance(entry, dict) else None
        if not isinstance(fingerprint, str) or not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise InputError(f"{path}: a baseline entry without a fingerprint or count", fix=_FIX)
        counts[fingerprint] = counts.get(fingerprint, 0) + count
    return counts


def apply(findings: Iterable[Finding], counts: dict[str, int], path: Path) -> tuple[list[Finding], list[Finding]]:
    """(new findings, findings the baseline holds, marked suppressed)."""
    left = dict(counts)
    folder = path.parent
    fresh: list[Finding] = []
    known: list[Finding] = []
    reason = f"in the baseline {path}"
    for finding in findings:
        fingerprint = finding.fingerprint(baseline_file(finding, folder))
        if left.get(fingerprint, 0) > 0:
            left[fingerprint] -= 1
            known.append(finding._replace(suppression=Suppression("external", reason)))
        else:
            fresh.append(finding)
    return fresh, known


def render(findings: Sequence[Finding], path: Path) -> str:
    """The baseline file's text for `findings`."""
    folder = path.parent
    entries: dict[str, dict[str, Any]] = {}
    for finding in findings:
        file = baseline_file(finding, folder)
        fingerprint = finding.fingerprint(file)
        entry = entries.get(fingerprint)
        if entry is None:
            entries[fingerprint] = {
                "fingerprint": fingerprint,
                "code": finding.code,
                "file": file,
                "service": finding.service,
                "count": 1,
            }
        else:
            entry["count"] += 1
    ordered = sorted(entries.values(), key=lambda e: (e["file"], e["code"], e["service"] or "", e["fingerprint"]))
    return json.dumps({"format": FORMAT, "version": VERSION, "findings": ordered}, indent=2) + "\n"


def write(findings: Sequence[Finding], path: Path) -> None:
    """Write the baseline for `findings` to `path`: a temporary file beside it, then a rename, so
    a failed write never leaves half a baseline. A file there that is not a baseline is kept."""
    if path.is_file():
        try:
            read(path)
        except InputError:
            raise InputError(
                f"{path}: exists and is not a composegen lint baseline, so it is not overwritten",
                fix="name a new file, or remove this one first",
            ) from None
    from composegen.writer import write_atomic

    write_atomic(path, render(findings, path), force=True)
