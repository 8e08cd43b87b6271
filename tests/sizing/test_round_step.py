"""Every limit and reservation is the derived figure rounded up to a whole 4 MiB (sizing/plan.py
ROUND_STEP): never below it, never a whole step above it, estimated or measured alike."""

from __future__ import annotations

import math

import pytest

from composegen.sizing.plan import plan_service
from composegen.units import MIB
from tests.conftest import make_inputs, make_profile

PROFILE = make_profile(memory={"margin": 1.25, "minimum": "32M", "reservation_ratio": 0.5})


@pytest.mark.parametrize(
    ("declared_mib", "limit_mib", "reservation_mib"),
    [
        (46, 60, 32),  # 57.5 MiB derived (gunicorn 1w's figure in bench/servers): 60, not 64 in 16 MiB steps
        (68, 88, 44),  # 85: 88, not 96
        (96, 120, 60),  # 120 is a whole step already: written as it is
        (8, 32, 16),  # the profile's minimum, then the step
    ],
)
def test_the_limit_is_the_derived_figure_in_4_mib(declared_mib: int, limit_mib: int, reservation_mib: int) -> None:
    plan_ = plan_service(make_inputs("generic", memory=f"{declared_mib}M"), PROFILE)
    derived = max(declared_mib * 1.25, 32)
    assert limit_mib == math.ceil(derived / 4) * 4  # the expected figures, from the rule
    assert plan_.memory_limit.value == limit_mib * MIB
    assert derived * MIB <= plan_.memory_limit.value < (derived + 4) * MIB
    assert plan_.memory_reservation is not None and plan_.memory_reservation.value == reservation_mib * MIB
