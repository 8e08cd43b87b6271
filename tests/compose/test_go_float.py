"""`go_float` prints a float as Go's `%v` does, from Python's shortest repr (no `decimal` import on
the lint path): pinned against the digits and exponent `decimal.Decimal` reads from the same repr."""

from __future__ import annotations

import math
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from composegen.compose.syntax import go_float


def _significant(printed: str) -> str:
    """The significant digits of a printed number (`-1.50e+06` -> `15`)."""
    mantissa = printed.lstrip("+-").split("e")[0].replace(".", "")
    return mantissa.strip("0") or "0"


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        (1.5, "1.5"),
        (0.5, "0.5"),
        (100000.0, "100000"),
        (1e6, "1e+06"),
        (1e-05, "1e-05"),
        (0.0001, "0.0001"),
        (-2.5e16, "-2.5e+16"),
        (123.456, "123.456"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (0.0, "0"),
        (-0.0, "-0"),
        (math.inf, "+Inf"),
        (-math.inf, "-Inf"),
        (math.nan, "NaN"),
    ],
)
def test_go_float_prints_as_go(value: float, printed: str) -> None:
    assert go_float(value) == printed


@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda v: v != 0))
def test_go_float_prints_the_shortest_digits_in_gos_form(value: float) -> None:
    """Reads back as `value`, with the digits Decimal reads in repr, in exponent form exactly
    where Go's %v uses it (an exponent below -4 or at least 6)."""
    printed = go_float(value)
    shortest = Decimal(repr(value))
    assert float(printed) == value
    assert _significant(printed) == "".join(map(str, shortest.normalize().as_tuple().digits))
    assert ("e" in printed) is (shortest.adjusted() < -4 or shortest.adjusted() >= 6)


PROBE = """
import sys
from composegen.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("decimal" in sys.modules)
"""


def test_a_lint_of_floats_does_not_import_decimal(tmp_path: Path) -> None:
    """`decimal` costs a lint run a millisecond to import; go_float reads repr's digits itself."""
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  web:\n    image: nginx:1.27.1\n    cpus: 0.5\n    environment:\n      RATIO: 1.5e-7\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "lint", "docker-compose.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.splitlines()[-1] == "False"
