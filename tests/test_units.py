from __future__ import annotations

import pytest

from composegen.errors import UnitError
from composegen.units import (
    GIB,
    KIB,
    MIB,
    format_bytes,
    format_cpus,
    format_duration,
    parse_bytes,
    parse_cpus,
    parse_duration,
    parse_params,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("512m", 512 * MIB),
        ("512M", 512 * MIB),
        ("512mb", 512 * MIB),
        ("4gb", 4 * GIB),
        ("4GB", 4 * GIB),
        ("1.5g", int(1.5 * GIB)),
        ("1KiB", KIB),
        ("2t", 2 * 1024**4),
        ("100", 100),
        (1048576, MIB),
        ("10b", 10),
        (" 64m ", 64 * MIB),
        ("0.5k", 512),
    ],
)
def test_parse_bytes_accepts_every_compose_form(text: object, expected: int) -> None:
    assert parse_bytes(text) == expected


@pytest.mark.parametrize("text", ["4 gigs", "lots", "", "-1g", "1.2.3m", "5x", True, None, [], -5])
def test_parse_bytes_rejects_with_a_fix(text: object) -> None:
    with pytest.raises(UnitError) as err:
        parse_bytes(text)
    assert err.value.fix


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (512 * MIB, "512M"),
        (2 * GIB, "2G"),
        (1536 * MIB, "1536M"),
        (KIB, "1K"),
        (100, "100b"),
        (0, "0b"),
        (MIB + 0.5, "1048577b"),
    ],
)
def test_format_bytes_is_canonical(n: float, text: str) -> None:
    assert format_bytes(n) == text
    assert parse_bytes(text) >= n


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("1m30s", 90),
        ("500ms", 0.5),
        ("1h5m30s20ms", 3930.02),
        ("2h", 7200),
        ("1d", 86400),
        ("10us", 1e-5),
        (15, 15.0),
    ],
)
def test_parse_duration(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["30 seconds", "s", "1x", "", "-5s", "5s3", True])
def test_parse_duration_rejects(text: object) -> None:
    with pytest.raises(UnitError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"), [(90, "1m30s"), (0.5, "500ms"), (3600, "1h"), (45, "45s"), (61.2, "1m2s")]
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(("cpus", "text"), [(0.5, "0.5"), (2, "2"), (1.25, "1.25"), (0.333, "0.34")])
def test_format_cpus(cpus: float, text: str) -> None:
    assert format_cpus(cpus) == text


def test_parse_cpus_and_params() -> None:
    assert parse_cpus("1.5") == 1.5
    with pytest.raises(UnitError):
        parse_cpus("lots")
    assert parse_params("1.7B") == pytest.approx(1.7e9)
    assert parse_params("125M") == pytest.approx(125e6)
    with pytest.raises(UnitError):
        parse_params("big")
