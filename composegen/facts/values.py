"""Values as each program reads them: counts, booleans, and byte sizes in each program's own units.

Every parser raises ValueError on text the program would refuse; the readers turn that into an
`unreadable` fact, never an exception.
"""

from __future__ import annotations

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
TIB = 1024 * GIB


def _number_and_unit(text: str) -> tuple[float, str]:
    """`2.5GB` -> (2.5, "GB"); the number part must be a plain non-negative decimal."""
    stripped = text.strip()
    end = 0
    while end < len(stripped) and (stripped[end].isdigit() or stripped[end] == "."):
        end += 1
    number, unit = stripped[:end], stripped[end:].strip()
    if not number or number.count(".") > 1 or number == "." or not number.isascii():
        raise ValueError(f"not a number: {text!r}")
    return float(number), unit


def count(text: str) -> int:
    """A non-negative whole number (`4`), as argparse/click `int` reads a count."""
    stripped = text.strip()
    if not stripped.isascii() or not stripped.isdigit():
        raise ValueError(f"not a whole number: {text!r}")
    return int(stripped)


def decimal(text: str) -> float:
    """A non-negative decimal number (`0.9`, `75`, `75.0`)."""
    value, unit = _number_and_unit(text)
    if unit:
        raise ValueError(f"not a number: {text!r}")
    return value


def text(value: str) -> str:
    if not value:
        raise ValueError("empty")
    return value


def yes_no(value: str) -> bool:
    """Redis's booleans: `yes`/`no` (any case)."""
    lowered = value.strip().lower()
    if lowered in ("yes", "no"):
        return lowered == "yes"
    raise ValueError(f"not yes or no: {value!r}")


def _scaled(text: str, units: dict[str, int], *, default: int = 1, fold: bool = True, whole: bool = False) -> int:
    """A number and an optional unit of `units`. `whole`: digits then the unit right after them, as
    C's strtoll-based parsers read them (no fraction, no space)."""
    if whole:
        digits = len(text) - len(text.lstrip("0123456789"))
        number, unit = text[:digits], text[digits:]
        value = float(count(number))
    else:
        value, unit = _number_and_unit(text)
    key = unit.lower() if fold else unit
    if not unit:
        if value != int(value):
            raise ValueError(f"not a whole number: {text!r}")
        return int(value) * default
    if key not in units:
        raise ValueError(f"unknown unit {unit!r} in {text!r}")
    return int(value * units[key])


#: JVM sizes (`-Xmx4g`, `-XX:MaxRAM=2G`): bytes, or k/K, m/M, g/G, t/T (powers of 1024), whole
#: numbers only. https://docs.oracle.com/en/java/javase/21/docs/specs/man/java.html ("-Xmx size")
_JVM_UNITS = {"k": KIB, "m": MIB, "g": GIB, "t": TIB}


def jvm_size(text: str) -> int:
    stripped = text.strip()
    if stripped[-1:].lower() in _JVM_UNITS:
        return count(stripped[:-1]) * _JVM_UNITS[stripped[-1].lower()]
    return count(stripped)


#: Redis `memtoll`: digits, then nothing or b, k=1000, kb=1024, m=10^6, mb=2^20, g=10^9, gb=2^30, any
#: case; no fraction, no space. https://raw.githubusercontent.com/redis/redis/unstable/redis.conf
#: ("Note on units"); https://github.com/redis/redis/blob/unstable/src/util.c (`memtoll`)
_REDIS_UNITS = {"b": 1, "k": 1000, "kb": KIB, "m": 1000**2, "mb": MIB, "g": 1000**3, "gb": GIB}


def redis_size(text: str) -> int:
    return _scaled(text, _REDIS_UNITS, whole=True)


#: PostgreSQL memory units: B, kB, MB, GB, TB (powers of 1024), case-sensitive; a value without a
#: unit is in the setting's own unit (8kB pages for shared_buffers and effective_cache_size, kB for
#: work_mem and maintenance_work_mem, MB for max_wal_size).
#: https://www.postgresql.org/docs/current/config-setting.html#CONFIG-SETTING-NAMES-VALUES
_PG_UNITS = {"B": 1, "kB": KIB, "MB": MIB, "GB": GIB, "TB": TIB}


def postgres_size(text: str, default_unit: int) -> int:
    return _scaled(text, _PG_UNITS, default=default_unit, fold=False)


#: MySQL/MariaDB sizes: whole bytes, or with K, M, G, T, P, E (powers of 1024), any case.
#: https://dev.mysql.com/doc/refman/8.4/en/command-line-options.html ("suffix of K, M, G, T, P, or E")
_MYSQL_UNITS = {"k": KIB, "m": MIB, "g": GIB, "t": TIB, "p": 1024 * TIB, "e": 1024 * 1024 * TIB}


def mysql_size(text: str) -> int:
    return _scaled(text, _MYSQL_UNITS, whole=True)


#: GOMEMLIMIT: bytes, or B, KiB, MiB, GiB, TiB (case-sensitive); `off` means no limit.
#: https://pkg.go.dev/runtime ("GOMEMLIMIT ... a non-negative integer with an optional unit suffix")
_GO_UNITS = {"B": 1, "KiB": KIB, "MiB": MIB, "GiB": GIB, "TiB": TIB}


def go_size(text: str) -> int | str:
    if text.strip() == "off":
        return "off"
    return _scaled(text, _GO_UNITS, fold=False)


def compose_size(text: str) -> int:
    """A compose file's byte size (`shm_size: 256m`, `1gb`, 1048576), as compose reads it."""
    from composegen.errors import UnitError  # (errors is the lowest layer)
    from composegen.units import parse_bytes

    try:
        return parse_bytes(int(text) if text.isascii() and text.isdigit() else text)
    except UnitError as e:
        raise ValueError(str(e)) from None


def mebibytes(text: str) -> int:
    """Node's `--max-old-space-size=N`: N MiB. https://nodejs.org/api/cli.html#--max-old-space-sizesize-in-mib"""
    return count(text) * MIB


def gigabytes(text: str) -> int:
    """MongoDB's `--wiredTigerCacheSizeGB`: a decimal number of GiB (mongod reads GB as 1024^3)."""
    return int(decimal(text) * GIB)
