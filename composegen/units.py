"""Compose byte sizes, durations and CPU counts: read every form compose v2 accepts, write one.

Forms (facts/compose-spec.md §Units): bytes take b, k/kb, m/mb, g/gb, t/tb, 1024-based and
case-insensitive, with the IEC spellings (`1KiB`) and fractions (`1.5g`) that compose v2 also
accepts; a bare integer is bytes. Durations combine us, ms, s, m, h (and d, which v2 accepts):
`1h5m30s20ms`.
"""

from __future__ import annotations

import math
import re

from composegen.errors import UnitError

KIB = 1024
MIB = 1024**2
GIB = 1024**3
TIB = 1024**4

_BYTE_UNITS: dict[str, int] = {
    "": 1,
    "b": 1,
    "k": KIB,
    "kb": KIB,
    "kib": KIB,
    "m": MIB,
    "mb": MIB,
    "mib": MIB,
    "g": GIB,
    "gb": GIB,
    "gib": GIB,
    "t": TIB,
    "tb": TIB,
    "tib": TIB,
}
_BYTES_RE = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)\s*$")

_DURATION_UNITS: dict[str, float] = {
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(us|µs|ms|s|m|h|d)")


def parse_bytes(value: object, *, what: str = "size") -> int:
    """Bytes from a compose size (`512m`, `1.5g`, `4gb`, `1KiB`, 1048576).

    >>> parse_bytes("1.5g")
    1610612736
    """
    if isinstance(value, bool):
        raise UnitError(f"{what} {value!r} is not a size", fix="write it like 512M or 2G")
    if isinstance(value, int):
        if value < 0:
            raise UnitError(f"{what} {value} is negative", fix="write a positive size like 512M")
        if value > MAX_BYTES:
            raise _out_of_range(what, value)
        return value
    if isinstance(value, float):
        value = str(value)
    if not isinstance(value, str):
        raise UnitError(f"{what} {value!r} is not a size", fix="write it like 512M or 2G")
    match = _BYTES_RE.match(value)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _BYTE_UNITS:
        raise UnitError(
            f"{what} {value!r} is not a size compose understands",
            fix="use a number with b, k, m, g or t (kb, mb, gb and KiB also work), like 512M or 4gb",
        )
    number = float(match.group(1)) * _BYTE_UNITS[unit]
    if not number <= MAX_BYTES:  # (also infinity: `1e400`)
        raise _out_of_range(what, value)
    return math.ceil(number)


#: compose-go reads a size into a 64-bit integer and refuses a larger one ("value out of range").
MAX_BYTES = 2**63 - 1


def _out_of_range(what: str, value: object) -> UnitError:
    shown = repr(value) if len(repr(value)) <= 24 else f"{str(value)[:12]}... ({len(str(value))} characters)"
    return UnitError(f"{what} {shown} is out of range", fix="a size compose reads is under 8 EiB: write it like 2G")


def format_bytes(n: int | float) -> str:
    """The canonical compose string: the largest unit that keeps a whole number.

    Memory values are always written as strings; compose v2 rejects integers there
    (facts/compose-spec.md §The schema). Fractions of a byte round up.

    >>> format_bytes(512 * MIB), format_bytes(2 * GIB), format_bytes(1536 * MIB)
    ('512M', '2G', '1536M')
    """
    whole = math.ceil(n)
    for suffix, size in (("T", TIB), ("G", GIB), ("M", MIB), ("K", KIB)):
        if whole >= size and whole % size == 0:
            return f"{whole // size}{suffix}"
    return f"{whole}b"


def human_bytes(n: int | float) -> str:
    """A readable size for explanations (not for YAML): `1.51 GiB`, `106 MiB`."""
    if n >= GIB:
        return f"{n / GIB:.2f} GiB"
    if n >= MIB:
        return f"{n / MIB:.0f} MiB"
    if n >= KIB:
        return f"{n / KIB:.0f} KiB"
    return f"{n:.0f} B"


def parse_duration(value: object, *, what: str = "duration") -> float:
    """Seconds from a compose duration (`1m30s`, `500ms`, `2h`); a bare number is seconds."""
    if isinstance(value, bool):
        raise UnitError(f"{what} {value!r} is not a duration", fix="write it like 30s or 1m30s")
    if isinstance(value, (int, float)):
        if value < 0:
            raise UnitError(f"{what} {value} is negative", fix="write a positive duration like 30s")
        return float(value)
    if not isinstance(value, str) or not value.strip():
        raise UnitError(f"{what} {value!r} is not a duration", fix="write it like 30s or 1m30s")
    text = value.strip()
    pos = 0
    total = 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or pos == 0:
        raise UnitError(
            f"{what} {value!r} is not a duration compose understands",
            fix="combine a number with us, ms, s, m or h, like 30s or 1m30s",
        )
    return total


def format_duration(seconds: float) -> str:
    """The canonical compose duration: whole seconds as `1m30s`, below a second as `500ms`.

    >>> format_duration(90), format_duration(0.5), format_duration(3600)
    ('1m30s', '500ms', '1h')
    """
    if seconds < 1:
        return f"{math.ceil(seconds * 1000)}ms"
    whole = math.ceil(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{secs}s" if secs else ""]
    return "".join(parts)


def parse_cpus(value: object, *, what: str = "cpus") -> float:
    """CPU cores from a compose `cpus` value (number or numeric string)."""
    try:
        cpus = float(value) if isinstance(value, (int, float, str)) and not isinstance(value, bool) else -1.0
    except ValueError:
        cpus = -1.0
    if cpus < 0 or math.isnan(cpus):
        raise UnitError(f"{what} {value!r} is not a CPU count", fix="write a number of cores like 0.5 or 2")
    return cpus


def format_cpus(cpus: float) -> str:
    """Cores to two decimals, trailing zeros dropped: `0.5`, `1.25`, `2`."""
    text = f"{math.ceil(cpus * 100) / 100:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def parse_params(value: object, *, what: str = "params") -> float:
    """Model parameter counts: `406.3M`, `1.7B`, `8e9`, or a number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*([kKmMbBtT]?)\s*", value)
        if match:
            scale = {"": 1, "k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}[match.group(2).lower()]
            return float(match.group(1)) * scale
    raise UnitError(f"{what} {value!r} is not a parameter count", fix="write it like 125M or 1.7B")
